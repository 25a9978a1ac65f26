import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Close: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Close an incident with the measures taken and the support given.",
        discussion: "Measures: \(OffenderMeasure.allCases.map(\.rawValue).joined(separator: ", ")).\nSupport: \(VictimSupport.allCases.map(\.rawValue).joined(separator: ", ")).")
    @OptionGroup var options: Options
    @Argument var incident: String
    @Option(name: .customLong("measure"), help: "An offender measure (repeat for several).") var measures: [String] = []
    @Option(name: .customLong("support"), help: "Support given to the victim (repeat for several).") var support: [String] = []
    @Option(help: "A note (personal data: stored, never logged).") var note: String?

    func run() throws {
        var r = ControlRequest("close")
        (r.incident, r.offenderMeasures, r.victimSupport, r.note) = (incident, measures, support, note)
        report(try options.ask(r), options)
    }
}
