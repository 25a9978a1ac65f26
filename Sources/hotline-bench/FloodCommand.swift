import ArgumentParser
import Foundation
import HotlineBench
import HotlineCore
import HotlineHarness

struct FloodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flood",
        abstract: "Unauthenticated PING floods from one address; an authenticated gateway's PING round trip meanwhile.",
        discussion: """
            The daemon runs with the shipped limits (only the gateway rate is raised). The gateway \
            connects from 127.0.0.2 and sends one PING every 5 ms; ATTACKERS connections from \
            127.0.0.1 write pipelined PINGs as fast as they can, reconnecting when closed. Prints \
            the round trip without the flood, then with it.
            """)
    @OptionGroup var paths: Paths
    @Option(help: "Flooding connections.") var attackers = 32
    @Option(help: "Seconds of each phase.") var seconds = 15.0

    func run() throws {
        let folder = Paths.temporary("flood")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let daemon = try DaemonProcess(
            files: .init(hotlined: paths.binary, directory: paths.absoluteDirectory, tokens: paths.absoluteTokens),
            folder: folder)
        try daemon.start(arguments: ["--log-level", "notice"])
        defer { daemon.kill(SIGTERM) }
        let gateway = try paths.gateways()[0].id
        print("daemon pid \(daemon.process?.processIdentifier ?? 0)")
        for (name, n) in [("quiet", 0), ("flood", attackers)] {
            let r = try FloodBenchmark.run(daemon, attackers: n, seconds: seconds, gateway: gateway)
            print(String(
                format: "%@ %2d attackers: gateway PING p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d pings in %.1f s); attackers sent %.2f GB on %d connections; daemon CPU %.0f %% of a core",
                name, n, r.p50 / 1000, r.p99 / 1000, r.max / 1000, r.pings, r.seconds,
                Double(r.attackerBytes) / 1e9, r.attackerConnections,
                Double(r.daemonCPUMilliseconds) / r.seconds / 10))
        }
    }
}
