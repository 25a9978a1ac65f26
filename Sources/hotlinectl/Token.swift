import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Issue or revoke gateway tokens (the daemon picks changes up on SIGHUP).",
        subcommands: [Issue.self, Revoke.self])

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new token for a gateway, print it once, store only its SHA-256.")
        @OptionGroup var options: Options
        @Argument(help: "The gateway id, as in hotlines.csv (HL-14638).") var gateway: String

        func run() throws {
            let token = try TokenCommands.issue(gateway: gateway, configuration: options.load())
            if options.json { printJSON(["gateway": .string(gateway), "token": .string(token)]) } else { print(token) }
            FileHandle.standardError.write(
                Data("hotlinectl: new token for \(gateway) written as its hash; give it to the gateway, then reload the daemon (systemctl reload hotlined)\n".utf8))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a gateway's token; on reload its open connections are closed.")
        @OptionGroup var options: Options
        @Argument(help: "The gateway id.") var gateway: String

        func run() throws {
            try TokenCommands.revoke(gateway: gateway, configuration: options.load())
            if options.json { printJSON(["gateway": .string(gateway), "revoked": true]) }
            FileHandle.standardError.write(
                Data("hotlinectl: token of \(gateway) removed; reload the daemon (systemctl reload hotlined)\n".utf8))
        }
    }
}
