import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "An incident as the daemon sees it.")
    @OptionGroup var options: GatewayOptions
    @Argument var incident: String

    func run() throws {
        try show(options.load().client().flatMap { $0.status(incident) }, json: options.json)
    }
}

/// ACK, ATTEND, CLOSE or RETRACT with an optional JSON body.
func act(_ options: GatewayOptions, _ verb: String, _ incident: String, _ body: String?) throws {
    var object: JSONObject?
    if let body {
        guard case let .object(o)? = try? JSONParser.parse(body) else { throw ValidationError("the body must be a JSON object") }
        object = o
    }
    try show(options.load().client().flatMap { $0.act(verb, incident, object) }, json: options.json)
}
