import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

struct Retract: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: #"Retract: retract <incident> '{"reason":"…"}'."#)
    @OptionGroup var options: GatewayOptions
    @Argument var incident: String
    @Argument var body: String
    func run() throws { try act(options, "RETRACT", incident, body) }
}

func show(_ result: Result<JSONObject, HLPClientError>, json: Bool) throws {
    switch result {
    case let .success(o):
        print(o.jsonText)
    case let .failure(e) where json:
        print(GatewayJSON.failure(e).jsonText)
        if case .credentials = e { throw ExitCode(Outcome.credentials) }
        throw ExitCode(e.isTemporary ? Outcome.spooled : Outcome.refused)
    case let .failure(.credentials(why)):
        print("not sent: waiting for a valid token: \(why)")
        throw ExitCode(Outcome.credentials)
    case let .failure(e):
        print("\(e.isTemporary ? "unavailable" : "refused"): \(e)")
        throw ExitCode(e.isTemporary ? Outcome.spooled : Outcome.refused)
    }
}
