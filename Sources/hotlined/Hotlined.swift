import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineServer
import Logging

@main
struct Hotlined: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotlined",
        abstract: "The Hotline intake daemon: takes incident reports from commune hotline gateways (HLP/1).")

    @Option(name: .long, help: "The configuration file (TOML).")
    var config: String = "/etc/hotline/hotlined.toml"

    @Flag(name: .long, help: "Check the configuration, directory and tokens, then exit.")
    var checkConfig = false

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        umask(0o077)
        LoggingSystem.bootstrap { label in
            var handler = SafeLogHandler(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "hotlined")
        do {
            let configuration = try Configuration.load(path: config)
            if checkConfig {
                let snapshot = try HotlineApp.loadSnapshot(configuration, logger: logger)
                print(
                    "configuration OK: \(config) (\(snapshot.directory.communes.count) communes, \(snapshot.directory.responders.count) responders, \(snapshot.tokens.hashes.count) gateway tokens)"
                )
                return
            }
            let app = try HotlineApp(configuration: configuration, logger: logger)
            try await app.serviceGroup(signals: true).run()
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("hotlined: \(error.message)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
