import ArgumentParser
import Foundation
import HotlineBench

struct NotifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "The SMS notifier's lag (record's at to its file) during the escalation storm.")
    @OptionGroup var paths: Paths
    @Option var open = 100_000
    @Option(help: "The notifier's rate per recipient (default as shipped, 5; a large value sends every record as a file).")
    var perRecipient = 5
    @Option(help: "Intake connections meanwhile (0: none).") var connections = 0
    @Option var pipeline = 16

    func run() throws {
        let folder = Paths.temporary("notify")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        chmod(folder, 0o755)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let notify = URL(fileURLWithPath: paths.binary).deletingLastPathComponent().appendingPathComponent("hotline-notify").path
        let r = try NotifyBenchmark.run(
            open: open, perRecipient: perRecipient, intake: connections > 0 ? (connections, pipeline) : nil,
            hotlined: paths.binary, notify: notify, sample: paths.absoluteDirectory, tokens: paths.absoluteTokens, folder: folder)
        print("notify      \(r.records) records in \(String(format: "%.1f", r.seconds)) s from the due second, \(r.files) files spooled (per_recipient \(perRecipient))")
        print(String(format: "lag         handled p50 %.2f s  p99 %.2f s; spooled at once p50 %.2f s  p99 %.2f s (from the record's at, whole seconds)",
                     r.handledP50, r.handledP99, r.spooledP50, r.spooledP99))
        if let i = r.intake {
            print(String(format: "intake      %d × %d meanwhile: %.0f receipts/s, p99 %.1f ms, %d errors", connections, pipeline, i.perSecond, i.percentile(99) * 1000, i.errors))
        }
    }
}
