import HotlineCore
import NIOCore
import NIOPosix

/// One operator connection: a request line in, its answer out, then the next. While a request
/// runs, reading is paused, so a pipelining client cannot queue work without bound. A request
/// must arrive whole within the timeout (from connect, or from the last answer), so neither an
/// idle nor a trickling client holds a place.
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundOut = ByteBuffer

    private let uid: UInt32?
    private let serve: @Sendable (Result<ControlRequest, HLPError>, String) async -> JSONObject
    private var user: String?
    private var pending: [InboundFrame] = []
    private var busy = false
    private var deadline: RequestDeadline

    init(
        uid: UInt32?, timeout: TimeAmount,
        serve: @escaping @Sendable (Result<ControlRequest, HLPError>, String) async -> JSONObject
    ) {
        self.uid = uid
        self.deadline = RequestDeadline(timeout)
        self.serve = serve
    }

    func handlerAdded(context: ChannelHandlerContext) { deadline.arm(context) }

    func handlerRemoved(context: ChannelHandlerContext) { deadline.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(unwrapInboundIn(data))
        next(context)
    }

    private func next(_ context: ChannelHandlerContext) {
        guard !busy else { return }
        guard !pending.isEmpty else {
            deadline.arm(context)
            return
        }
        deadline.cancel()
        let frame = pending.removeFirst()
        guard case let .line(line) = frame else {
            let reply = ControlServer.line(ControlReply.Failure(.tooLong, "request too long").object)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(bytes: reply))).whenComplete { _ in
                channel.close(promise: nil)
            }
            pending.removeAll()
            return
        }
        busy = true
        context.channel.setOption(.autoRead, value: false).whenFailure { _ in }
        let request = ControlRequest.decode(line)
        let serve = self.serve, uid = self.uid, known = self.user
        let promise = context.eventLoop.makePromise(of: (String, JSONObject).self)
        promise.completeWithTask {
            let user: String
            if let known {
                user = known
            } else {
                user = (try? await NIOThreadPool.singleton.runIfActive { ControlServer.userName(uid) }) ?? "unknown"
            }
            return (user, await serve(request, user))
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenComplete { result in
            let (handler, context) = loopBound.value
            handler.busy = false
            switch result {
            case let .success((user, reply)):
                handler.user = user
                context.writeAndFlush(handler.wrapOutboundOut(context.channel.allocator.buffer(bytes: ControlServer.line(reply))), promise: nil)
            case .failure:
                context.writeAndFlush(
                    handler.wrapOutboundOut(
                        context.channel.allocator.buffer(
                            bytes: ControlServer.line(ControlReply.Failure(.internal, "internal error").object))),
                    promise: nil)
            }
            context.channel.setOption(.autoRead, value: true).whenFailure { _ in }
            handler.next(context)
        }
    }
}
