import NIOConcurrencyHelpers
import NIOCore

/// A whole request must arrive within `timeout` (from connect, or from the last answer), else
/// the connection is closed: idle and trickling clients cannot hold a place. Used by the
/// operator socket and the metrics endpoint.
struct RequestDeadline {
    let timeout: TimeAmount
    private var scheduled: Scheduled<Void>?

    init(_ timeout: TimeAmount) { self.timeout = timeout }

    mutating func arm(_ context: ChannelHandlerContext) {
        cancel()
        let channel = context.channel
        scheduled = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    mutating func cancel() {
        scheduled?.cancel()
        scheduled = nil
    }
}

/// At most `limit` connections at once; a place is given back when its channel closes.
final class ConnectionSlots: Sendable {
    let limit: Int
    private let open = NIOLockedValueBox(0)

    init(limit: Int) { self.limit = limit }

    /// Takes a place for `channel`, or returns false when all are taken.
    func admit(_ channel: any Channel) -> Bool {
        let admitted = open.withLockedValue { n -> Bool in
            guard n < limit else { return false }
            n += 1
            return true
        }
        if admitted { channel.closeFuture.whenComplete { _ in self.open.withLockedValue { $0 -= 1 } } }
        return admitted
    }
}
