import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

struct Flush: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send every pending report, in order.")
    @OptionGroup var options: GatewayOptions

    func run() throws {
        let config = try options.load()
        let spool = try Spool(path: config.spoolPath)
        let r = try spool.flush(config.client())
        if options.json {
            print(GatewayJSON.flush(r, changed: (try? spool.changedAssignments()) ?? []).jsonText)
        } else {
            print("delivered \(r.delivered), refused \(r.refused), still pending \(r.pending)")
            printChangedAssignments(spool)
        }
        if let why = r.credentials {
            FileHandle.standardError.write(Data("hotline-gateway: \(why)\n".utf8))
            throw ExitCode(Outcome.credentials)
        }
        if r.pending > 0 { throw ExitCode(Outcome.spooled) }
        if r.refused > 0 { throw ExitCode(Outcome.refused) }
    }
}

/// Reports delivered after the gateway named someone offline, where the province chose another.
func printChangedAssignments(_ spool: Spool) {
    for e in (try? spool.changedAssignments()) ?? [] {
        let assigned = e.receipt?["assigned"]?.objectValue
        print(
            "province assigned \(e.receipt?["incident"]?.stringValue ?? "?") (ref \(e.ref)) to \(assigned?["id"]?.stringValue ?? "nobody") \(assigned?["name"]?.stringValue ?? "") \(assigned?["phone"]?.stringValue ?? ""), not \(e.localAssigned ?? "?") as shown offline"
        )
    }
}
