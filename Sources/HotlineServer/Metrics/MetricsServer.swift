import Logging
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

    public init(host: String, port: Int, logger: Logger, render: @escaping @Sendable () -> [UInt8]) {
        self.host = host
        self.port = port
        self.render = render
        self.logger = logger
        self.bound = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Int.self)
    }

    public func listeningPort() async throws -> Int { try await bound.futureResult.get() }

    public func run() async throws {
        let render = self.render
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(Handler(render: render))
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

        init(render: @escaping @Sendable () -> [UInt8]) { self.render = render }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(h): head = h
            case .body: break
            case .end:
                guard let head else { return }
                let ok = head.method == .GET && (head.uri == "/metrics" || head.uri.hasPrefix("/metrics?"))
                let body = ok ? render() : Array("not found; try /metrics\n".utf8)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
                headers.add(name: "Content-Length", value: String(body.count))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: ok ? .ok : .notFound, headers: headers))), promise: nil)
                var buffer = context.channel.allocator.buffer(capacity: body.count)
                buffer.writeBytes(body)
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
                let keepAlive = head.isKeepAlive
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                    if !keepAlive { context.close(promise: nil) }
                }
                self.head = nil
            }
        }
    }
}
