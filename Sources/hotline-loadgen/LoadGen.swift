import ArgumentParser
import Foundation
import HotlineBench
import HotlineConfiguration
import HotlineCore
import HotlineServer
import Logging

@main
struct LoadGen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-loadgen",
        abstract: "Closed-loop load on the intake: N connections x pipeline P, prints receipts/s and latency.",
        discussion: """
            Without --connect it starts the daemon in-process on a fresh data folder (sample directory,
            demo tokens, a real SQLite file with synchronous=FULL) and loads it over loopback TCP.
            """)

    @Option(help: "Connections (gateways), each authenticated as a different sample hotline.")
    var connections = 1
    @Option(help: "Reports kept in flight per connection.")
    var pipeline = 1
    @Option(help: "Total reports.")
    var reports = 10_000
    @Option(help: "Open loop: reports per second offered in all; latency counts from each scheduled send time.")
    var rate: Double?
    @Option(help: "HOST:PORT of a running daemon; default: start one in-process.")
    var connect: String?
    @Option(help: "Token prefix of the sample demo tokens.")
    var tokenPrefix = "demo-"
    @Option(help: "The directory folder whose hotlines.csv lists the gateways.")
    var directory = "Config/ninh-binh"
    @Option(help: "The token file of the in-process daemon.")
    var tokens = "Config/gateways.tokens"

    func validate() throws {
        guard connections >= 1, pipeline >= 1, reports >= connections else {
            throw ValidationError("need connections >= 1, pipeline >= 1 and reports >= connections")
        }
    }

    func run() async throws {
        let dir = try DirectoryLoader.load(folder: directory)
        let gateways = dir.hotlines.values.sorted { $0.id < $1.id }.map { (id: $0.id, commune: $0.communeCode) }
        var host = "127.0.0.1", port = 0
        var app: HotlineApp?
        var folder: String?
        if let connect {
            guard let colon = connect.lastIndex(of: ":"), let p = Int(connect[connect.index(after: colon)...]) else {
                throw ValidationError("--connect takes HOST:PORT")
            }
            host = String(connect[..<colon])
            port = p
        } else {
            let f = NSTemporaryDirectory() + "hotline-loadgen-" + UUID().uuidString
            folder = f
            var c = Configuration()
            c.server.port = 0
            c.storage.dataDir = f
            c.directoryPath = directory
            c.tokensPath = tokens
            c.queueFile = f + "/escalations.jsonl"
            c.controlSocket = f + "/control.sock"
            c.limits.rate = 10_000_000
            c.limits.burst = 10_000_000
            c.limits.maxConnectionsPerPeer = 100_000
            c.limits.maxConnections = 100_000
            // Every load connection comes from one address and connects at once.
            c.limits.maxUnauthenticated = 100_000
            c.limits.maxUnauthenticatedPerPeer = 100_000
            c.limits.preAuthRate = 10_000_000
            c.limits.preAuthBurst = 10_000_000
            let a = try HotlineApp(configuration: c, logger: Logger(label: "loadgen", factory: { _ in SwiftLogNoOpLogHandler() }))
            app = a
            let group = a.serviceGroup(signals: false)
            Task { try await group.run() }
            port = try await a.server.listeningPort()
            _ = group
        }
        let options = LoadGenerator.Options(
            host: host, port: port, connections: connections, pipeline: pipeline, reports: reports,
            gateways: gateways, tokenPrefix: tokenPrefix, runID: String(UUID().uuidString.prefix(8)), rate: rate)
        let result = try await Task.detached { try LoadGenerator.run(options) }.value
        func ms(_ s: Double) -> String { String(format: "%.2f ms", s * 1000) }
        if let rate {
            print("open loop   \(Int(rate)) reports/s offered over \(connections) connections, \(result.receipts) receipts, \(result.errors) errors")
        } else {
            print("connections \(connections) x pipeline \(pipeline), \(result.receipts) receipts, \(result.errors) errors")
        }
        print(String(format: "throughput  %.0f receipts/s over %.2f s", result.perSecond, result.seconds))
        print(
            "latency     p50 \(ms(result.percentile(50)))  p90 \(ms(result.percentile(90)))  p99 \(ms(result.percentile(99)))  max \(ms(result.latencies.last ?? 0))"
        )
        if let app {
            let stats = app.state.store.stats
            print(
                String(
                    format: "store       %d commits, %.1f reports per commit (group commit)", stats.commits,
                    Double(stats.reports) / Double(max(1, stats.commits))))
            app.state.store.close()
        }
        if let folder { try? FileManager.default.removeItem(atPath: folder) }
    }
}
