import ArgumentParser
import Foundation
import HotlineBench
import HotlineHarness
import HotlineCore

struct ConnectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections", abstract: "Many authenticated idle gateways; the daemon's resident memory.")
    @OptionGroup var paths: Paths
    @Option var count = 10_000

    func run() throws {
        let folder = Paths.temporary("connections")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let daemon = try DaemonProcess(
            files: .init(hotlined: paths.binary, directory: paths.absoluteDirectory, tokens: paths.absoluteTokens), folder: folder,
            configure: DaemonProcess.unlimited)
        try daemon.start(arguments: ["--log-level", "notice"])
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
