import Foundation
import HotlineCore

/// Reads an escalation queue and its rotated files, oldest first, and checks seq and chain.
func readQueue(_ path: String) throws -> (records: [JSONObject], verifier: QueueVerifier) {
    let files = queueFiles(path)
    var verifier = QueueVerifier()
    var records: [JSONObject] = []
    for f in files {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: f)))
        try verifier.feed(file: bytes)
        for line in bytes.split(separator: 0x0A) {
            records.append(try JSONParser.parse(Array(line)).objectValue!)
        }
    }
    return (records, verifier)
}

/// The queue's files, oldest first: the rotated ones (`.N` … `.1`), then the current one.
func queueFiles(_ path: String) -> [String] {
    var files: [String] = []
    var i = 1
    while FileManager.default.fileExists(atPath: "\(path).\(i)") {
        files.insert("\(path).\(i)", at: 0)
        i += 1
    }
    if FileManager.default.fileExists(atPath: path) { files.append(path) }
    return files
}

/// Every whole line of the queue, oldest first, across rotated files (a last line cut by a
/// SIGKILL is left out).
func queueLines(_ path: String) throws -> [Substring] {
    try queueFiles(path).flatMap { try String(contentsOfFile: $0, encoding: .utf8).split(separator: "\n") }
        .filter { $0.hasSuffix("}") }
}
