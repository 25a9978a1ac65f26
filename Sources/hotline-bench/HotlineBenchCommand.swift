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
        subcommands: [NotifyCommand.self, 
            TriageCommand.self, EscalationCommand.self, RestartCommand.self, ConnectionsCommand.self, CrashCommand.self,
            PostgresCommand.self, FloodCommand.self,
        ])
}
