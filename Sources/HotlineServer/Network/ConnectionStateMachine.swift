import HotlineCore

/// One connection's requests and replies as a value: events in, actions out (as postgres-nio's
/// `ConnectionStateMachine`). It knows nothing of sockets or the store; `ConnectionHandler`
/// only performs its actions: writes, a durable request to submit, a delayed reply to
/// schedule, reading paused, resumed or stopped, a close.
///
/// Each request takes a reply slot when it is handled; a slot is filled at once (most verbs)
/// or later (a write through the store, a delayed AUTH failure). Filled slots leave from the
/// front only, so replies keep request order however the work finishes. Requests wait, and
/// reading pauses, while too many replies are pending, the peer is not reading its replies, or
/// a delayed AUTH failure is pending. Draining answers what was taken, refuses what waits, and
/// closes when the last reply is out.
struct ConnectionStateMachine {
    /// What the handler does next with a waiting request.
    enum Next: Equatable {
        /// Run it through the session (it takes slots through `reserve` / `reply`).
        case handle(InboundFrame)
        /// Answer it with `ERR unavailable` (draining).
        case refuse
    }

    /// What the handler does after an event.
    enum Output: Equatable {
        case write(String)
        /// Submit the request to the store; its answer fills slot `seq`.
        case persist(seq: Int, DurableRequest)
        /// Fill slot `seq` with `line` after `milliseconds` (a repeated AUTH failure); then close
        /// if asked. Nothing more is handled meanwhile.
        case delay(seq: Int, line: String, milliseconds: Int64, close: Bool)
        /// Stop reading while requests wait; read again once they are handled.
        case pauseReading
        case resumeReading
        /// The last reply is decided: read nothing more (what the peer still sends stays in the
        /// kernel's buffer and is discarded with the connection).
        case stopReading
        /// Send FIN after the replies written (QUIT, the last AUTH failure).
        case closeAfterLastReply
        /// Close now (drained, or the peer finished and everything is answered).
        case close
    }

    private struct Slot {
        var line: String?
        var closeAfter = false
    }

    /// Where the connection is in its life.
    enum State: Equatable {
        /// Taking requests.
        case open
        /// The last reply is decided (QUIT, the fifth AUTH failure, a close after a reply): no
        /// more requests are handled; the connection closes once that reply is out.
        case closing
        /// Shutdown: what was taken is answered, what comes is refused, then it closes.
        case draining
    }

    let maxPending: Int
    private var slots: [Slot] = []
    private var slotStart = 0
    /// Sequence number of the first slot.
    private var firstSlot = 0
    private var waiting: [InboundFrame] = []
    private var waitingStart = 0
    private(set) var state = State.open
    /// A delayed AUTH failure is pending: nothing more is handled until it is sent. (Any state
    /// may have one: it is a reply slot that fills later.)
    private(set) var delayedReplyPending = false
    /// The peer finished sending (its half of the connection, apart from ours).
    private(set) var inputClosed = false
    /// Whether the handler has paused reading.
    private(set) var readingPaused = false
    /// Whether reading was stopped for good (closing).
    private var readingStopped = false

    /// No more requests will be handled (the handler stops reading).
    var closing: Bool { state == .closing }

    init(maxPending: Int) { self.maxPending = maxPending }

    var pendingReplies: Int { slots.count - slotStart }
    var waitingCount: Int { waiting.count - waitingStart }

    // MARK: Requests

    mutating func enqueue(_ frame: InboundFrame) {
        waiting.append(frame)
    }

    /// The next waiting request to act on, if one may be handled now.
    mutating func next(writable: Bool) -> Next? {
        guard waitingCount > 0, !delayedReplyPending, state != .closing, pendingReplies < maxPending, writable else {
            return nil
        }
        let frame = waiting[waitingStart]
        waitingStart += 1
        if waitingStart > 1024, waitingStart * 2 > waiting.count {
            waiting.removeFirst(waitingStart)
            waitingStart = 0
        }
        if state == .draining {
            guard case .line = frame else { return next(writable: writable) }
            return .refuse
        }
        return .handle(frame)
    }

