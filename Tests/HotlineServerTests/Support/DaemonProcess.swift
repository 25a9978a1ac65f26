import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The built `hotlined` run as a child process on a configuration in a temporary folder.
final class DaemonProcess {
    let folder: String
    let configPath: String
    let logPath: String
    private(set) var process: Process?
    private(set) var port = 0

    init(folder: String = temporaryFolder(), port: Int = 0, extra: String = "") throws {
        self.folder = folder
        configPath = folder + "/hotlined.toml"
        logPath = folder + "/hotlined.log"
        let toml = """
            [server]
            listen = "127.0.0.1:\(port)"
            name = "crash-test"
            [storage]
            data_dir = "data"
            [directory]
            path = "\(Repository.sampleDirectory)"
            [gateways]
            tokens = "\(Repository.sampleTokens)"
            [control]
            socket = "data/control.sock"
            [limits]
            rate = 1000000
            burst = 1000000
            [escalation]
            queue_file = "data/escalations.jsonl"
            \(extra)
            """
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts the daemon and waits until it logs the port it listens on.
    func start(arguments: [String] = [], environment: [String: String] = [:], launcher: [String] = []) throws {
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        let p = Process()
        let command = launcher + [Repository.hotlined, "--config", configPath] + arguments
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.standardError = log
        p.standardOutput = log
        let startOffset = (try? Data(contentsOf: URL(fileURLWithPath: logPath)).count) ?? 0
        try p.run()
        process = p
        if !launcher.isEmpty { return }  // socket activation: the daemon starts on first connection
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let data = try? Data(contentsOf: URL(fileURLWithPath: logPath)), data.count > startOffset {
                let text = String(decoding: data[startOffset...], as: UTF8.self)
                if let range = text.range(of: "listen.port=") {
                    port = Int(text[range.upperBound...].prefix(while: \.isNumber)) ?? 0
                    return
                }
            }
            guard p.isRunning else { throw TestClient.Failure(description: "hotlined exited: \(log)") }
            usleep(20_000)
        }
        throw TestClient.Failure(description: "hotlined did not start listening")
    }

    func kill(_ signal: Int32) {
        guard let p = process else { return }
        Foundation.kill(p.processIdentifier, signal)
        p.waitUntilExit()
    }

    /// Runs a built executable next to `hotlined` (hotlinectl, hotline-gateway).
    static func run(_ tool: String, _ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool.hasPrefix("/") ? tool : (Repository.hotlined as NSString).deletingLastPathComponent + "/" + tool)
        p.arguments = arguments
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

    /// Runs the built `hotlinectl` with this daemon's configuration.
    func hotlinectl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: (Repository.hotlined as NSString).deletingLastPathComponent + "/hotlinectl")
        p.arguments = ["--config", configPath] + arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
