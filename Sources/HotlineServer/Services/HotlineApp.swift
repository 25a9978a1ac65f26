import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineStore
import Logging
import NIOConcurrencyHelpers
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// The daemon assembled from its configuration: directory, tokens, store and intake server,
/// as services in one group (store first, so that it stops last).
public final class HotlineApp: Sendable {
    public let configuration: Configuration
    public let state: ServerState
    public let server: IntakeServer
    public let scheduler: EscalationScheduler
    public let queue: EscalationQueueFile
    public let control: ControlServer
    public let metricsServer: MetricsServer?
    public let dashboardServer: DashboardServer?
    let logger: Logger
    /// Addresses of the listening sockets systemd passed (socket activation).
    let inheritedHosts: [String]

    /// Everything a configuration refers to, loaded and checked, without opening the store or
    /// binding: what `--check-config` runs.
    ///
    /// `inheritedHosts`: the addresses of listening sockets passed by systemd, which count as
    /// listeners like the configured ones.
    public static func loadSnapshot(_ config: Configuration, logger: Logger?, inheritedHosts: [String] = []) throws
        -> ServerState.Snapshot
    {
        let directory: Directory
        do {
            directory = try DirectoryLoader.load(folder: config.directoryPath)
        } catch {
            throw ConfigurationError("directory: \(error)")
        }
        let tokenText = try ProtectedFile.read(config.tokensPath, what: "gateway token file")
        let tokens: GatewayTokens
        do {
            tokens = try GatewayTokens.parse(tokenText, knownGateways: Set(directory.hotlines.keys))
        } catch {
            throw ConfigurationError("\(config.tokensPath):\(error.line): \(error.reason)")
        }
        let demo = tokens.gatewaysWithDemoTokens
        if !demo.isEmpty {
            // Every listener counts: the plain one, the TLS one, and any socket systemd passed.
            let exposed = config.exposedHosts + inheritedHosts.filter { $0 != "unix" && !Configuration.isLoopback($0) }
            if let host = exposed.first {
                throw ConfigurationError(
                    "refusing to listen on \(host): \(demo.count) gateway(s) still use the published demo token (demo-<gateway-id>); issue real tokens or listen on loopback only"
                )
            }
            logger?.warning(
                "DEMO TOKENS IN USE: anyone can authenticate as these gateways; for testing on loopback only",
                metadata: ["gateways.demo": "\(demo.count)", "gateways.file": "\(config.tokensPath)"])
        }
        return ServerState.Snapshot(directory: directory, tokens: tokens, deadlines: config.deadlines, ladder: config.ladder)
    }

    /// The store on the configured backend. PostgreSQL: waits (not listening yet) while another
    /// daemon holds the serving lock, telling systemd so; if this daemon later finds the lock
    /// taken by another (after losing its connection), it exits for systemd to start it again
    /// as the waiting one.
    static func openStore(_ configuration: Configuration, logger: Logger) throws -> IncidentStore {
        let storage = configuration.storage
        switch storage.backend {
        case .sqlite:
            do {
                return try IncidentStore(path: storage.databasePath)
            } catch {
                throw ConfigurationError("cannot open the store \(storage.databasePath): \(error)")
            }
        case .postgresql:
            var password: String?
            if let file = storage.passwordFile {
                password = try ProtectedFile.read(file, what: "PostgreSQL password file", secret: true)
                    .trimmingCharacters(in: .newlines)
            }
            let location: PostgresLocation
            do {
                location = try PostgresLocation(url: storage.url ?? "", password: password)
            } catch {
                throw ConfigurationError("storage.url: \(error)")
            }
            let notifier = SystemdNotifier()
            do {
                let engine = try PostgresEngine(
                    location: location, requireSynchronousCommit: storage.requireSynchronousCommit, logger: logger,
                    waiting: { why in
                        logger.notice("standby: \(why)", metadata: ["pg.url": "\(location)"])
                        // Not ready while waiting; systemd is asked not to time the start out.
                        notifier.notify("STATUS=standby: \(why)\nEXTEND_TIMEOUT_USEC=30000000")
                    },
                    lockLost: { why in
                        logger.critical("stopping: \(why)")
                        // Whatever this daemon was doing is refused or unanswered; gateways retry
                        // against the daemon that serves now.
                        _exit(75)
                    })
                logger.notice("serving: holding the PostgreSQL lock", metadata: ["pg.url": "\(location)"])
                return try IncidentStore(postgres: engine)
            } catch {
                throw ConfigurationError("cannot open the store \(location): \(error)")
            }
        }
    }

