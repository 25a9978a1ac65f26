import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The real `hotlined` as a child process, for the benchmarks and the crash script.
public final class ChildDaemon {
    public let folder: String
    public let configPath: String
    public let binary: String
    public let port: Int
    public private(set) var process: Process?

    /// Writes a configuration in `folder` listening on a free loopback port.
    public init(binary: String, folder: String, directory: String, tokens: String, extra: String = "") throws {
        self.binary = binary
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
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

    /// Starts the daemon and returns the seconds until it accepted a connection.
    @discardableResult
    public func start() throws -> Double {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--config", configPath, "--log-level", "warning"]
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
