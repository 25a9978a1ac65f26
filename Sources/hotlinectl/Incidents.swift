import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Incidents: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List incidents, newest first.")
    @OptionGroup var options: Options
    @Flag(help: "Only incidents not closed.") var open = false
    @Flag(help: "Only open incidents past their watched deadline.") var overdue = false
    @Option(help: "Only this commune (GSO code).") var commune: String?
    @Option(help: "Only this district (code).") var district: String?
    @Option(help: "At most this many.") var limit = 100

    func run() throws {
        var request = ControlRequest("incidents")
        (request.open, request.overdue, request.limit) = (open, overdue, limit)
        (request.commune, request.district) = (commune, district)
        let answer = try options.ask(request)
        if options.json { return printJSON(answer) }
        let rows = (answer["incidents"]?.arrayValue ?? []).compactMap(\.objectValue).map { i in
            [text(i["incident"]), text(i["severity"]), text(i["state"]) + (i["review"] == true ? "*" : ""), text(i["level"]),
             text(i["commune"]), text(i["assigned"]), text(i["callback"]).uppercased(), text(i["reported_at"]), text(i["next_due"])]
        }
        print(Table.render(["INCIDENT", "SEVERITY", "STATE", "LEVEL", "COMMUNE", "ASSIGNED", "CALLBACK", "REPORTED", "DUE"], rows), terminator: "")
        if rows.contains(where: { $0[2].hasSuffix("*") }) { print("* flagged for review (retracted)") }
    }
}
