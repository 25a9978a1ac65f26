import HotlineHarness
import Foundation
import HotlineConfiguration
#if canImport(Glibc)
import Glibc
#endif
import HotlineCore
import HotlineLineClient
import HotlineServer
import Logging
import ServiceLifecycle

/// Paths inside this repository, so tests need nothing outside it.
enum Repository {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let sampleDirectory = root + "/Config/ninh-binh"
    static let sampleTokens = root + "/Config/gateways.tokens"

    /// The built `hotlined` next to the test bundle.
    static var hotlined: String { BuildProducts.folder + "/hotlined" }
}

func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "hotline-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The real daemon on port 0, on a real SQLite file. By default the built `hotlined` runs as a
/// child process as the service user (see `ServiceIdentity`), the way it is deployed; tests
/// that need the daemon's insides (its clock, scheduler or store) ask for `inProcess`.
final class TestServer: @unchecked Sendable {
    let folder: String
    let port: Int
    /// The daemon process (unless in-process).
    let daemon: DaemonProcess?
    private let inProcess: (app: HotlineApp, task: Task<Void, Error>, group: ServiceGroup)?

    /// The in-process daemon; only for tests created with `inProcess: true`.
    var app: HotlineApp {
        guard let inProcess else { fatalError("TestServer.app needs TestServer(inProcess: true)") }
        return inProcess.app
    }

    static func configuration(folder: String) -> Configuration {
        DaemonProcess.configuration(folder: folder)
    }

    /// A configuration file in `folder` that a reload can read again.
    static func writeConfigFile(folder: String, tokens: String) throws -> String {
        try DaemonProcess.provision(folder)
        var c = configuration(folder: folder)
        c.tokensPath = tokens
        let path = folder + "/hotlined.toml"
        try c.tomlText.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    init(
        folder: String = temporaryFolder(), configFile: String? = nil, inProcess: Bool = false,
        clock: (any HotlineClock)? = nil, backend: StoreBackend = .sqlite, configure: (inout Configuration) -> Void = { _ in }
    ) async throws {
        self.folder = folder
        let storage = try DaemonProcess.storage(backend, folder: folder)
        if inProcess || clock != nil {
            try DaemonProcess.provision(folder)
            var c = try configFile.map { try Configuration.load(path: $0) } ?? Self.configuration(folder: folder)
            storage(&c)
            configure(&c)
            let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            let app = try HotlineApp(configuration: c, logger: logger, clock: clock ?? SystemClock())
            let group = app.serviceGroup(signals: false)
            let task = Task { try await group.run() }
            self.inProcess = (app, task, group)
            daemon = nil
            port = try await app.server.listeningPort()
            return
        }
        let daemon: DaemonProcess
        if let configFile {
            daemon = try DaemonProcess(folder: folder, configFile: configFile)
        } else {
            daemon = try DaemonProcess(folder: folder) { c in
                storage(&c)
                configure(&c)
                // TLS files are copied in, so that the service user can read them.
                if var tls = c.tls {
                    try? FileManager.default.createDirectory(atPath: folder + "/tls", withIntermediateDirectories: true)
                    func copy(_ path: String) -> String {
                        let target = folder + "/tls/" + (path as NSString).lastPathComponent
                        try? FileManager.default.copyItem(atPath: path, toPath: target)
                        return target
                    }
                    tls.certificate = copy(tls.certificate)
                    tls.key = copy(tls.key)
                    tls.clientCA = tls.clientCA.map(copy)
                    c.tls = tls
                }
            }
        }
        try daemon.start()
        self.daemon = daemon
        self.inProcess = nil
        port = daemon.port
    }

    /// The TLS listener's port.
    func tlsPort() async throws -> Int {
        if let inProcess { return try await inProcess.app.server.tlsListeningPort() }
        guard let port = daemon?.tlsPort else { throw LineClient.Failure(description: "no TLS listener") }
        return port
    }

    /// Reloads the configuration (through the control socket, as `hotlinectl reload` does);
    /// returns whether the new configuration is in force.
    func reload() throws -> Bool {
        if let inProcess { return inProcess.app.reload() }
        return try daemon!.hotlinectl(["reload"]).status == 0
    }

    func client() throws -> LineClient { try LineClient(port: port) }

    /// An authenticated client for a commune's gateway (sample demo tokens).
    func gateway(_ commune: String = "14320") throws -> LineClient {
        let c = try client()
        _ = try c.readLine()
        let reply = try c.request("AUTH HL-\(commune) demo-HL-\(commune)")
        guard HLPReply.isOK(reply) else { throw LineClient.Failure(description: "AUTH failed: \(reply)") }
        return c
    }

    func stop() async throws {
        if let inProcess {
            await inProcess.group.triggerGracefulShutdown()
            try await inProcess.task.value
            return
        }
        daemon?.kill(SIGTERM)
        if let status = daemon?.process?.terminationStatus, status != 0 {
            throw LineClient.Failure(description: "hotlined exited with \(status): \(daemon?.log ?? "")")
        }
    }
}

/// Parses an `OK {json}` reply.
func okObject(_ line: String) throws -> JSONObject {
    guard let o = HLPReply(line: line).object else { throw LineClient.Failure(description: "not an OK object: \(line)") }
    return o
}

/// The code of an `ERR` reply (nil for any other line).
func errCode(_ line: String) -> String? {
    line.hasPrefix("ERR ") ? HLPReply(line: line).errorCode : nil
}
