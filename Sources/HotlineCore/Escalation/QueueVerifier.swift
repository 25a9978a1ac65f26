/// Checks escalation queue lines: `seq` rises by exactly one, and each `prev` is the hex
/// SHA-256 of the previous line's bytes. Pure: the caller reads the files.
public struct QueueVerifier: Sendable {
    public private(set) var lastSeq: Int64?
    public private(set) var lastHash: String?
    public private(set) var count = 0

    public struct Break: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based line number within the input fed so far.
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public init() {}

    /// Feeds one line (without its LF).
    public mutating func feed(_ line: [UInt8]) throws(Break) {
        count += 1
        guard case let .object(o)? = try? JSONParser.parse(line), let seq = o["seq"]?.integerValue,
            let prev = o["prev"]?.stringValue
        else { throw Break(line: count, reason: "not a queue record (JSON object with seq and prev)") }
        if let lastSeq {
            guard seq == lastSeq + 1 else { throw Break(line: count, reason: "seq \(seq) follows \(lastSeq)") }
            guard prev == lastHash else { throw Break(line: count, reason: "prev of seq \(seq) is not the hash of seq \(lastSeq)") }
        } else if seq == 1 {
            guard prev.isEmpty else { throw Break(line: count, reason: "seq 1 must have an empty prev") }
        }
        lastSeq = Int64(seq)
        lastHash = SHA256.hexHash(line)
    }

    /// Feeds a whole file's bytes; a last line without LF is a break (a torn write).
    public mutating func feed(file bytes: [UInt8]) throws(Break) {
        var start = 0
        for i in bytes.indices where bytes[i] == 0x0A {
            try feed(Array(bytes[start..<i]))
            start = i + 1
        }
        if start < bytes.count { throw Break(line: count + 1, reason: "last line has no LF (torn write)") }
    }
}
