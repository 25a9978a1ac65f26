import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Who read personal data and who acted on cases, newest first.")
    @OptionGroup var options: Options
    @Option(help: "Only this incident.") var incident: String?
    @Option(name: .customLong("operator"), help: "Only this operator (Unix user) or gateway id.") var actor: String?
    @Option(help: "Only records at or after this RFC 3339 time.") var since: String?
    @Option(help: "At most this many.") var limit = 100

    func run() throws {
        var request = ControlRequest("audit")
        (request.limit, request.incident, request.operator, request.since) = (limit, incident, actor, since)
        let answer = try options.ask(request)
        if options.json { return printJSON(answer) }
        let rows = (answer["audit"]?.arrayValue ?? []).compactMap(\.objectValue).map { r in
            [text(r["at"]), text(r["actor_kind"]), text(r["actor"]), text(r["peer"]), text(r["incident"]), text(r["action"]),
             (r["shown"]?.arrayValue ?? []).compactMap(\.stringValue).map { SafeText.escaped($0) }.joined(separator: ",")]
        }
        print(Table.render(["AT", "KIND", "WHO", "PEER", "INCIDENT", "ACTION", "SHOWN"], rows), terminator: "")
    }
}
