import ArgumentParser
import Foundation
import HotlineBench
import HotlineCore

struct TriageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triage", abstract: "Nearest-eligible lookup on a generated national directory.")
    @Option var queries = 100_000
    @Option var communes = 10_600
    @Option var responders = 100_000

    func run() {
        let r = TriageBenchmark.run(queries: queries, communes: communes, responders: responders)
        print("directory   \(r.responders) responders in \(r.communes) communes, index built in \(String(format: "%.2f", r.buildSeconds)) s")
        print("triage      \(String(format: "%.1f", r.nanosecondsPerTriage / 1000)) µs per report (assignee, 2 backups, shelter) over \(r.queries) random reports")
        print("brute force \(String(format: "%.1f", r.nanosecondsBruteForce / 1000)) µs per report (linear scan, for scale)")
    }
}