    public init(
        configuration: Configuration, logger: Logger,
        clock: any HotlineClock = SystemClock()
    ) throws {
        self.configuration = configuration
        self.logger = logger
        let inherited = SocketActivation.inheritedSockets()
        inheritedHosts = inherited.map { SocketActivation.boundHost(fd: $0.fd) ?? "unknown" }
        let snapshot = try Self.loadSnapshot(configuration, logger: logger, inheritedHosts: inheritedHosts)
        try Self.makePrivateDirectory(configuration.storage.dataDir)
        try Self.makePrivateDirectory((configuration.queueFile as NSString).deletingLastPathComponent)
        let store = try Self.openStore(configuration, logger: logger)
        state = ServerState(
            serverName: configuration.server.name, maxLineBytes: configuration.server.maxLineBytes,
            snapshot: snapshot, store: store, limits: configuration.limits,
            maxShelterPerCommune: configuration.maxShelterPerCommune, clock: clock)
        var tlsListener: IntakeServer.TLSListener?
        if let tls = configuration.tls {
            do {
                tlsListener = try Self.makeTLS(tls)
            } catch {
                store.close()
                throw error
            }
        } else if !configuration.listensOnLoopbackOnly {
            logger.warning(
                "listening off loopback without TLS: reports cross the network unencrypted; configure [tls]",
                metadata: ["listen.host": "\(configuration.server.host)"])
        }
        server = IntakeServer(
            state: state, host: configuration.server.host, port: configuration.server.port, tls: tlsListener,
            inherited: inherited, logger: logger)
        scheduler = EscalationScheduler(
            state: state, clock: clock, retention: configuration.personalDataRetention, auditRetention: configuration.auditRetention,
            logger: logger)
        do {
            queue = try EscalationQueueFile(
                path: configuration.queueFile, store: store, rotateBytes: configuration.queueRotateBytes,
                keepFiles: configuration.queueKeepFiles, logger: logger)
        } catch {
            store.close()
            throw ConfigurationError("escalation queue \(configuration.queueFile): \(error)")
        }
        let queue = self.queue
        store.onOutboxAppended { queue.wake() }
        let metrics = state.metrics
        store.onCommit { jobs, ok in
            if ok {
                metrics.commits.increment()
                metrics.batchSize.record(jobs)
            } else {
                metrics.failedCommits.increment()
            }
        }
        queue.onRecordWritten { level, reason in metrics.escalation(level: level, reason: reason) }
        // The servers call back into the app, which exists only once they do: a late binding.
        let appBox = NIOLockedValueBox<HotlineApp?>(nil)
        metricsServer = configuration.metricsListen.map { listen in
            MetricsServer(
                host: listen.host, port: listen.port, maxConnections: configuration.limits.metricsConnections,
                timeoutSeconds: configuration.limits.metricsTimeout, logger: logger
            ) { appBox.withLockedValue { $0 }?.renderMetrics() ?? [] }
        }
        dashboardServer = try Self.makeDashboard(configuration, state: state, logger: logger)
        control = ControlServer(
            path: configuration.controlSocket, maxConnections: configuration.limits.controlConnections,
            timeoutSeconds: configuration.limits.controlTimeout, logger: logger
        ) { request, user in
            guard let app = appBox.withLockedValue({ $0 }) else { return ["error": "starting", "code": "unavailable"] }
            return await app.handleControl(request, user: user)
        }
        appBox.withLockedValue { $0 = self }
        logger.info(
            "directory loaded",
            metadata: [
                "directory.communes": "\(snapshot.directory.communes.count)",
                "directory.responders": "\(snapshot.directory.responders.count)",
                "directory.hotlines": "\(snapshot.directory.hotlines.count)",
                "gateways.tokens": "\(snapshot.tokens.hashes.count)",
            ])
    }

