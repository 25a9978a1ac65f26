import Foundation
import HotlineControl
import HotlineCore

#if canImport(Glibc)
import Glibc
#endif

/// Follows the escalation queue file across rotation (`<path>.N` … `<path>.1`, `<path>`) from
/// a cursor (the last seq handled and the SHA-256 of its line), checking the chain as it reads:
/// each record's seq is the previous one's plus one and its `prev` the previous line's hash.
/// A break (a line altered, removed or missing, records rotated away before they were read)
/// is thrown, never skipped.
public final class QueueFollower {
    public let path: String
    public private(set) var lastSeq: Int64
    public private(set) var lastHash: String
    private var fd: Int32 = -1
    private var inode: UInt64 = 0
    private var partial: [UInt8] = []
    private var started = false

    public struct Break: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    public init(path: String, afterSeq: Int64, hash: String) {
        self.path = path
        lastSeq = afterSeq
        lastHash = hash
    }

    deinit { if fd >= 0 { close(fd) } }

    /// New whole records after the cursor, in order, at most `limit` (fewer when the file has
    /// no more yet). Each comes with its line's bytes' hash, the cursor to store once handled.
    public func poll(limit: Int) throws(Break) -> [(record: JSONObject, hash: String)] {
        var out: [(JSONObject, String)] = []
        if !started {
            guard try start(into: &out, limit: limit) else { return out }
            started = true
        }
        while out.count < limit {
            let before = out.count
            try read(into: &out, limit: limit)
            if out.count > before { continue }
            // Nothing new: has the file been rotated (renamed away, a new one in its place)?
            guard let now = Self.inode(path), now != inode else { break }
            // Finish the old file (the daemon wrote to it until it renamed it), then follow the
            // new one from its start.
            while try read(into: &out, limit: Int.max) {}
            if !partial.isEmpty { throw Break(description: "\(path): the rotated file ends in a line without LF (torn write)") }
            close(fd)
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { fd = -1; break }
            inode = now
        }
        return out
    }

    /// Opens the first file that holds records after the cursor and reads from there. False
    /// when the queue file does not exist yet.
    private func start(into out: inout [(JSONObject, String)], limit: Int) throws(Break) -> Bool {
        // The same listing as hotlinectl's (rotated files oldest first, then the current one);
        // a queue file that does not exist yet is waited for.
        guard Self.inode(path) != nil else { return false }
        let files: [String]
        do { files = try QueueReader.files(path) } catch { throw Break(description: error.description) }
        // The last file whose first record is at or before the cursor's (that file holds the
        // cursor's line, whose hash is checked); every older one is skipped unread.
        var from = 0
        for (k, f) in files.enumerated() {
            guard let first = Self.firstSeq(f) else { continue }
            if first <= max(lastSeq, 1) { from = k }
        }
        for f in files[from...] {
            if fd >= 0 { close(fd) }
            fd = open(f, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Break(description: "\(f): \(String(cString: strerror(errno)))") }
            inode = Self.inode(f) ?? 0
            partial = []
            if f == path { return true }
            // A rotated file: read it all now (it no longer grows).
            while true {
                let before = out.count
                let more = try read(into: &out, limit: Int.max)
                if !more && out.count == before { break }
            }
            if !partial.isEmpty { throw Break(description: "\(f): last line has no LF (torn write)") }
        }
        return true
    }

    /// Reads what the open file has, turning whole lines into records. True if bytes were read.
    @discardableResult
    private func read(into out: inout [(JSONObject, String)], limit: Int) throws(Break) -> Bool {
        guard fd >= 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var any = false
        while out.count < limit {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            any = true
            partial += buffer[..<n]
            var start = 0
            for j in partial.indices where partial[j] == 0x0A {
                try accept(Array(partial[start..<j]), into: &out)
                start = j + 1
            }
            partial.removeFirst(start)
        }
        return any
    }

    private func accept(_ line: [UInt8], into out: inout [(JSONObject, String)]) throws(Break) {
        guard case let .object(o)? = try? JSONParser.parse(line), let seqValue = o["seq"]?.integerValue,
            let prev = o["prev"]?.stringValue
        else { throw Break(description: "\(path): a line after seq \(lastSeq) is not a queue record") }
        let seq = Int64(seqValue)
        let hash = SHA256.hexHash(line)
        if seq <= lastSeq {
            // Already handled: the cursor's own line must still be the one handled.
            if seq == lastSeq, !lastHash.isEmpty, hash != lastHash {
                throw Break(description: "\(path): the line of seq \(seq) is not the one handled (the queue was altered)")
            }
            return
        }
        guard seq == lastSeq + 1 else {
            throw Break(description: "\(path): seq \(seq) follows \(lastSeq): records \(lastSeq + 1)…\(seq - 1) are missing (rotated away or removed)")
        }
        if lastSeq == 0 {
            guard prev.isEmpty else { throw Break(description: "\(path): seq 1 must have an empty prev") }
        } else if !lastHash.isEmpty, prev != lastHash {
            throw Break(description: "\(path): prev of seq \(seq) is not the hash of seq \(lastSeq) (a line was altered or removed)")
        }
        lastSeq = seq
        lastHash = hash
        out.append((o, hash))
    }

    static func inode(_ path: String) -> UInt64? {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }

    /// The seq of a file's first line (nil if it has none).
    static func firstSeq(_ path: String) -> Int64? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        var head: [UInt8] = []
        while !head.contains(0x0A) {
            guard let d = try? h.read(upToCount: 4096), !d.isEmpty else { return nil }
            head += d
        }
        let line = head[..<head.firstIndex(of: 0x0A)!]
        return (try? JSONParser.parse(Array(line)))?.objectValue?["seq"]?.integerValue.map(Int64.init)
    }
}
