import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Tail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow the escalation queue across rotation, one readable line per record.")
    @OptionGroup var options: Options
    @Option(help: "Start at this seq (older records from rotated files too); default: the last 10.") var fromSeq: Int64?
    @Flag(inversion: .prefixedNo, help: "Keep following new records.") var follow = true

    func run() throws {
        let path = try options.load().queueFile
        do {
            try QueueReader.tail(path, fromSeq: fromSeq, follow: follow) { line, record in
                if options.json { print(line) } else { print(SafeText.escaped(record.map(QueueReader.describe) ?? line)) }
                fflush(nil)
            }
        } catch {
            complain(error.description)
            throw ExitCode.failure
        }
    }
}
