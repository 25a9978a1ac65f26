import HotlineConfiguration
import NIOCore

/// Sits in front of the line framer and closes connections that stall: not authenticated in
/// time, idle too long, or holding a line open without finishing it (slow loris). It looks at
/// raw bytes only: whether the stream currently ends inside a line, and when bytes last came.
///
/// One timer per connection, set for the earliest deadline that could close it; when it fires
/// it checks what actually happened and sets itself for the next one. Reads never touch it
/// unless a line starts that must end before it fires. (An idle connection wakes once per
/// timeout, not four times a second.)
final class ConnectionGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limits: Limits
    /// The connection handler, asked whether AUTH succeeded (same event loop).
    private weak var status: (any ConnectionStatus)?
    private let onClose: (String) -> Void
    private var connectedAt = NIODeadline.now()
    private var lastByteAt = NIODeadline.now()
    private var lineStartedAt: NIODeadline?
    private var timer: Scheduled<Void>?
    private var timerAt: NIODeadline?
    private var context: ChannelHandlerContext?

    init(limits: Limits, status: any ConnectionStatus, onClose: @escaping (String) -> Void) {
        self.limits = limits
        self.status = status
        self.onClose = onClose
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelActive(context: ChannelHandlerContext) {
        connectedAt = .now()
        lastByteAt = connectedAt
        arm(at: nextDeadline())
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        self.context = nil
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
                let lineDeadline = now + .seconds(limits.lineTimeout)
                if let timerAt, lineDeadline < timerAt { arm(at: lineDeadline) }
            }
        }
        context.fireChannelRead(data)
    }

    private var authenticated: Bool { status?.isAuthenticated ?? false }

    /// The earliest moment a limit could close this connection, given what is known now.
    private func nextDeadline() -> NIODeadline {
        var next = lastByteAt + .seconds(limits.idleTimeout)
        if !authenticated { next = min(next, connectedAt + .seconds(limits.authTimeout)) }
        if let started = lineStartedAt { next = min(next, started + .seconds(limits.lineTimeout)) }
        return next
    }

    private func arm(at deadline: NIODeadline) {
        guard let context else { return }
        timer?.cancel()
        timerAt = deadline
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) { bound.value.inspect() }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
        timerAt = nil
    }

    private func inspect() {
        guard let context else { return }
        let now = NIODeadline.now()
        var reason: String?
        if !authenticated, now - connectedAt >= .seconds(limits.authTimeout) {
            reason = "not authenticated within \(limits.authTimeout) s"
        } else if now - lastByteAt >= .seconds(limits.idleTimeout) {
            reason = "idle for \(limits.idleTimeout) s"
        } else if let started = lineStartedAt, now - started >= .seconds(limits.lineTimeout) {
            reason = "a line not finished within \(limits.lineTimeout) s"
        }
        if let reason {
            disarm()
            onClose(reason)
            context.close(promise: nil)
        } else {
            arm(at: nextDeadline())
        }
    }
}
