import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Reassign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hand an incident to another prevention group or trusted address (a fresh acknowledgement window if open).")
    @OptionGroup var options: Options
    @Argument var incident: String
    @Argument(help: "The responder id (PG-14638-02).") var responder: String

    func run() throws {
        report(try options.ask(with(ControlRequest("reassign")) {
            $0.incident = incident
            $0.responder = responder
        }), options)
    }
}
