import HotlineCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The TCP front end: accepts gateway connections and runs a `ConnectionHandler` on each.
/// On graceful shutdown it stops accepting, lets every connection answer what it has taken
/// (reports being committed are committed and receipted), refuses the rest with
/// `ERR unavailable`, and closes.
public final class IntakeServer: Service, Sendable {
    public let serviceName = "intake-server"
    private let state: ServerState
    private let host: String
    private let port: Int
    private let group: any EventLoopGroup
    private let threadPool: NIOThreadPool
    private let logger: Logger
    private let connections = NIOLockedValueBox(Registry())

    /// Open connections, and how many each peer address has.
    private struct Registry {
        var entries: [ObjectIdentifier: ConnectionEntry] = [:]
        var perPeer: [String: Int] = [:]
    }
    private let bound: EventLoopPromise<Int>

    private struct ConnectionEntry: @unchecked Sendable {
        // @unchecked: the handler is only touched on `channel.eventLoop` (through NIOLoopBound).
        var channel: any Channel
        var peer: String
        var handler: NIOLoopBound<ConnectionHandler>
    }

    /// How long shutdown waits for connections to answer what they have taken.
    public static let drainTimeout: TimeAmount = .seconds(10)

    public init(
        state: ServerState, host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        threadPool: NIOThreadPool = .singleton, logger: Logger
    ) {
        self.state = state
        self.host = host
        self.port = port
        self.group = group
        self.threadPool = threadPool
        self.logger = logger
        self.bound = group.next().makePromise(of: Int.self)
    }

    /// The port actually bound (useful with port 0), once listening.
    public func listeningPort() async throws -> Int {
        try await bound.futureResult.get()
    }

    public var connectionCount: Int { connections.withLockedValue { $0.entries.count } }

    public func run() async throws {
        let state = self.state
        let threadPool = self.threadPool
        let logger = self.logger
        let connections = self.connections
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 256 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let peer = channel.remoteAddress?.ipAddress ?? "?"
                    var connectionLogger = logger
                    connectionLogger[metadataKey: "peer"] = "\(peer)"
                    let id = ObjectIdentifier(channel)
                    // Admission: a connection over a limit gets one line and is closed.
                    let refusal: String? = connections.withLockedValue { open in
                        if open.entries.count >= state.limits.maxConnections { return "too many connections" }
                        if open.perPeer[peer, default: 0] >= state.limits.maxConnectionsPerPeer {
                            return "too many connections from \(peer)"
                        }
                        return nil
                    }
                    if let refusal {
                        connectionLogger.warning("connection refused", metadata: ["reason": "\(refusal)"])
                        var line = channel.allocator.buffer(capacity: 80)
                        line.writeString(Reply.error(.unavailable, refusal + "; retry later").line + "\n")
                        channel.writeAndFlush(line).whenComplete { _ in channel.close(promise: nil) }
                        return
                    }
                    let flags = ConnectionFlags()
                    let handler = ConnectionHandler(state: state, threadPool: threadPool, flags: flags, logger: connectionLogger)
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionGuard(limits: state.limits, flags: flags) { reason in
                            connectionLogger.notice("closing connection", metadata: ["reason": "\(reason)"])
                        })
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFramer(maxLineBytes: state.maxLineBytes)))
                    try channel.pipeline.syncOperations.addHandler(handler)
                    let entry = ConnectionEntry(
                        channel: channel, peer: peer, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    connections.withLockedValue {
                        $0.entries[id] = entry
                        $0.perPeer[peer, default: 0] += 1
                    }
                    channel.closeFuture.whenComplete { _ in
                        connections.withLockedValue {
                            guard $0.entries.removeValue(forKey: id) != nil else { return }
                            $0.perPeer[peer, default: 1] -= 1
                            if $0.perPeer[peer] == 0 { $0.perPeer[peer] = nil }
                        }
                    }
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            bound.fail(error)
            throw ConfigurationError("cannot listen on \(host):\(port): \(error)")
        }
        let actualPort = channel.localAddress?.port ?? port
        bound.succeed(actualPort)
        logger.info("listening", metadata: ["listen.host": "\(host)", "listen.port": "\(actualPort)"])

        try? await gracefulShutdown()

        logger.info("stopping: no new connections")
        try? await channel.close()
        await drainConnections()
    }

    /// Closes the connections whose gateway's token is no longer `tokens`' (after a reload).
    public func closeRevoked(_ tokens: GatewayTokens) {
        let entries = connections.withLockedValue { Array($0.entries.values) }
        for entry in entries {
            entry.channel.eventLoop.execute { entry.handler.value.checkToken(tokens) }
        }
    }

    private func drainConnections() async {
        let entries = connections.withLockedValue { Array($0.entries.values) }
        for entry in entries {
            entry.channel.eventLoop.execute { entry.handler.value.drain() }
        }
        let closed = EventLoopFuture.andAllComplete(entries.map(\.channel.closeFuture), on: group.next())
        let timeout = group.next().scheduleTask(in: Self.drainTimeout) {
            for entry in entries { entry.channel.close(promise: nil) }
        }
        try? await closed.get()
        timeout.cancel()
    }
}
