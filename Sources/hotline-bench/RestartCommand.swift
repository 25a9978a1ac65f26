import ArgumentParser
import Foundation
import HotlineBench
import HotlineHarness
import HotlineCore

struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Time from start to ready with many stored and open incidents.")
    @OptionGroup var paths: Paths
    @Option var stored = 1_000_000
    @Option var open = 100_000
    @Flag(help: "Keep the folder (its seeded store) for profiling a start; prints where it is.")
    var keep = false

    func run() throws {
        let folder = Paths.temporary("restart")
        defer {
            if keep { print("kept        \(folder)") } else { try? FileManager.default.removeItem(atPath: folder) }
        }
        let daemon = try DaemonProcess(
            files: .init(hotlined: paths.binary, directory: paths.absoluteDirectory, tokens: paths.absoluteTokens), folder: folder,
            configure: DaemonProcess.unlimited)
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        let begin = Date()
        try StoreSeeder.seed(
            path: folder + "/data/hotline.sqlite", closed: stored - open, open: open,
            due: Timestamp(seconds: Int64(Date().timeIntervalSince1970) + 86_400))
        print(String(format: "seeded      %d incidents (%d open) in %.1f s", stored, open, Date().timeIntervalSince(begin)))
        var times: [Double] = []
        for _ in 0..<3 {
            times.append(try daemon.start(arguments: ["--log-level", "notice"]))
            daemon.kill(SIGTERM)
        }
        print("ready in    " + times.map { String(format: "%.3f s", $0) }.joined(separator: ", ") + " (spawn to the `listening` log line; 3 starts)")
    }
}
