import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

struct Ack: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: #"Acknowledge: ack <incident> ['{"responder":"PG-…"}']."#)
    @OptionGroup var options: GatewayOptions
    @Argument var incident: String
    @Argument var body: String?
    func run() throws { try act(options, "ACK", incident, body) }
}
