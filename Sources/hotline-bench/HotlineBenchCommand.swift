import ArgumentParser
import Foundation
import HotlineBench
import HotlineCore

@main
struct HotlineBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-bench",
        abstract: "Benchmarks and the crash-safety script; each prints its figures.",
        discussion: "Build with -c release. The intake load generator is hotline-loadgen.",
        subcommands: [TriageCommand.self, EscalationCommand.self, RestartCommand.self, ConnectionsCommand.self, CrashCommand.self])
}

/// Where the daemon binary and the sample files are.
struct Paths: ParsableArguments {
    @Option(help: "The hotlined binary (default: next to this one).") var hotlined: String?
    @Option(help: "The sample directory folder.") var directory = "Config/ninh-binh"
    @Option(help: "The sample token file (demo tokens).") var tokens = "Config/gateways.tokens"

    var binary: String {
        hotlined ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hotlined").path
    }
    var absoluteDirectory: String { URL(fileURLWithPath: directory).standardizedFileURL.path }
    var absoluteTokens: String { URL(fileURLWithPath: tokens).standardizedFileURL.path }

    func gateways() throws -> [(id: String, commune: String)] {
        try DirectoryLoader.load(folder: directory).hotlines.values.sorted { $0.id < $1.id }.map { ($0.id, $0.communeCode) }
    }

    static func temporary(_ name: String) -> String {
        NSTemporaryDirectory() + "hotline-\(name)-" + UUID().uuidString
    }
}

struct TriageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triage", abstract: "Nearest-eligible lookup on a generated national directory.")
    @Option var queries = 100_000
    @Option var communes = 10_600
    @Option var responders = 100_000

    func run() {
        let r = TriageBenchmark.run(queries: queries, communes: communes, responders: responders)
        print("directory   \(r.responders) responders in \(r.communes) communes, index built in \(String(format: "%.2f", r.buildSeconds)) s")
        print("triage      \(String(format: "%.1f", r.nanosecondsPerTriage / 1000)) µs per report (assignee, 2 backups, shelter) over \(r.queries) random reports")
        print("brute force \(String(format: "%.1f", r.nanosecondsBruteForce / 1000)) µs per report (linear scan, for scale)")
    }
}

struct EscalationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "escalation", abstract: "Escalation lateness with many incidents due in the same second.")
    @Option var open = 100_000
    @Option(help: "Spread the deadlines evenly over this many seconds (1: all due together).") var spread = 1

    func run() async throws {
        let folder = Paths.temporary("escalation")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = try await EscalationBenchmark.run(open: open, spread: spread, folder: folder)
        print("escalation  \(r.incidents) open incidents, deadlines \(spread == 1 ? "all in one second" : "spread over \(spread) s"), \(r.runs) transactions")
        print(String(format: "lateness    p50 %.3f s  p99 %.3f s  max %.3f s (from the start of the due second to the commit)", r.p50, r.p99, r.max))
    }
}

struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Time from start to ready with many stored and open incidents.")
    @OptionGroup var paths: Paths
    @Option var stored = 1_000_000
    @Option var open = 100_000

    func run() throws {
        let folder = Paths.temporary("restart")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let daemon = try ChildDaemon(binary: paths.binary, folder: folder, directory: paths.absoluteDirectory, tokens: paths.absoluteTokens)
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        let begin = Date()
        try StoreSeeder.seed(
            path: folder + "/data/hotline.sqlite", closed: stored - open, open: open,
            due: Timestamp(seconds: Int64(Date().timeIntervalSince1970) + 86_400))
        print(String(format: "seeded      %d incidents (%d open) in %.1f s", stored, open, Date().timeIntervalSince(begin)))
        var times: [Double] = []
        for _ in 0..<3 {
            times.append(try daemon.start())
            daemon.kill(SIGTERM)
        }
        print("ready in    " + times.map { String(format: "%.3f s", $0) }.joined(separator: ", ") + " (spawn to first greeting; 3 starts)")
    }
}

struct ConnectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections", abstract: "Many authenticated idle gateways; the daemon's resident memory.")
    @OptionGroup var paths: Paths
    @Option var count = 10_000

    func run() throws {
        let folder = Paths.temporary("connections")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let daemon = try ChildDaemon(binary: paths.binary, folder: folder, directory: paths.absoluteDirectory, tokens: paths.absoluteTokens)
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let r = try ConnectionsBenchmark.run(daemon, connections: count, gateways: try paths.gateways().map(\.id))
        print(String(format: "connections %d authenticated and idle, opened in %.1f s", r.connections, r.seconds))
        print(String(format: "resident    %.1f MB before, %.1f MB with them (%.1f KB per connection)",
                     Double(r.residentBefore) / 1e6, Double(r.residentAfter) / 1e6,
                     Double(r.residentAfter - r.residentBefore) / 1e3 / Double(r.connections)))
        print(String(format: "idle CPU    %d ms in %.0f s with them idle (%.1f %% of one core)",
                     r.idleCPUMilliseconds, r.idleSeconds, Double(r.idleCPUMilliseconds) / r.idleSeconds / 10))
    }
}

struct CrashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash",
        abstract: "Cycles of load, SIGKILL at a random moment, restart and verify (receipts and queue); exit 1 on a loss.")
    @OptionGroup var paths: Paths
    @Option var cycles = 20
    @Option var connections = 64

    func run() throws {
        let folder = Paths.temporary("crash")
        let outcomes = try CrashCycles.run(
            cycles: cycles, binary: paths.binary, folder: folder, directory: paths.absoluteDirectory,
            tokens: paths.absoluteTokens, gateways: try paths.gateways(), connections: connections
        ) { o in
            defer { fflush(nil) }
            print(String(format: "cycle %2d  killed after %.2f s  %6d receipted refs verified  %6d queue records  %@",
                         o.cycle, o.killedAfter, o.receipted, o.queueRecords, o.problem.map { "FAILED: " + $0 } ?? "ok"))
        }
        if outcomes.contains(where: { $0.problem != nil }) || outcomes.count < cycles {
            print("crash: FAILED (data kept in \(folder))")
            throw ExitCode.failure
        }
        try? FileManager.default.removeItem(atPath: folder)
        print("crash: \(cycles) cycles, nothing receipted was lost, queue gapless and chained")
    }
}
