import ArgumentParser
import Foundation
import HotlineBench
import HotlineCore

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
