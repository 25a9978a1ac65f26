import ArgumentParser
import Foundation
import HotlineBench
import HotlineConfiguration
import HotlineCore
import HotlineHarness
import HotlineServer
import Logging

@main
struct LoadGen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-loadgen",
        abstract: "Closed-loop load on the intake: N connections x pipeline P, prints receipts/s and latency.",
        discussion: """
            Without --connect it starts the built hotlined as a child process (as the service user when run by \
            root) on a fresh data folder (sample directory, demo tokens, a real SQLite file with \
            synchronous=FULL), loads it over loopback TCP and prints the daemon's CPU time per receipt. \
            --in-process runs the daemon inside this process instead: it shares the cores with the load \
            and misleads; kept for profiling the two together.
            """)

    @Option(help: "Connections (gateways), each authenticated as a different sample hotline.")
    var connections = 1
    @Option(help: "Reports kept in flight per connection.")
    var pipeline = 1
    @Option(help: "Total reports.")
    var reports = 10_000
    @Option(help: "Open loop: reports per second offered in all; latency counts from each scheduled send time.")
    var rate: Double?
    @Option(help: "HOST:PORT of a running daemon; default: start one as a child process.")
    var connect: String?
    @Flag(help: "Run the daemon in this process (shares the cores with the load client).")
    var inProcess = false
    @Option(help: "The hotlined to start; default: the one built next to hotline-loadgen.")
    var hotlined: String?
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
        var child: DaemonProcess?
        var folder: String?
        if let connect {
            guard let colon = connect.lastIndex(of: ":"), let p = Int(connect[connect.index(after: colon)...]) else {
                throw ValidationError("--connect takes HOST:PORT")
            }
            host = String(connect[..<colon])
            port = p
        } else if inProcess {
            let f = NSTemporaryDirectory() + "hotline-loadgen-" + UUID().uuidString
            folder = f
            var c = DaemonProcess.configuration(folder: f)
            DaemonProcess.unlimited(&c)
            c.directoryPath = directory
            c.tokensPath = tokens
            let a = try HotlineApp(configuration: c, logger: Logger(label: "loadgen", factory: { _ in SwiftLogNoOpLogHandler() }))
            app = a
            let group = a.serviceGroup(signals: false)
            Task { try await group.run() }
            port = try await a.server.listeningPort()
        } else {
            let f = NSTemporaryDirectory() + "hotline-loadgen-" + UUID().uuidString
            folder = f
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            let binary = hotlined ?? ((exe as NSString).deletingLastPathComponent + "/hotlined")
            let d = try DaemonProcess(
                files: .init(hotlined: binary, directory: directory, tokens: tokens), folder: f, configure: DaemonProcess.unlimited)
            try d.start(arguments: ["--log-level", "notice"])
            child = d
            port = d.port
        }
        let cpuBefore = child?.cpuMilliseconds ?? 0
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
        if let child {
            let cpu = child.cpuMilliseconds - cpuBefore
            print(
                String(
                    format: "daemon CPU  %.2f s user+system, %.1f µs per receipt (%.0f %% of one core)", Double(cpu) / 1000,
                    Double(cpu) * 1000 / Double(max(1, result.receipts)), Double(cpu) / 10 / max(result.seconds, 0.001)))
            child.kill(SIGTERM)
        }
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
