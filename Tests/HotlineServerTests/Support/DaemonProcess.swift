import Foundation
import HotlineConfiguration
import HotlineServer
#if canImport(Glibc)
import Glibc
#endif

/// Who the daemon runs as in tests: the way `systemd/hotlined.service` runs it. When the tests
/// run as root (CI does), the daemon runs as an unprivileged user with no capabilities and
/// no-new-privileges, on files that user owns; otherwise as the current user.
enum ServiceIdentity {
    /// The unprivileged account (nobody:nogroup), or nil when the tests are not root.
    static let account: (uid: uid_t, gid: gid_t)? = {
        guard geteuid() == 0 else { return nil }
        let uid = getpwnam("nobody")?.pointee.pw_uid ?? 65_534
        let gid = getgrnam("nogroup")?.pointee.gr_gid ?? 65_534
        return (uid, gid)
    }()

    /// The command prefix that drops to the account, as the unit does (User=, no capabilities,
    /// NoNewPrivileges=).
    static var launcher: [String] {
        guard let account else { return [] }
        return [
            "/usr/bin/setpriv", "--reuid", "\(account.uid)", "--regid", "\(account.gid)", "--init-groups",
            "--no-new-privs", "--bounding-set=-all",
        ]
    }

    /// Gives `path` (recursively) to the account, so that the daemon owns its files.
    static func own(_ path: String) {
        guard let account else { return }
        func chownTree(_ p: String) {
            lchown(p, account.uid, account.gid)
            if let children = try? FileManager.default.contentsOfDirectory(atPath: p) {
                for c in children { chownTree(p + "/" + c) }
            }
        }
        chownTree(path)
    }

    /// A `hotlined` the account can execute: the built one, or (when a folder above it is
    /// closed to the account, as under /root) a copy in a shared temporary folder.
    static let hotlined: String = {
        let built = Repository.hotlined
        guard account != nil else { return built }
        if run(launcher + ["/usr/bin/test", "-x", built]) == 0 { return built }
        let folder = NSTemporaryDirectory() + "hotline-deployed-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        chmod(folder, 0o755)
        let copy = folder + "/hotlined"
        try? FileManager.default.copyItem(atPath: built, toPath: copy)
        chmod(copy, 0o755)
        return copy
    }()

    static func run(_ command: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}

/// The built `hotlined` run as a child process, as the service user, on a configuration in a
/// temporary folder that holds everything it needs (directory and token file copied in).
final class DaemonProcess {
    let folder: String
    let configPath: String
    let logPath: String
    private(set) var process: Process?
    private(set) var port = 0
    private(set) var tlsPort: Int?

    /// The configuration the daemon is started with; `configure` adjusts the defaults.
    static func configuration(folder: String, port: Int = 0) -> Configuration {
        var c = Configuration()
        c.server.host = "127.0.0.1"
        c.server.port = port
        c.server.name = "test-hotline"
        c.storage.dataDir = folder + "/data"
        c.directoryPath = folder + "/directory"
        c.tokensPath = folder + "/gateways.tokens"
        c.queueFile = folder + "/data/escalations.jsonl"
        c.controlSocket = folder + "/data/control.sock"
        // Functional tests pipeline thousands of requests; the limits get their own tests.
        c.limits.rate = 1_000_000
        c.limits.burst = 1_000_000
        return c
    }

    /// Writes the configuration (and copies the sample directory and tokens into `folder`,
    /// unless it has them) for a daemon not yet started.
    init(folder: String = temporaryFolder(), port: Int = 0, configure: (inout Configuration) -> Void = { _ in }) throws {
        self.folder = folder
        configPath = folder + "/hotlined.toml"
        logPath = folder + "/hotlined.log"
        try Self.provision(folder)
        var c = Self.configuration(folder: folder, port: port)
        configure(&c)
        try c.tomlText.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o644)
        ServiceIdentity.own(folder)
    }

    /// Uses an existing configuration file (in `folder`).
    init(folder: String, configFile: String) throws {
        self.folder = folder
        configPath = configFile
        logPath = folder + "/hotlined.log"
        try Self.provision(folder)
        ServiceIdentity.own(folder)
    }

