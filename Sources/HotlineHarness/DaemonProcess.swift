import Foundation
import HotlineConfiguration
import HotlineCore
#if canImport(Glibc)
import Glibc
import HotlineLineClient
#endif

/// The built `hotlined` run as a child process, as the service user (`ServiceIdentity`), on a
/// configuration in a folder that holds everything it needs (directory and token file copied
/// in). The one harness of the tests, the benchmarks and the crash script. The daemon binds
/// port 0 and the harness reads the port back from its `listening` log line: no port is
/// picked, released and hoped for.
public final class DaemonProcess {
    /// The built daemon and the sample files it is given.
    public struct Files: Sendable {
        public var hotlined: String
        public var directory: String
        public var tokens: String

        public init(hotlined: String, directory: String, tokens: String) {
            self.hotlined = hotlined
            self.directory = directory
            self.tokens = tokens
        }

        /// A tool built next to `hotlined` (hotlinectl, hotline-gateway).
        public func tool(_ name: String) -> String { (hotlined as NSString).deletingLastPathComponent + "/" + name }
    }

    public let files: Files
    public let folder: String
    public let configPath: String
    public let logPath: String
    public private(set) var process: Process?
    public private(set) var port = 0
    public private(set) var tlsPort: Int?

    /// The configuration a daemon is started with before `configure` adjusts it: loopback,
    /// port 0, everything in `folder`, request rates high enough for pipelined tests (the
    /// limits have tests of their own).
    public static func configuration(folder: String, port: Int = 0) -> Configuration {
        var c = Configuration()
        c.server.host = "127.0.0.1"
        c.server.port = port
        c.server.name = "test-hotline"
        c.storage.dataDir = folder + "/data"
        c.directoryPath = folder + "/directory"
        c.tokensPath = folder + "/gateways.tokens"
        c.queueFile = folder + "/data/escalations.jsonl"
        c.controlSocket = folder + "/data/control.sock"
        c.limits.rate = 1_000_000
        c.limits.burst = 1_000_000
        return c
    }

    /// Puts the daemon of `folder` on `backend`: SQLite in the folder (the default), or the
    /// folder's own database on the shared PostgreSQL server of the test run.
    public static func storage(_ backend: StoreBackend, folder: String) throws -> (inout Configuration) -> Void {
        switch backend {
        case .sqlite:
            return { _ in }
        case .postgresql:
            let url = try PostgresCluster.database(forFolder: folder)
            return { c in
                c.storage.backend = .postgresql
                c.storage.url = url
            }
        }
    }

    /// Limits out of a load generator's way (connections, rates, timeouts).
    public static func unlimited(_ c: inout Configuration) {
        c.limits.rate = 1_000_000
        c.limits.burst = 1_000_000
        c.limits.maxConnections = 100_000
        c.limits.maxConnectionsPerPeer = 100_000
        c.limits.maxUnauthenticated = 100_000
        c.limits.maxUnauthenticatedPerPeer = 100_000
        c.limits.preAuthRate = 1_000_000
        c.limits.preAuthBurst = 1_000_000
        c.limits.idleTimeout = 3600
    }

