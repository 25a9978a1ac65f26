import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct VerifyQueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-queue",
        abstract: "Check seq continuity and the SHA-256 chain; exit 1 on a break.",
        discussion: "Without FILEs: the configured queue file and its rotated files, oldest first.")
    @OptionGroup var options: Options
    @Argument(help: "Queue files, oldest first.") var files: [String] = []

    func run() throws {
        let list: [String]
        do {
            list = files.isEmpty ? try QueueReader.files(try options.load().queueFile) : files
        } catch let error as QueueReader.Failure {
            complain(error.description)
            throw ExitCode.failure
        }
        let result = QueueReader.verify(list)
        if options.json {
            var o: JSONObject = ["files": .array(list.map { .string($0) }), "records": JSONValue(result.count), "ok": .bool(result.problem == nil)]
            o["last_seq"] = result.lastSeq.map { JSONValue(Int($0)) } ?? .null
            if let p = result.problem { o["break"] = .string(p) }
            printJSON(o)
        } else if let problem = result.problem {
            print("BROKEN: \(SafeText.escaped(problem))")
        } else {
            print("ok: \(result.count) records in \(list.count) file(s), last seq \(result.lastSeq.map(String.init) ?? "-")")
        }
        if result.problem != nil { throw ExitCode.failure }
    }
}
