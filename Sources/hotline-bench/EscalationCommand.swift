import ArgumentParser
import Foundation
import HotlineBench
import HotlineCore
import HotlineHarness

struct EscalationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "escalation", abstract: "Escalation lateness with many incidents due in the same second.")
    @Option var open = 100_000
    @Option(help: "Spread the deadlines evenly over this many seconds (1: all due together).") var spread = 1
    @Option(help: "sqlite, or postgresql (a throwaway server on loopback; needs Debian's postgresql).")
    var backend: StoreBackend = .sqlite
    @Flag(help: "The writer reads and decides each run itself, as before the reader-prepared runs (SQLite; for comparison).")
    var readOnWriter = false

    func run() async throws {
        let folder = Paths.temporary("escalation")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = try await EscalationBenchmark.run(open: open, spread: spread, folder: folder, backend: backend, readOnWriter: readOnWriter)
        print("escalation  \(backend)\(readOnWriter ? " (read on the writer)" : ""): \(r.incidents) open incidents, deadlines \(spread == 1 ? "all in one second" : "spread over \(spread) s"), \(r.runs) transactions")
        print(String(format: "lateness    p50 %.3f s  p99 %.3f s  max %.3f s (from the start of the due second to the commit)", r.p50, r.p99, r.max))
    }
}

extension StoreBackend: ExpressibleByArgument {}
