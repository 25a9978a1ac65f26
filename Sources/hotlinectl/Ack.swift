import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Ack: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Acknowledge for a responder (recorded with your user name).")
    @OptionGroup var options: Options
    @Argument var incident: String
    @Option(help: "The responder who took the case.") var responder: String?

    func run() throws {
        var r = ControlRequest("ack")
        (r.incident, r.responder) = (incident, responder)
        report(try options.ask(r), options)
    }
}
