import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Attend: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record attendance for a responder.")
    @OptionGroup var options: Options
    @Argument var incident: String
    @Option(help: "The responder who attended.") var responder: String?

    func run() throws {
        var r = ControlRequest("attend")
        (r.incident, r.responder) = (incident, responder)
        report(try options.ask(r), options)
    }
}
