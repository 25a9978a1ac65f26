import HotlineCore
import Testing

@testable import HotlineServer

/// The connection's state machine alone: events in, actions out, no channel.
@Suite struct ConnectionStateMachineTests {
    static func line(_ s: String) -> InboundFrame { .line(Array(s.utf8)) }

    @Test func repliesLeaveInRequestOrderWhateverOrderTheyAreFilled() {
        var m = ConnectionStateMachine(maxPending: 8)
        let a = m.reserve(), b = m.reserve(), c = m.reserve()
        #expect(m.fill(c, "C") == [])
        #expect(m.fill(b, "B") == [])
        #expect(m.fill(a, "A") == [.write("A"), .write("B"), .write("C")])
        #expect(m.pendingReplies == 0)
        #expect(m.fill(a, "again") == [])  // a slot is filled once
    }

    @Test func requestsWaitWhileTooManyRepliesArePendingOrThePeerIsNotReading() {
        var m = ConnectionStateMachine(maxPending: 2)
        for i in 0..<3 { m.enqueue(Self.line("R\(i)")) }
        #expect(m.next(writable: false) == nil)
        #expect(m.readingActions() == [.pauseReading])
        #expect(m.next(writable: true) == .handle(Self.line("R0")))
        let first = m.reserve()
        #expect(m.next(writable: true) == .handle(Self.line("R1")))
        _ = m.reserve()
        #expect(m.next(writable: true) == nil)  // two replies pending
        #expect(m.fill(first, "ok") == [.write("ok")])
        #expect(m.next(writable: true) == .handle(Self.line("R2")))
        #expect(m.readingActions() == [.resumeReading])
        #expect(m.readingActions() == [])
    }

    @Test func aDelayedReplyHoldsBackLaterRequestsUntilItIsSent() {
        var m = ConnectionStateMachine(maxPending: 8)
        let seq = m.reserveDelayed(closing: false)
        m.enqueue(Self.line("PING"))
        #expect(m.next(writable: true) == nil)
        #expect(m.fill(seq, "ERR auth-failed", endsDelay: true) == [.write("ERR auth-failed")])
        #expect(m.next(writable: true) == .handle(Self.line("PING")))
    }

    @Test func aReplyThatClosesEndsTheConnectionAfterItAndDropsWhatWaits() {
        var m = ConnectionStateMachine(maxPending: 8)
        let report = m.reserve()
        #expect(m.reply("OK {\"bye\":true}", closeAfter: true) == [])  // waits for the REPORT
        m.enqueue(Self.line("PING"))
        #expect(m.next(writable: true) == nil)
        #expect(m.readingActions() == [.stopReading])  // once: the last reply is decided
        #expect(m.readingActions() == [])
        #expect(m.waitingCount == 0)
        #expect(m.fill(report, "OK {}") == [.write("OK {}"), .write("OK {\"bye\":true}"), .closeAfterLastReply])
    }

    @Test func drainingAnswersWhatWasTakenRefusesTheRestThenCloses() {
        var m = ConnectionStateMachine(maxPending: 8)
        let pending = m.reserve()
        m.enqueue(Self.line("PING"))
        #expect(m.drain() == [])
        #expect(m.waitingCount == 0)
        m.enqueue(Self.line("PING"))
        m.enqueue(.tooLong)
        #expect(m.next(writable: true) == .refuse)
        #expect(m.next(writable: true) == nil)
        #expect(m.reply("ERR unavailable") == [])
        #expect(m.fill(pending, "OK {}") == [.write("OK {}"), .write("ERR unavailable"), .close])
    }

    @Test func whenThePeerStopsSendingTheConnectionClosesOnceAllIsAnswered() {
        var m = ConnectionStateMachine(maxPending: 8)
        let seq = m.reserve()
        #expect(m.peerClosedInput() == [])
        #expect(m.fill(seq, "OK {}") == [.write("OK {}"), .close])
    }

    /// The states: open → closing (the last reply decided) or draining (shutdown); a drain of a
    /// connection already closing ends it once its last reply is out; a closing reply decided
    /// while draining ends it after that reply.
    @Test func statesAndTheirTransitions() {
        var m = ConnectionStateMachine(maxPending: 8)
        #expect(m.state == .open && !m.closing)
        let last = m.reserveDelayed(closing: true)  // the fifth AUTH failure
        #expect(m.state == .closing && m.delayedReplyPending)
        #expect(m.drain() == [])  // its reply is still to come
        #expect(m.state == .closing)
        #expect(m.fill(last, "ERR auth-failed", closeAfter: true, endsDelay: true) == [.write("ERR auth-failed"), .closeAfterLastReply])
        #expect(m.drain() == [.close])  // out already: close now

        var d = ConnectionStateMachine(maxPending: 8)
        let taken = d.reserve()
        #expect(d.drain() == [])
        #expect(d.state == .draining)
        #expect(d.reply("OK {\"bye\":true}", closeAfter: true) == [])
        #expect(d.state == .closing)
        d.enqueue(Self.line("PING"))
        #expect(d.next(writable: true) == nil)  // closing: nothing more is handled
        #expect(d.fill(taken, "OK {}") == [.write("OK {}"), .write("OK {\"bye\":true}"), .closeAfterLastReply])
    }

    /// The session's decisions become actions: a durable request is `.persist` with its slot, a
    /// repeated AUTH failure `.delay`; replies decided meanwhile wait behind them in order.
    @Test func sessionDecisionsBecomeActions() {
        var m = ConnectionStateMachine(maxPending: 8)
        let gateway = Hotline(id: "HL-1", communeCode: "14320", name: "x", phone: "0")
        #expect(m.respond(.persist(.status(incident: "INC-1", gateway: gateway))) == [.persist(seq: 0, .status(incident: "INC-1", gateway: gateway))])
        #expect(m.respond(.reply(.ok(["pong": true]))) == [])  // behind the STATUS
        #expect(m.respond(.none) == [])
        #expect(m.fill(0, "OK {}") == [.write("OK {}"), .write(#"OK {"pong":true}"#)])
        let failure = Reply.error(.authFailed, "wrong gateway or token")
        #expect(
            m.respond(.delayedReply(failure, milliseconds: 500, close: true))
                == [.delay(seq: 2, line: failure.line, milliseconds: 500, close: true)])
        #expect(m.closing && m.delayedReplyPending)
        #expect(m.readingActions() == [.stopReading])
        #expect(m.fill(2, failure.line, closeAfter: true, endsDelay: true) == [.write(failure.line), .closeAfterLastReply])
    }
}
