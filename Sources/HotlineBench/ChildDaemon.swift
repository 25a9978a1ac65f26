import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The real `hotlined` as a child process, for the benchmarks and the crash script. Started by
/// root (as CI does), it runs the way the systemd unit runs it: as `nobody` with no
/// capabilities and no-new-privileges, on a folder that user owns, holding its own copy of the
/// directory and tokens (and of the binary, if the build folder is closed to that user).
public final class ChildDaemon {
    public let folder: String
    public let configPath: String
    public let binary: String
    public let port: Int
    public private(set) var process: Process?
    /// The command prefix that drops privileges (empty unless started by root).
    private let launcher: [String]

    /// Writes a configuration in `folder` listening on a free loopback port.
    public init(binary: String, folder: String, directory: String, tokens: String, extra: String = "") throws {
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var directory = directory
        var tokens = tokens
        var binary = binary
        if geteuid() == 0 {
            let uid = getpwnam("nobody")?.pointee.pw_uid ?? 65_534
            let gid = getgrnam("nogroup")?.pointee.gr_gid ?? 65_534
            launcher = [
                "/usr/bin/setpriv", "--reuid", "\(uid)", "--regid", "\(gid)", "--init-groups", "--no-new-privs",
                "--bounding-set=-all",
            ]
            let fm = FileManager.default
            try? fm.removeItem(atPath: folder + "/directory")
            try fm.copyItem(atPath: directory, toPath: folder + "/directory")
            directory = folder + "/directory"
            try? fm.removeItem(atPath: folder + "/gateways.tokens")
            try fm.copyItem(atPath: tokens, toPath: folder + "/gateways.tokens")
            chmod(folder + "/gateways.tokens", 0o640)
            tokens = folder + "/gateways.tokens"
            if Self.run(launcher + ["/usr/bin/test", "-x", binary]) != 0 {
                try? fm.removeItem(atPath: folder + "/hotlined")
                try fm.copyItem(atPath: binary, toPath: folder + "/hotlined")
                chmod(folder + "/hotlined", 0o755)
                binary = folder + "/hotlined"
            }
        } else {
            launcher = []
        }
        self.binary = binary
        port = Self.freePort()
        configPath = folder + "/hotlined.toml"
        try """
            [server]
            listen = "127.0.0.1:\(port)"
            name = "bench"
            [storage]
            data_dir = "data"
            [directory]
            path = "\(directory)"
            [gateways]
            tokens = "\(tokens)"
            [escalation]
            queue_file = "data/escalations.jsonl"
            [control]
            socket = "data/control.sock"
            [limits]
            rate = 1000000
            burst = 1000000
            max_connections = 100000
            max_connections_per_peer = 100000
            max_unauthenticated = 100000
            max_unauthenticated_per_peer = 100000
            pre_auth_rate = 1000000
            pre_auth_burst = 1000000
            idle_timeout = "1h"
            \(extra)
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

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

    /// Gives the folder (recursively) to the service user, so that the daemon owns its files.
    private func ownFolder() {
        guard !launcher.isEmpty else { return }
        _ = Self.run(["/bin/chown", "-R", "\(launcher[2]):\(launcher[4])", folder])
    }

    /// Starts the daemon and returns the seconds until it accepted a connection.
    @discardableResult
    public func start() throws -> Double {
        ownFolder()
        let p = Process()
        let command = launcher + [binary, "--config", configPath, "--log-level", "warning"]
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        let log = folder + "/hotlined.log"
        if !FileManager.default.fileExists(atPath: log) { FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        p.standardError = handle
        p.standardOutput = handle
        let begin = DispatchTime.now().uptimeNanoseconds
        try p.run()
        process = p
        while true {
            if let c = try? BlockingLineClient(host: "127.0.0.1", port: port, timeoutSeconds: 5), (try? c.readLine()) != nil {
                return Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
            }
            guard p.isRunning else { throw BlockingLineClient.Failure(description: "hotlined exited; see \(log)") }
            usleep(2_000)
        }
    }

    public func kill(_ signal: Int32) {
        guard let p = process else { return }
        Glibc.kill(p.processIdentifier, signal)
        p.waitUntilExit()
        process = nil
    }

    /// Resident memory of the daemon, bytes (VmRSS).
    /// User + system CPU time of the daemon so far, in milliseconds.
    public var cpuMilliseconds: Int {
        guard let p = process, let stat = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
        return (user + system) * 1000 / Int(sysconf(Int32(_SC_CLK_TCK)))
    }

    public var residentBytes: Int {
        guard let p = process, let status = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
}