    /// The TLS server context from `[tls]`: TLS 1.2 or later; with a client CA, client
    /// certificates are required and verified against it.
    static func makeTLS(_ tls: Configuration.TLS) throws -> IntakeServer.TLSListener {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate)
            guard !chain.isEmpty else { throw ConfigurationError("\(tls.certificate): no certificate in it") }
            let key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
            var config = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            config.minimumTLSVersion = .tlsv12
            if let ca = tls.clientCA {
                config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
                config.certificateVerification = .noHostnameVerification
            }
            return IntakeServer.TLSListener(
                host: tls.host, port: tls.port, context: try NIOSSLContext(configuration: config),
                requireClientCertificate: tls.clientCA != nil)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError("[tls]: cannot load \(tls.certificate) / \(tls.key)\(tls.clientCA.map { " / " + $0 } ?? ""): \(error)")
        }
    }

    /// Creates `path` (and missing parents) with mode 0700 if it does not exist.
    static func makePrivateDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ConfigurationError("\(path) exists and is not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ConfigurationError("cannot create \(path): \(error.localizedDescription)")
        }
    }

    /// Reloads the directory, the tokens, the deadlines and the ladder from the configuration
    /// file. A bad file keeps everything as it was and says why. Connections whose token was
    /// revoked or replaced are closed. Settings that need a restart (listen address, storage,
    /// limits) are not changed. Returns whether the new configuration is in force.
    @discardableResult
    public func reload() -> Bool {
        guard let path = configuration.sourcePath else { return false }
        do {
            let fresh = try Configuration.load(path: path)
            // The listeners in force are the running ones, not the file's.
            var running = fresh
            running.server.host = configuration.server.host
            running.tls = configuration.tls
            let snapshot = try Self.loadSnapshot(running, logger: logger, inheritedHosts: inheritedHosts)
            state.snapshot = snapshot
            server.closeRevoked(snapshot.tokens)
            logger.notice(
                "configuration reloaded",
                metadata: [
                    "directory.responders": "\(snapshot.directory.responders.count)",
                    "gateways.tokens": "\(snapshot.tokens.hashes.count)",
                ])
            return true
        } catch {
            logger.error("reload failed; the previous configuration stays in force", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// The Prometheus text, with the gauges read now.
    public func renderMetrics() -> [UInt8] {
        let counts = try? state.store.openCounts(now: state.clock.now())
        let written = queue.lastWrittenSeq
        let committed = (try? state.store.lastOutboxSeq()) ?? written
        state.metrics.gauges(
            connections: server.connectionCount, open: counts?.open ?? [:], overdue: counts?.overdue ?? [:],
            queueSeq: written, queueLag: max(0, committed - written))
        return state.metrics.registry.emitToBuffer()
    }

    /// SIGHUP reloads the configuration (see `reload`) and rotates the escalation queue file.
    func hangup() {
        logger.info("SIGHUP: reloading and rotating the escalation queue")
        reload()
        queue.rotate()
    }

    /// The service group; with `signals`, SIGTERM and SIGINT start a graceful shutdown.
    /// Services start in this order and stop in reverse: the listener first, then the
    /// scheduler, then the store (committing what is queued), then the queue file.
    public func serviceGroup(signals: Bool) -> ServiceGroup {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: QueueFileService(queue: queue, logger: logger)),
            .init(service: StoreService(store: state.store, logger: logger)),
            .init(service: scheduler),
            .init(service: ControlService(control: control, logger: logger)),
            .init(service: server),
        ]
        if let metricsServer { services.append(.init(service: metricsServer)) }
        if let dashboardServer { services.append(.init(service: dashboardServer)) }
        services.append(.init(service: SystemdService(app: self, logger: logger)))
        if signals { services.append(.init(service: HangupService(app: self))) }
        return ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: signals ? [.sigterm, .sigint] : [], logger: logger))
    }

}

/// Runs the control socket while the daemon runs. If it cannot be opened, intake goes on
/// without it: operators lose their tool, gateways lose nothing.
struct ControlService: Service {
    let serviceName = "control-socket"
    let control: ControlServer
    let logger: Logger

    func run() async throws {
        do {
            try await control.start()
        } catch {
            logger.error("no operator control socket; intake continues", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
        await control.stop()
    }
}

/// SIGHUP through swift-service-lifecycle's signal sequence, like SIGTERM: reload the
/// configuration and rotate the escalation queue, each time the signal comes.
struct HangupService: Service {
    let app: HotlineApp

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups { app.hangup() }
        }
    }
}
