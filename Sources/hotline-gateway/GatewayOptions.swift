import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

struct GatewayOptions: ParsableArguments {
    @Option(name: .long, help: "The gateway's configuration file.") var config = "/etc/hotline/gateway.toml"
    @Flag(help: "Print one JSON object instead of text (times RFC 3339, UTC); exit codes unchanged.") var json = false

    func load() throws -> GatewayConfiguration {
        do {
            return try GatewayConfiguration.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("hotline-gateway: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}
