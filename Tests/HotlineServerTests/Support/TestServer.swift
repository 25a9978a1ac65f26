import Foundation
import HotlineCore
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
    static var hotlined: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if url.lastPathComponent.hasSuffix(".xctest") || url.path.contains(".xctest/") {
            while url.lastPathComponent != "debug" && url.lastPathComponent != "release" && url.path != "/" {
                url.deleteLastPathComponent()
            }
        }
        return url.appendingPathComponent("hotlined").path
    }
}

func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "hotline-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The real daemon in-process on port 0, on a real SQLite file.
final class TestServer: @unchecked Sendable {
    let folder: String
    let app: HotlineApp
    let port: Int
    private let task: Task<Void, Error>
    private let group: ServiceGroup

    static func configuration(folder: String) -> Configuration {
        var c = Configuration()
        c.server.host = "127.0.0.1"
        c.server.port = 0
        c.server.name = "test-hotline"
        c.storage.dataDir = folder + "/data"
        c.directoryPath = Repository.sampleDirectory
        c.tokensPath = Repository.sampleTokens
        c.queueFile = folder + "/data/escalations.jsonl"
        c.controlSocket = folder + "/data/control.sock"
        // Functional tests pipeline thousands of requests; the limits get their own tests.
        c.limits.rate = 1_000_000
        c.limits.burst = 1_000_000
        return c
    }

    /// A configuration file in `folder` that reload() can read again.
    static func writeConfigFile(folder: String, tokens: String) throws -> String {
        let path = folder + "/hotlined.toml"
        try """
            [server]
            listen = "127.0.0.1:0"
            name = "test-hotline"
            [storage]
            data_dir = "data"
            [directory]
            path = "\(Repository.sampleDirectory)"
            [gateways]
            tokens = "\(tokens)"
            [escalation]
            queue_file = "data/escalations.jsonl"
            [control]
            socket = "data/control.sock"
            [limits]
            rate = 1000000
            burst = 1000000
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    init(folder: String = temporaryFolder(), configFile: String? = nil, configure: (inout Configuration) -> Void = { _ in })
        async throws
    {
        self.folder = folder
        var c = try configFile.map { try Configuration.load(path: $0) } ?? Self.configuration(folder: folder)
        configure(&c)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        app = try HotlineApp(configuration: c, logger: logger)
        group = app.serviceGroup(signals: false)
        let group = self.group
        task = Task { try await group.run() }
        port = try await app.server.listeningPort()
    }

    func client() throws -> TestClient { try TestClient(port: port) }

    /// An authenticated client for a commune's gateway (sample demo tokens).
    func gateway(_ commune: String = "14320") throws -> TestClient {
        let c = try client()
        _ = try c.readLine()
        let reply = try c.request("AUTH HL-\(commune) demo-HL-\(commune)")
        guard reply.hasPrefix("OK ") else { throw TestClient.Failure(description: "AUTH failed: \(reply)") }
        return c
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

/// Parses an `OK {json}` reply.
func okObject(_ line: String) throws -> JSONObject {
    guard line.hasPrefix("OK "), case let .object(o) = try JSONParser.parse(String(line.dropFirst(3))) else {
        throw TestClient.Failure(description: "not an OK object: \(line)")
    }
    return o
}

func errCode(_ line: String) -> String? {
    guard line.hasPrefix("ERR ") else { return nil }
    return line.dropFirst(4).split(separator: " ", maxSplits: 1).first.map(String.init)
}
