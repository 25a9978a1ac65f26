import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One incident, with its history.")
    @OptionGroup var options: Options
    @Argument(help: "The incident id (INC-000001).") var incident: String
    @Flag(help: "Also show caller, summary, close note and retraction reason; the read is recorded in the audit.")
    var personal = false

    func run() throws {
        let o = try options.ask(with(ControlRequest("show")) {
            $0.incident = incident
            $0.personal = personal
        })
        if options.json { return printJSON(o) }
        for (key, value) in o.members where key != "history" && key != "backups" {
            if case let .object(r) = value {
                print("\(SafeText.escaped(key)): \(text(r["id"])) \(text(r["name"])) \(text(r["phone"]))")
            } else {
                print("\(SafeText.escaped(key)): \(text(value))")
            }
        }
        for b in o["backups"]?.arrayValue ?? [] { print("backup: \(text(b.objectValue?["id"])) \(text(b.objectValue?["name"]))") }
        print("history:")
        for h in (o["history"]?.arrayValue ?? []).compactMap(\.objectValue) {
            let rest = h.members.filter { $0.key != "at" && $0.key != "event" }.map { "\(SafeText.escaped($0.key))=\(text($0.value))" }
            print("  \(text(h["at"]))  \(text(h["event"]))  \(rest.joined(separator: " "))")
        }
    }
}
