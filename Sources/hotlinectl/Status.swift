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
        let answer = try options.ask(ControlRequest("status"))
        if options.json { return printJSON(answer) }
        let s = try options.decode(ControlReply.Status.self, answer)
        let up = s.uptimeSeconds
        print("\(SafeText.escaped(s.server)): up \(up / 3600) h \(up % 3600 / 60) min (since \(SafeText.escaped(s.startedAt))), escalation queue at seq \(s.queueSeq)")
        let connections = s.connections.sorted { $0.key < $1.key }
        let total = connections.reduce(0) { $0 + $1.value }
        print("connections: \(total)" + (connections.isEmpty ? "" : " (" + connections.map { "\(SafeText.escaped($0.key)) \($0.value)" }.joined(separator: ", ") + ")"))
        let rows = Severity.allCases.reversed().map { [$0.rawValue, String(s.open[$0.rawValue] ?? 0), String(s.overdue[$0.rawValue] ?? 0)] }
        print(Table.render(["SEVERITY", "OPEN", "OVERDUE"], rows), terminator: "")
    }
}