    /// After handling what could be handled: reading stops (closing), pauses (requests wait)
    /// or resumes (none wait any more); or nothing changes.
    mutating func readingActions() -> [Output] {
        if state == .closing {
            waiting.removeAll()
            waitingStart = 0
            guard !readingStopped else { return [] }
            readingStopped = true
            return [.stopReading]
        }
        let shouldPause = waitingCount > 0
        guard shouldPause != readingPaused else { return [] }
        readingPaused = shouldPause
        return [shouldPause ? .pauseReading : .resumeReading]
    }

    /// What the session decided for a request: a reply now, a reply then a close, a delayed
    /// reply, or a durable request. Each takes the next reply slot.
    mutating func respond(_ action: SessionAction) -> [Output] {
        switch action {
        case .none:
            return []
        case let .reply(reply):
            return self.reply(reply.line)
        case let .replyAndClose(reply):
            return self.reply(reply.line, closeAfter: true)
        case let .delayedReply(reply, milliseconds, close):
            let seq = reserveDelayed(closing: close)
            return [.delay(seq: seq, line: reply.line, milliseconds: milliseconds, close: close)]
        case let .persist(request):
            return [.persist(seq: reserve(), request)]
        }
    }

    // MARK: Replies

    /// Takes the next reply slot; its sequence number fills it later.
    mutating func reserve() -> Int {
        slots.append(Slot())
        return firstSlot + pendingReplies - 1
    }

    /// A reply taken and filled at once.
    mutating func reply(_ line: String, closeAfter: Bool = false) -> [Output] {
        fill(reserve(), line, closeAfter: closeAfter)
    }

    /// A delayed reply's slot: nothing more is handled until it is filled.
    mutating func reserveDelayed(closing: Bool) -> Int {
        delayedReplyPending = true
        if closing { close() }
        return reserve()
    }

    /// The last reply is decided (also while draining: that reply ends the connection).
    private mutating func close() {
        state = .closing
    }

    /// Fills a slot; returns the replies that can now leave, in order, and what follows them.
    mutating func fill(_ seq: Int, _ line: String, closeAfter: Bool = false, endsDelay: Bool = false) -> [Output] {
        if endsDelay { delayedReplyPending = false }
        let index = seq - firstSlot
        guard index >= 0, index < pendingReplies else { return [] }
        slots[slotStart + index] = Slot(line: line, closeAfter: closeAfter)
        if closeAfter { close() }
        var out: [Output] = []
        while slotStart < slots.count, let line = slots[slotStart].line {
            let closeAfter = slots[slotStart].closeAfter
            slotStart += 1
            firstSlot += 1
            out.append(.write(line))
            if closeAfter {
                slots.removeAll()
                slotStart = 0
                out.append(.closeAfterLastReply)
                return out
            }
        }
        if slotStart > 1024, slotStart * 2 > slots.count {
            slots.removeFirst(slotStart)
            slotStart = 0
        }
        if finished { out.append(.close) }
        return out
    }

    // MARK: Ending

    /// Stop taking requests: answer what is pending, refuse what comes, then close.
    mutating func drain() -> [Output] {
        waiting.removeAll()
        waitingStart = 0
        // Already ending with its last reply: nothing to refuse; closed now if that is out.
        if state == .closing { return pendingReplies == 0 ? [.close] : [] }
        state = .draining
        return finished ? [.close] : []
    }

    /// The peer finished sending: answer what it sent, then close.
    mutating func peerClosedInput() -> [Output] {
        inputClosed = true
        if state == .closing, pendingReplies == 0 { return [.close] }
        return finished ? [.close] : []
    }

    /// Everything taken is answered and nothing more will come.
    private var finished: Bool {
        (state == .draining || (inputClosed && waitingCount == 0)) && pendingReplies == 0
    }
}
