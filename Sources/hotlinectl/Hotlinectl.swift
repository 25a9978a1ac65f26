import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

@main
struct Main {
    /// `hotlinectl --config FILE <command> …`: options given before the command are moved after
    /// it, so they work in either place.
    static func main() {
        var args = Array(CommandLine.arguments.dropFirst())
        var moved: [String] = []
        var i = 0
        while i < args.count, args[i].hasPrefix("-") {
            if args[i] == "--config", i + 1 < args.count {
                moved += args[i...(i + 1)]
                args.removeSubrange(i...(i + 1))
            } else if args[i].hasPrefix("--config=") || args[i] == "--json" {
                moved.append(args.remove(at: i))
            } else {
                i += 1
            }
        }
        Hotlinectl.main(args + moved)
    }
}

struct Hotlinectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotlinectl",
        abstract: "Operator tool for the Hotline daemon: incidents, the escalation queue, the directory, reports, tokens.",
        discussion: "Finds the daemon's control socket and files through its configuration file (--config).",
        subcommands: [
            Status.self, Incidents.self, Show.self, Reassign.self, Ack.self, Attend.self, Close.self, Tail.self,
            VerifyQueue.self, DirectoryCommand.self, Stats.self, Token.self, Operator.self, Reload.self, Audit.self, Backup.self,
        ])
}
