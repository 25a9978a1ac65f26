import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A minimal HTTP/1.1 endpoint for Prometheus: `GET /metrics` on a loopback address.
public final class MetricsServer: Service, Sendable {
    public let serviceName = "metrics-http"
    private let host: String
    private let port: Int
    private let render: @Sendable () -> [UInt8]
    private let logger: Logger
    private let bound: EventLoopPromise<Int>
    /// Connections at once; beyond, a new one is closed at once.
    /// A connection must complete a request within this long (from connect, or from the last
    /// response), or it is closed: idle and trickling clients cannot hold the slots.
    private let timeout: TimeAmount
    private let slots: ConnectionSlots

    public init(
        host: String, port: Int, maxConnections: Int = 8, timeoutSeconds: Int64 = 10, logger: Logger,
        render: @escaping @Sendable () -> [UInt8]
    ) {
        self.slots = ConnectionSlots(limit: maxConnections)
        self.timeout = .seconds(timeoutSeconds)
        self.host = host
        self.port = port
        self.render = render
        self.logger = logger
        self.bound = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Int.self)
    }

    public func listeningPort() async throws -> Int { try await bound.futureResult.get() }

    public func run() async throws {
        let render = self.render
        let slots = self.slots, maxConnections = self.slots.limit, timeout = self.timeout, logger = self.logger
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    guard slots.admit(channel) else {
                        logger.warning("metrics connection refused: too many open", metadata: ["limit": "\(maxConnections)"])
                        return channel.close()
                    }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(Handler(render: render, timeout: timeout))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            bound.fail(error)
            logger.error("no metrics endpoint; intake continues", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        bound.succeed(channel.localAddress?.port ?? port)
        logger.info("metrics at /metrics", metadata: ["metrics.host": "\(host)", "metrics.port": "\(channel.localAddress?.port ?? port)"])
        try? await gracefulShutdown()
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let render: @Sendable () -> [UInt8]
        var head: HTTPRequestHead?
        var deadline: RequestDeadline

        init(render: @escaping @Sendable () -> [UInt8], timeout: TimeAmount) {
            self.render = render
            self.deadline = RequestDeadline(timeout)
        }

        func handlerAdded(context: ChannelHandlerContext) { deadline.arm(context) }

        func handlerRemoved(context: ChannelHandlerContext) { deadline.cancel() }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(h): head = h
            case .body: break
            case .end:
                guard let head else { return }
                self.head = nil
                let ok = head.method == .GET && (head.uri == "/metrics" || head.uri.hasPrefix("/metrics?"))
                guard ok else { return respond(context, head, ok: false, body: Array("not found; try /metrics\n".utf8)) }
                // Rendering reads the store (open and overdue counts): on the thread pool, never
                // on an event loop that serves gateways.
                let render = self.render
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) { render() }.whenComplete { result in
                    let (handler, context) = bound.value
                    switch result {
                    case let .success(body): handler.respond(context, head, ok: true, body: body)
                    case .failure: context.close(promise: nil)
                    }
                }
            }
        }

        private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, ok: Bool, body: [UInt8]) {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
            headers.add(name: "Content-Length", value: String(body.count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: ok ? .ok : .notFound, headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            let keepAlive = head.isKeepAlive
            deadline.arm(context)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
        }
    }
}