    /// The sample directory and demo tokens, copied into the folder so that the service user
    /// can read them wherever the repository lies.
    static func provision(_ folder: String) throws {
        let fm = FileManager.default
        if !fm.fileExists(atPath: folder + "/directory") {
            try fm.copyItem(atPath: Repository.sampleDirectory, toPath: folder + "/directory")
        }
        if !fm.fileExists(atPath: folder + "/gateways.tokens") {
            try fm.copyItem(atPath: Repository.sampleTokens, toPath: folder + "/gateways.tokens")
            chmod(folder + "/gateways.tokens", 0o640)
        }
    }

    /// Starts the daemon as the service user and waits until it logs the port it listens on.
    func start(arguments: [String] = [], environment: [String: String] = [:], launcher: [String] = []) throws {
        ServiceIdentity.own(folder)
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        let p = Process()
        let command = launcher + ServiceIdentity.launcher + [ServiceIdentity.hotlined, "--config", configPath] + arguments
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.standardError = log
        p.standardOutput = log
        let startOffset = (try? Data(contentsOf: URL(fileURLWithPath: logPath)).count) ?? 0
        try p.run()
        process = p
        if !launcher.isEmpty { return }  // socket activation: the daemon starts on first connection
        let wantsTLS = ((try? String(contentsOfFile: configPath, encoding: .utf8)) ?? "").contains("[tls]")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let data = try? Data(contentsOf: URL(fileURLWithPath: logPath)), data.count > startOffset {
                let text = String(decoding: data[startOffset...], as: UTF8.self)
                if let line = text.split(separator: "\n").first(where: { $0.hasSuffix("] listening") }),
                    let range = line.range(of: "listen.port=")
                {
                    port = Int(line[range.upperBound...].prefix(while: \.isNumber)) ?? 0
                    if let tls = text.split(separator: "\n").first(where: { $0.hasSuffix("] listening (TLS)") }),
                        let r = tls.range(of: "listen.port=")
                    {
                        tlsPort = Int(tls[r.upperBound...].prefix(while: \.isNumber))
                    }
                    if !wantsTLS || tlsPort != nil { return }
                }
            }
            guard p.isRunning else { throw TestClient.Failure(description: "hotlined exited: \(self.log)") }
            usleep(20_000)
        }
        throw TestClient.Failure(description: "hotlined did not start listening: \(self.log)")
    }

    /// `hotlined` with `arguments`, run to its end as the service user (as the unit runs it):
    /// exit status and output.
    static func runHotlined(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try run(command: ServiceIdentity.launcher + [ServiceIdentity.hotlined] + arguments)
    }

    /// A connection authenticated as a commune's gateway (sample demo tokens).
    func gateway(_ commune: String = "14320") throws -> TestClient {
        let c = try TestClient(port: port)
        _ = try c.readLine()
        let reply = try c.request("AUTH HL-\(commune) demo-HL-\(commune)")
        guard reply.hasPrefix("OK ") else { throw TestClient.Failure(description: "AUTH failed: \(reply)") }
        return c
    }

    /// SIGTERM (graceful) or SIGKILL, and wait for the process to end.
    func kill(_ signal: Int32) {
        guard let p = process else { return }
        Foundation.kill(p.processIdentifier, signal)
        p.waitUntilExit()
    }

    /// Runs a built executable next to `hotlined` (hotlinectl, hotline-gateway).
    static func run(_ tool: String, _ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        let path = tool.hasPrefix("/") ? tool : (Repository.hotlined as NSString).deletingLastPathComponent + "/" + tool
        return try run(command: [path] + arguments, stdin: stdin)
    }

    /// Runs a command to its end: exit status and output (standard output and error).
    static func run(command: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
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

    /// A free loopback port (bound, read, released).
    static func freePort() -> Int {
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

    /// Runs the built `hotlinectl` with this daemon's configuration (as the test's user: an
    /// operator, root in CI).
    func hotlinectl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try Self.run("hotlinectl", ["--config", configPath] + arguments)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
