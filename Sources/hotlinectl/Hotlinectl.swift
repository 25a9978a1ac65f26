import ArgumentParser
import Foundation
import HotlineControl
import HotlineServer

@main
struct Hotlinectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotlinectl",
        abstract: "Operator tool for the Hotline daemon.",
        subcommands: [Token.self])
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The daemon's configuration file.")
    var config = "/etc/hotline/hotlined.toml"

    func load() throws -> HotlineServer.Configuration {
        do {
            return try HotlineServer.Configuration.load(path: config)
        } catch {
            throw ValidationError(error.message)
        }
    }
}

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Issue or revoke gateway tokens (the daemon picks changes up on SIGHUP).",
        subcommands: [Issue.self, Revoke.self])

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new token for a gateway, print it once, store only its SHA-256.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The gateway id, as in hotlines.csv (HL-14638).") var gateway: String

        func run() throws {
            let token = try TokenCommands.issue(gateway: gateway, configuration: options.load())
            print(token)
            FileHandle.standardError.write(
                Data("hotlinectl: new token for \(gateway) written as its hash; give it to the gateway, then reload the daemon (systemctl reload hotlined)\n".utf8))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a gateway's token; on reload its open connections are closed.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The gateway id.") var gateway: String

        func run() throws {
            try TokenCommands.revoke(gateway: gateway, configuration: options.load())
            FileHandle.standardError.write(
                Data("hotlinectl: token of \(gateway) removed; reload the daemon (systemctl reload hotlined)\n".utf8))
        }
    }
}
