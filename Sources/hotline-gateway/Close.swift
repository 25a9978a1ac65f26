import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

struct Close: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: #"Close: close <incident> '{"offender_measures":[…],"victim_support":[…]}'."#)
    @OptionGroup var options: GatewayOptions
    @Argument var incident: String
    @Argument var body: String
    func run() throws { try act(options, "CLOSE", incident, body) }
}
