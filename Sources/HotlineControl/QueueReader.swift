import Foundation

#if canImport(Glibc)
import Glibc
#endif
import HotlineCore

/// Reads the escalation queue file and its rotated siblings, oldest first, and follows it
/// across rotation like `tail -F`.
public enum QueueReader {
    /// Why the queue cannot be read: the reason names the file and the cause.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `<path>.N` … `<path>.1`, `<path>`: the files that exist, oldest first. Fails, saying
    /// why, when the queue file does not exist or cannot be reached or read (an operator
    /// without access must not be told "0 records").
    public static func files(_ path: String) throws(Failure) -> [String] {
        var rotated: [String] = []
        var i = 1
        while try exists("\(path).\(i)") {
            rotated.insert("\(path).\(i)", at: 0)
            i += 1
        }
        guard try exists(path) else {
            throw Failure(description: "\(path): no such file (has the daemon run with this configuration?)")
        }
        let list = rotated + [path]
        for file in list where access(file, R_OK) != 0 {
            throw Failure(description: "\(file): \(cause(errno))")
        }
        return list
    }

    /// Whether `path` exists; a folder that cannot be searched is an error, not "no".
    static func exists(_ path: String) throws(Failure) -> Bool {
        var st = stat()
        if stat(path, &st) == 0 { return true }
        let code = errno
        if code == ENOENT { return false }
        // Name the folder that cannot be searched rather than a file that may not exist.
        let folder = (path as NSString).deletingLastPathComponent
        if code == EACCES, access(folder, X_OK) != 0 {
            throw Failure(description: "\(folder) (the queue's folder): \(cause(code))")
        }
        throw Failure(description: "\(path): \(cause(code))")
    }

    static func cause(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return code == EACCES
            ? "\(text) (run as root or as a member of the daemon's group, or with sudo -u hotline)" : text
    }

    /// Checks seq continuity and the hash chain over `files` in order.
    public static func verify(_ files: [String]) -> (count: Int, lastSeq: Int64?, problem: String?) {
        var verifier = QueueVerifier()
        if files.isEmpty { return (0, nil, "no queue files given") }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                return (verifier.count, verifier.lastSeq, "\(file): cannot be read: \(cause(access(file, R_OK) == 0 ? EIO : errno))")
            }
            let before = verifier.count
            do {
                try verifier.feed(file: Array(data))
            } catch {
                return (verifier.count, verifier.lastSeq, "\(file): line \(error.line - before): \(error.reason)")
            }
        }
        return (verifier.count, verifier.lastSeq, nil)
    }

    /// One readable line for a record.
    public static func describe(_ r: JSONObject) -> String {
        let seq = r["seq"]?.integerValue.map(String.init) ?? "?"
        if r["reason"] == "store_restored" {
            return "#\(seq) \(r["at"]?.stringValue ?? "?") STORE RESTORED from a backup (store at seq \(r["store_seq"]?.integerValue ?? 0), file at seq \(r["file_seq"]?.integerValue ?? 0)); notify province"
        }
        var line = "#\(seq) \(r["at"]?.stringValue ?? "?") \(r["incident"]?.stringValue ?? "?") "
        line += "\(r["severity"]?.stringValue ?? "?") level \(r["level"]?.integerValue ?? 0) \(r["reason"]?.stringValue ?? "?")"
        if let late = r["late_s"]?.integerValue, late > 0 { line += " (\(late) s late)" }
        if r["catch_up"] == true { line += " [while down]" }
        if r["callback"] == "unsafe" { line += " [CALLBACK UNSAFE: do not phone the caller]" }
        if let assigned = r["assigned"]?.objectValue {
            line += " -> \(assigned["id"]?.stringValue ?? "?") \(assigned["phone"]?.stringValue ?? "")"
        }
        let notify = (r["notify"]?.arrayValue ?? []).compactMap { n -> String? in
            guard let o = n.objectValue, let role = o["role"]?.stringValue else { return nil }
            return role + ((o["id"]?.stringValue ?? o["commune"]?.stringValue ?? o["district"]?.stringValue).map { " " + $0 } ?? "")
        }
        if !notify.isEmpty { line += "; notify " + notify.joined(separator: ", ") }
        return line
    }

    /// Calls `emit` with each whole line of the queue whose seq is at least `fromSeq` (or the
    /// last `lastCount` lines when `fromSeq` is nil), then, when `follow`, keeps reading new
    /// lines across rotation until `shouldStop` says so.
    public static func tail(
        _ path: String, fromSeq: Int64?, lastCount: Int = 10, follow: Bool, pollInterval: Double = 0.25,
        shouldStop: () -> Bool = { false }, emit: (String, JSONObject?) -> Void
    ) throws(Failure) {
        var printed: Int64 = 0
        func wanted(_ o: JSONObject?) -> Bool {
            guard let seq = o?["seq"]?.integerValue else { return true }
            return Int64(seq) > printed
        }
        // History: rotated files and the current one.
        var backlog: [(String, JSONObject?)] = []
        for file in try files(path) {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw Failure(description: "\(file): cannot be read: \(cause(errno))")
            }
            for line in data.split(separator: 0x0A) {
                let text = String(decoding: line, as: UTF8.self)
                let o = (try? JSONParser.parse(Array(line)))?.objectValue
                if let fromSeq, let seq = o?["seq"]?.integerValue, Int64(seq) < fromSeq { continue }
                backlog.append((text, o))
            }
        }
        if fromSeq == nil { backlog = Array(backlog.suffix(lastCount)) }
        for (text, o) in backlog {
            emit(text, o)
            if let seq = o?["seq"]?.integerValue { printed = Int64(seq) }
        }
        guard follow else { return }
        // Follow: keep the current file open; when it is renamed away, finish it, then reopen.
        var handle = FileHandle(forReadingAtPath: path)
        var inode = inodeOf(path)
        try? handle?.seekToEnd()
        var partial: [UInt8] = []
        while !shouldStop() {
            var progressed = false
            if let h = handle, let data = try? h.readToEnd(), !data.isEmpty {
                partial += data
                progressed = true
                while let lf = partial.firstIndex(of: 0x0A) {
                    let line = Array(partial[..<lf])
                    partial.removeFirst(lf + 1)
                    let o = (try? JSONParser.parse(line))?.objectValue
                    if wanted(o) {
                        emit(String(decoding: line, as: UTF8.self), o)
                        if let seq = o?["seq"]?.integerValue { printed = Int64(seq) }
                    }
                }
            }
            let current = inodeOf(path)
            if !progressed, current != inode, current != nil {
                // Rotated: the old file is finished (we read it to its end); start the new one.
                try? handle?.close()
                handle = FileHandle(forReadingAtPath: path)
                inode = current
                partial = []
                continue
            }
            if !progressed { Thread.sleep(forTimeInterval: pollInterval) }
        }
    }

    static func inodeOf(_ path: String) -> UInt64? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.systemFileNumber] as? UInt64
    }
}