    /// Writes the configuration (and copies the directory and tokens into `folder`, unless it
    /// has them) for a daemon not yet started.
    public init(files: Files, folder: String, port: Int = 0, configure: (inout Configuration) -> Void = { _ in }) throws {
        self.files = files
        self.folder = folder
        configPath = folder + "/hotlined.toml"
        logPath = folder + "/hotlined.log"
        try Self.provision(folder, files)
        var c = Self.configuration(folder: folder, port: port)
        configure(&c)
        try c.tomlText.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o644)
        ServiceIdentity.own(folder)
    }

    /// Uses an existing configuration file (in `folder`).
    public init(files: Files, folder: String, configFile: String) throws {
        self.files = files
        self.folder = folder
        configPath = configFile
        logPath = folder + "/hotlined.log"
        try Self.provision(folder, files)
        ServiceIdentity.own(folder)
    }

    /// The directory and tokens, copied into the folder so that the service user can read them
    /// wherever the repository lies.
    public static func provision(_ folder: String, _ files: Files) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if !fm.fileExists(atPath: folder + "/directory") {
            try fm.copyItem(atPath: files.directory, toPath: folder + "/directory")
        }
        if !fm.fileExists(atPath: folder + "/gateways.tokens") {
            try fm.copyItem(atPath: files.tokens, toPath: folder + "/gateways.tokens")
            chmod(folder + "/gateways.tokens", 0o640)
        }
    }

    /// Starts the daemon as the service user and waits until it logs the port it listens on
    /// (and the TLS port, if it has a TLS listener). Returns the seconds that took. With a
    /// `launcher` (systemd-socket-activate), returns at once: the daemon starts on first
    /// connection.
    @discardableResult
    public func start(arguments: [String] = [], environment: [String: String] = [:], launcher: [String] = []) throws -> Double {
        let begin = Date()
        try launch(arguments: arguments, environment: environment, launcher: launcher)
        if !launcher.isEmpty { return 0 }
        try awaitListening(timeout: 60)
        return Date().timeIntervalSince(begin)
    }

    /// Starts the daemon as the service user without waiting for it to listen (a standby node
    /// waits for the serving lock first): see `awaitListening`.
    public func launch(arguments: [String] = [], environment: [String: String] = [:], launcher: [String] = []) throws {
        ServiceIdentity.own(folder)
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        startOffset = log.offsetInFile
        let p = Process()
        let command =
            launcher + ServiceIdentity.launcher + [ServiceIdentity.executable(files.hotlined), "--config", configPath] + arguments
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.standardError = log
        p.standardOutput = log
        try p.run()
        process = p
        tlsPort = nil
    }
    private var startOffset: UInt64 = 0

    /// Waits until the daemon last launched logs the port it listens on (and the TLS port, if
    /// it has a TLS listener).
    public func awaitListening(timeout: Double) throws {
        guard let p = process else { throw LineClient.Failure(description: "hotlined was not launched") }
        let wantsTLS = ((try? String(contentsOfFile: configPath, encoding: .utf8)) ?? "").contains("[tls]")
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let data = try? Data(contentsOf: URL(fileURLWithPath: logPath)), data.count > Int(startOffset) {
                let lines = String(decoding: data[Int(startOffset)...], as: UTF8.self).split(separator: "\n")
                if let p = Self.port(lines, "] listening") {
                    port = p
                    tlsPort = Self.port(lines, "] listening (TLS)")
                    if !wantsTLS || tlsPort != nil {
                        // The control socket is a service of its own, started beside the
                        // listener: wait for it too, so that hotlinectl finds it.
                        if let control = controlSocket {
                            while Date() < deadline, p > 0, !FileManager.default.fileExists(atPath: control) { usleep(5_000) }
                        }
                        return
                    }
                }
            }
            guard p.isRunning else { throw LineClient.Failure(description: "hotlined exited: \(self.log)") }
            usleep(5_000)
        }
        throw LineClient.Failure(description: "hotlined did not start listening: \(self.log)")
    }

    /// The configured control socket (nil if the configuration cannot be read here).
    private var controlSocket: String? { (try? Configuration.load(path: configPath))?.controlSocket }

    /// Whether the log since the last launch has a line ending in `suffix`.
    public func logged(_ suffix: String) -> Bool {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: logPath)), data.count > Int(startOffset) else { return false }
        return String(decoding: data[Int(startOffset)...], as: UTF8.self).split(separator: "\n").contains { $0.hasSuffix(suffix) }
    }

    static func port(_ lines: [Substring], _ suffix: String, key: String = "listen.port=") -> Int? {
        guard let line = lines.last(where: { $0.hasSuffix(suffix) }), let range = line.range(of: key) else {
            return nil
        }
        return Int(line[range.upperBound...].prefix(while: \.isNumber))
    }

    /// The metrics endpoint's port, from its log line, once it is listening (nil after 20 s).
    public func metricsPort() -> Int? {
        Wait.value(every: 0.005) { Self.port(log.split(separator: "\n"), "] metrics at /metrics", key: "metrics.port=") }
    }

    /// The dashboard's port, from its log line, once it is listening (nil after 20 s).
    public func dashboardPort() -> Int? {
        Wait.value(every: 0.005) { Self.port(log.split(separator: "\n"), "] dashboard listening", key: "dashboard.port=") }
    }

    /// `hotlined` with `arguments`, run to its end as the service user (as the unit runs it):
    /// exit status and output.
    public static func runHotlined(_ files: Files, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try run(command: ServiceIdentity.launcher + [ServiceIdentity.executable(files.hotlined)] + arguments)
    }

    /// A connection authenticated as a commune's gateway (sample demo tokens).
    public func gateway(_ commune: String = "14320") throws -> LineClient {
        let c = try LineClient(port: port)
        _ = try c.readLine()
        let reply = try c.request("AUTH HL-\(commune) demo-HL-\(commune)")
        guard HLPReply.isOK(reply) else { throw LineClient.Failure(description: "AUTH failed: \(reply)") }
        return c
    }

    /// SIGTERM (graceful) or SIGKILL, and wait for the process to end.
    public func kill(_ signal: Int32) {
        guard let p = process else { return }
        Glibc.kill(p.processIdentifier, signal)
        p.waitUntilExit()
    }

    /// Runs a tool built next to `hotlined` (hotlinectl, hotline-gateway), or any absolute path.
    public func run(_ tool: String, _ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        try Self.run(command: [tool.hasPrefix("/") ? tool : files.tool(tool)] + arguments, stdin: stdin)
    }

    /// Runs a command to its end: exit status and output (standard output and error).
    public static func run(command: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The built `hotlinectl` with this daemon's configuration (as the caller's user: an
    /// operator, root in CI).
    public func hotlinectl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try run("hotlinectl", ["--config", configPath] + arguments)
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// User + system CPU time of the daemon so far, in milliseconds.
    public var cpuMilliseconds: Int {
        guard let p = process, let stat = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: utime and stime are fields 14 and 15 (1-based in proc(5)).
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
        return (user + system) * 1000 / Int(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory of the daemon, bytes (VmRSS).
    public var residentBytes: Int {
        guard let p = process, let status = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    /// A loopback port that was free a moment ago (bound, read, released). Only for what the
    /// harness cannot bind itself: a port handed to systemd-socket-activate, or to a test's
    /// own relay; the daemon's ports come from port 0.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length)
                return getsockname(fd, sa, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
