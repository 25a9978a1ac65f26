import NIOCore

/// Shared between the guard and the connection handler of one channel (same event loop).
final class ConnectionFlags {
    var authenticated = false
}

/// Sits in front of the line framer and closes connections that stall: not authenticated in
/// time, idle too long, or holding a line open without finishing it (slow loris). It looks at
/// raw bytes only: whether the stream currently ends inside a line, and when bytes last came.
final class ConnectionGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limits: Limits
    private let flags: ConnectionFlags
    private let onClose: (String) -> Void
    private var connectedAt = NIODeadline.now()
    private var lastByteAt = NIODeadline.now()
    private var lineStartedAt: NIODeadline?
    private var check: RepeatedTask?

    init(limits: Limits, flags: ConnectionFlags, onClose: @escaping (String) -> Void) {
        self.limits = limits
        self.flags = flags
        self.onClose = onClose
    }

    func channelActive(context: ChannelHandlerContext) {
        connectedAt = .now()
        lastByteAt = connectedAt
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) { _ in
            bound.value.0.inspect(bound.value.1)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let now = NIODeadline.now()
        lastByteAt = now
        let view = buffer.readableBytesView
        if let last = view.last {
            if last == 0x0A {
                lineStartedAt = nil
            } else if view.contains(0x0A) || lineStartedAt == nil {
                lineStartedAt = now  // a new line began in this chunk
            }
        }
        context.fireChannelRead(data)
    }

    private func inspect(_ context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        var reason: String?
        if !flags.authenticated, now - connectedAt >= .seconds(limits.authTimeout) {
            reason = "not authenticated within \(limits.authTimeout) s"
        } else if now - lastByteAt >= .seconds(limits.idleTimeout) {
            reason = "idle for \(limits.idleTimeout) s"
        } else if let started = lineStartedAt, now - started >= .seconds(limits.lineTimeout) {
            reason = "a line not finished within \(limits.lineTimeout) s"
        }
        if let reason {
            check?.cancel()
            check = nil
            onClose(reason)
            context.close(promise: nil)
        }
    }
}
