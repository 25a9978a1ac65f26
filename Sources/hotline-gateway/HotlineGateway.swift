import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

@main
struct HotlineGateway: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-gateway",
        abstract: "A commune hotline's gateway to the province's Hotline daemon: reports are spooled before they are sent.",
        discussion: """
            Exit codes of send, new and flush: 0 accepted (receipt printed), 65 refused by the daemon (the reason \
            is printed), 74 the report could not be saved in the spool, 75 saved for later (no connection, the \
            daemon is busy, or another process is sending this spool's reports; run flush), 77 saved, waiting for a \
            valid token (the daemon refused the gateway's token, or its token file cannot be read: fix it, then \
            flush), 78 configuration error.
            """,
        subcommands: [Send.self, New.self, Pending.self, Flush.self, Status.self, Ack.self, Attend.self, Close.self, Retract.self])
}
