import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Options: ParsableArguments {
    @Option(name: .long, help: "The daemon's configuration file.")
    var config = "/etc/hotline/hotlined.toml"

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func load() throws -> HotlineConfiguration.Configuration {
        do {
            return try HotlineConfiguration.Configuration.load(path: config)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// A typed answer; one that does not decode is an error (exit 1), not a guess.
    func decode<T: ControlAnswer>(_ type: T.Type, _ answer: JSONObject) throws -> T {
        do {
            return try type.init(object: answer)
        } catch {
            complain("the daemon's answer is not what this hotlinectl expects (\(T.self)); are both the same version?")
            throw ExitCode.failure
        }
    }

    /// Sends a control request and returns the answer (errors become exit code 1 with the reason).
    func ask(_ request: ControlRequest) throws -> JSONObject {
        do {
            return try ControlClient.request(socket: load().controlSocket, request)
        } catch let error as ControlClient.Failure {
            complain(error.description)
            throw ExitCode.failure
        }
    }
}
