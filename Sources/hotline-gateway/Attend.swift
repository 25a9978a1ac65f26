import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

struct Attend: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record attendance: attend <incident> [JSON].")
    @OptionGroup var options: GatewayOptions
    @Argument var incident: String
    @Argument var body: String?
    func run() throws { try act(options, "ATTEND", incident, body) }
}
