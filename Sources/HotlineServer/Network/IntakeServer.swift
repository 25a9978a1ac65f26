import HotlineConfiguration
import HotlineCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
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
    private let logger: Logger
    private let connections = NIOLockedValueBox(Registry())

    /// Open connections, how many each peer address has, and which are not authenticated yet
    /// (in the order they came, so that the oldest can make room).
    private struct Registry {
        var entries: [ObjectIdentifier: ConnectionEntry] = [:]
        var perPeer: [String: Int] = [:]
        var unauthenticated: [ObjectIdentifier] = []
        var unauthenticatedPerPeer: [String: Int] = [:]

        /// Admits a new connection, or says why not. Checked and registered under one lock, so
        /// that two event loops cannot both take the last place. `evict` is set to an
        /// unauthenticated connection to close when the unauthenticated share is full.
        mutating func admit(_ entry: ConnectionEntry, id: ObjectIdentifier, limits: Limits)
            -> (refusal: String?, evict: ConnectionEntry?)
        {
            let peer = entry.peer
            if entries.count >= limits.maxConnections { return ("too many connections", nil) }
            if perPeer[peer, default: 0] >= limits.maxConnectionsPerPeer {
                return ("too many connections from \(peer)", nil)
            }
            if unauthenticatedPerPeer[peer, default: 0] >= limits.maxUnauthenticatedPerPeer {
                return ("too many connections from \(peer) waiting for AUTH", nil)
            }
            var evict: ConnectionEntry?
            if unauthenticated.count >= limits.maxUnauthenticated, let oldest = unauthenticated.first {
                evict = entries[oldest]
                authenticated(oldest)
            }
            entries[id] = entry
            perPeer[peer, default: 0] += 1
            unauthenticated.append(id)
            unauthenticatedPerPeer[peer, default: 0] += 1
            return (nil, evict)
        }

        /// The connection authenticated (or is being closed): it no longer counts as waiting.
        mutating func authenticated(_ id: ObjectIdentifier) {
            guard let i = unauthenticated.firstIndex(of: id), let peer = entries[id]?.peer else { return }
            unauthenticated.remove(at: i)
            unauthenticatedPerPeer[peer, default: 1] -= 1
            if unauthenticatedPerPeer[peer] == 0 { unauthenticatedPerPeer[peer] = nil }
        }

        mutating func remove(_ id: ObjectIdentifier) {
            authenticated(id)
            guard let entry = entries.removeValue(forKey: id) else { return }
            perPeer[entry.peer, default: 1] -= 1
            if perPeer[entry.peer] == 0 { perPeer[entry.peer] = nil }
        }
    }
    private let bound: EventLoopPromise<Int>
    private let tlsBound: EventLoopPromise<Int>
    private let tls: TLSListener?
    /// Listening sockets passed by systemd (socket activation): named `tls` for the TLS one.
    private let inheritedPlain: Int32?
    private let inheritedTLS: Int32?

    /// The TLS listener: where, the server context, and whether client certificates are required.
    public struct TLSListener: Sendable {
        public var host: String
        public var port: Int
        public var context: NIOSSLContext
        public var requireClientCertificate: Bool

        public init(host: String, port: Int, context: NIOSSLContext, requireClientCertificate: Bool) {
            self.host = host
            self.port = port
            self.context = context
            self.requireClientCertificate = requireClientCertificate
        }
    }

    private struct ConnectionEntry: @unchecked Sendable {
        // @unchecked: the handler is only touched on `channel.eventLoop` (through NIOLoopBound).
        var channel: any Channel
        var peer: String
        var handler: NIOLoopBound<ConnectionHandler>
    }

    /// How long shutdown waits for connections to answer what they have taken.
    public static let drainTimeout: TimeAmount = .seconds(10)
    /// Tracks the listeners and the connections they accept, for the drain at shutdown.
    private let quiescing: ServerQuiescingHelper

    public init(
        state: ServerState, host: String, port: Int, tls: TLSListener? = nil, inherited: [(fd: Int32, name: String)] = [],
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.tls = tls
        self.inheritedPlain = inherited.first { $0.name != "tls" }?.fd
        self.inheritedTLS = inherited.first { $0.name == "tls" }?.fd
        self.tlsBound = group.next().makePromise(of: Int.self)
        self.state = state
        self.host = host
        self.port = port
        self.group = group
        self.logger = logger
        self.bound = group.next().makePromise(of: Int.self)
        self.quiescing = ServerQuiescingHelper(group: group)
    }

    /// The port actually bound (useful with port 0), once listening.
    public func listeningPort() async throws -> Int {
        try await bound.futureResult.get()
    }

    /// The TLS listener's port, once listening (fails if there is none).
    public func tlsListeningPort() async throws -> Int {
        try await tlsBound.futureResult.get()
    }

    public var connectionCount: Int { connections.withLockedValue { $0.entries.count } }

    /// Open connections per authenticated gateway ("-" for those not authenticated yet).
    public func connectionsByGateway() async -> [String: Int] {
        let entries = connections.withLockedValue { Array($0.entries.values) }
        var counts: [String: Int] = [:]
        for entry in entries {
            let gateway = try? await entry.channel.eventLoop.submit { entry.handler.value.gatewayID }.get()
            counts[(gateway ?? nil) ?? "-", default: 0] += 1
        }
        return counts
    }

    private func bootstrap(tls: TLSListener?) -> ServerBootstrap {
        let state = self.state
        let logger = self.logger
        let connections = self.connections
        let quiescing = self.quiescing
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                // A connection that cannot be set up (a socket option refused, a handler that
                // fails) is closed by NIO and its error sent here: say so, never close silently.
                // NIO adds its accept handler after this initializer; the logger must follow it,
                // so it is added in the next turn of the loop (before the socket can accept).
                channel.eventLoop.execute {
                    try? channel.pipeline.syncOperations.addHandler(AcceptErrorLogger(logger: logger), position: .last)
                }
                // Before NIO's accept handler: it sees each accepted connection, so that
                // shutdown can tell them all to finish (`ChannelShouldQuiesceEvent`).
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 256 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let peer = channel.remoteAddress?.ipAddress ?? "?"
                    var connectionLogger = logger
                    connectionLogger[metadataKey: "peer"] = "\(peer)"
                    let id = ObjectIdentifier(channel)
                    let handler = ConnectionHandler(
                        shared: state.intake,
                        requireClientCertificate: tls?.requireClientCertificate ?? false, peer: peer,
                        onAuthenticated: { connections.withLockedValue { $0.authenticated(id) } },
                        logger: connectionLogger)
                    let entry = ConnectionEntry(
                        channel: channel, peer: peer, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    // Admission: a connection over a limit gets one line and is closed.
                    let (refusal, evict) = connections.withLockedValue {
                        $0.admit(entry, id: id, limits: state.limits)
                    }
                    if let refusal {
                        state.metrics.connectionsRefused.increment()
                        connectionLogger.warning("connection refused", metadata: ["reason": "\(refusal)"])
                        var line = channel.allocator.buffer(capacity: 80)
                        line.writeString(Reply.error(.unavailable, refusal + "; retry later").line + "\n")
                        channel.writeAndFlush(line).whenComplete { _ in channel.close(promise: nil) }
                        return
                    }
                    if let evict {
                        connectionLogger.notice(
                            "closing the oldest connection waiting for AUTH to make room",
                            metadata: ["evicted.peer": "\(evict.peer)"])
                        evict.channel.close(promise: nil)
                    }
                    channel.closeFuture.whenComplete { _ in
                        connections.withLockedValue { $0.remove(id) }
                    }
                    state.metrics.connectionsAccepted.increment()
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionGuard(limits: state.limits, status: handler) { reason in
                            connectionLogger.notice("closing connection", metadata: ["reason": "\(reason)"])
                        })
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFramer(maxLineBytes: state.maxLineBytes, status: handler)))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
    }

    /// A listening channel: the socket systemd passed, or a new one bound to host and port.
    private func listen(tls: TLSListener?, inherited: Int32?, host: String, port: Int) async throws -> any Channel {
        if let inherited { return try await bootstrap(tls: tls).withBoundSocket(inherited).get() }
        return try await bootstrap(tls: tls).bind(host: host, port: port).get()
    }

    public func run() async throws {
        var listeners: [any Channel] = []
        do {
            let channel = try await listen(tls: nil, inherited: inheritedPlain, host: host, port: port)
            listeners.append(channel)
            let actualPort = channel.localAddress?.port ?? port
            bound.succeed(actualPort)
            logger.notice(
                "listening",
                metadata: [
                    "listen.host": "\(channel.localAddress?.ipAddress ?? host)", "listen.port": "\(actualPort)",
                    "listen.inherited": "\(inheritedPlain != nil)",
                ])
        } catch {
            bound.fail(error)
            tlsBound.fail(error)
            throw ConfigurationError("cannot listen on \(host):\(port): \(error)")
        }
        if let tls {
            do {
                let channel = try await listen(tls: tls, inherited: inheritedTLS, host: tls.host, port: tls.port)
                listeners.append(channel)
                let actualPort = channel.localAddress?.port ?? tls.port
                tlsBound.succeed(actualPort)
                logger.notice(
                    "listening (TLS)",
                    metadata: [
                        "listen.host": "\(tls.host)", "listen.port": "\(actualPort)",
                        "tls.client_certificates": "\(tls.requireClientCertificate)",
                    ])
            } catch {
                tlsBound.fail(error)
                for l in listeners { try? await l.close() }
                throw ConfigurationError("cannot listen on \(tls.host):\(tls.port) (TLS): \(error)")
            }
        } else {
            tlsBound.fail(ConfigurationError("no TLS listener configured"))
        }

        try? await gracefulShutdown()

        logger.info("stopping: no new connections")
        await drainConnections()
    }

    /// Closes the connections whose gateway's token is no longer `tokens`' (after a reload).
    public func closeRevoked(_ tokens: GatewayTokens) {
        let entries = connections.withLockedValue { Array($0.entries.values) }
        for entry in entries {
            entry.channel.eventLoop.execute { entry.handler.value.checkToken(tokens) }
        }
    }

    /// NIOExtras' quiescing: the listeners close, every connection is told to finish (it
    /// answers what it has taken and refuses the rest, see `ConnectionHandler`), and this
    /// returns once all have closed — or closes those left after `drainTimeout`.
    private func drainConnections() async {
        let drained = group.next().makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: drained)
        let connections = self.connections
        let timeout = group.next().scheduleTask(in: Self.drainTimeout) {
            for entry in connections.withLockedValue({ Array($0.entries.values) }) { entry.channel.close(promise: nil) }
        }
        try? await drained.futureResult.get()
        timeout.cancel()
    }
}

/// On a listening channel: logs each connection that NIO could not set up (and closed).
private final class AcceptErrorLogger: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.error(
            "a connection could not be set up and was closed", metadata: ["error": "\(error)"])
        context.fireErrorCaught(error)
    }
}
