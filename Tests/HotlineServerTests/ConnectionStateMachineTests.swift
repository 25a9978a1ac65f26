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
        #expect(m.readingChange() == true)  // pause
        #expect(m.next(writable: true) == .handle(Self.line("R0")))
        let first = m.reserve()
        #expect(m.next(writable: true) == .handle(Self.line("R1")))
        _ = m.reserve()
        #expect(m.next(writable: true) == nil)  // two replies pending
        #expect(m.fill(first, "ok") == [.write("ok")])
        #expect(m.next(writable: true) == .handle(Self.line("R2")))
        #expect(m.readingChange() == false)  // resume
        #expect(m.readingChange() == nil)
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
        #expect(m.readingChange() == nil)
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
}
