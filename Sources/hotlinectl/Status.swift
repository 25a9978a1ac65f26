import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Uptime, connections per gateway, open and overdue incidents by severity.")
    @OptionGroup var options: Options

    func run() throws {
        let s = try options.ask(ControlRequest("status"))
        if options.json { return printJSON(s) }
        let up = s["uptime_s"]?.integerValue ?? 0
        print("\(text(s["server"])): up \(up / 3600) h \(up % 3600 / 60) min (since \(text(s["started_at"]))), escalation queue at seq \(text(s["queue_seq"]))")
        let connections = s["connections"]?.objectValue?.members ?? []
        let total = connections.reduce(0) { $0 + ($1.value.integerValue ?? 0) }
        print("connections: \(total)" + (connections.isEmpty ? "" : " (" + connections.map { "\(SafeText.escaped($0.key)) \(text($0.value))" }.joined(separator: ", ") + ")"))
        let open = s["open"]?.objectValue, overdue = s["overdue"]?.objectValue
        let rows = Severity.allCases.reversed().map { [$0.rawValue, text(open?[$0.rawValue]), text(overdue?[$0.rawValue])] }
        print(Table.render(["SEVERITY", "OPEN", "OVERDUE"], rows), terminator: "")
    }
}
