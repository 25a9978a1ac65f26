import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

struct Pending: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reports in the spool not yet receipted.")
    @OptionGroup var options: GatewayOptions

    func run() throws {
        let spool = try Spool(path: try options.load().spoolPath)
        let pending = try spool.pending()
        if options.json {
            print(GatewayJSON.pending(pending, changed: (try? spool.changedAssignments()) ?? []).jsonText)
            return
        }
        for e in pending {
            print("\(e.ref)  \(e.body["reported_at"]?.stringValue ?? "-")  \(e.body["severity"]?.stringValue ?? "-")  \(e.error ?? "not sent yet")")
        }
        print("\(pending.count) pending")
        printChangedAssignments(spool)
    }
}
