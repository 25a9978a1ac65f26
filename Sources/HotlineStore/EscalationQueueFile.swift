import Foundation
import HotlineCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Writes the escalation outbox to the queue file (hotline-protocol(7), "Escalation queue file").
///
/// Exactly once: an escalation and its outbox row commit together in SQLite; this writer
/// appends the rows after the last `seq` the file holds, in order, as whole lines, fsyncs,
/// then records the high-water mark in the database. At start it repairs a torn last line
/// (cut off; the row is written again) and resumes after the last whole line, so a crash
/// anywhere writes no record twice and skips none. Rotation renames the file to `<name>.1`
/// (older files shift up) and starts a new one; `seq` and `prev` continue.
public final class EscalationQueueFile: @unchecked Sendable {
    // @unchecked: `fd`, `lastSeq`, `lastHash` and `size` are used by the writer thread only
    // (and by init before it starts); the request flags are guarded by `condition`.
    public let path: String
    private let store: IncidentStore
    private let rotateBytes: Int64
    private let keepFiles: Int
    private let logger: Logger
    private var fd: Int32 = -1
    private var size: Int64 = 0
    private var lastSeq: Int64 = 0
    private var lastHash = ""
    private let condition = NSCondition()
    private var wakeRequested = true
    private var rotateRequested = false
    private var stopping = false
    private var stopped = false
    private var writtenSeq: Int64 = 0
    private var recordObserver: (@Sendable (_ level: Int, _ reason: String) -> Void)?

    /// Called (on the writer thread) for each record once it is synced to the file.
    public func onRecordWritten(_ observer: @escaping @Sendable (_ level: Int, _ reason: String) -> Void) {
        condition.lock()
        recordObserver = observer
        condition.unlock()
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Opens the file, repairs a torn last line and finds where to resume. Does not write yet.
    public init(path: String, store: IncidentStore, rotateBytes: Int64, keepFiles: Int, logger: Logger) throws {
        self.path = path
        self.store = store
        self.rotateBytes = rotateBytes
        self.keepFiles = max(1, keepFiles)
        self.logger = logger
        try openFile()
        let (fileSeq, fileHash) = try repairAndReadTail()
        let recorded = try store.queueState()
        let outboxSeq = try store.lastOutboxSeq()
        if let fileSeq, fileSeq > outboxSeq {
            // The file holds records the database never made: the database was restored from
            // an older backup. Continue after the file, never repeating a seq, and say so.
            lastSeq = fileSeq
            lastHash = fileHash
            try appendRestoredRecord(storeSeq: outboxSeq, fileSeq: fileSeq)
        } else if let fileSeq, fileSeq >= recorded.seq {
            lastSeq = fileSeq
            lastHash = fileHash
        } else if store.backend == "postgresql" {
            // Two nodes, a queue file each: the database's mark may be the other node's. This
            // node's file gets every record it lacks, from its own last line (from seq 1 for a
            // new file): each node's file is whole, and identical where they overlap.
            if recorded.seq > (fileSeq ?? 0) {
                logger.notice(
                    "queue file behind the database (another node wrote since): appending the records it lacks",
                    metadata: ["queue.file": "\(path)", "queue.seq": "\(recorded.seq)", "queue.file_seq": "\(fileSeq ?? 0)"])
            }
            lastSeq = fileSeq ?? 0
            lastHash = fileHash
        } else {
            if recorded.seq > 0 {
                logger.warning(
                    "queue file lacks records the database says were written; continuing the chain from the database",
                    metadata: ["queue.file": "\(path)", "queue.seq": "\(recorded.seq)", "queue.file_seq": "\(fileSeq ?? 0)"])
            }
            lastSeq = recorded.seq
            lastHash = recorded.hash
        }
        writtenSeq = lastSeq
    }

    /// Starts the writer thread.
    public func start() {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "hotline-queue"
        thread.start()
    }

    /// New outbox rows may exist.
    public func wake() {
        condition.lock()
        wakeRequested = true
        condition.signal()
        condition.unlock()
    }

    /// Rotate at the next opportunity (SIGHUP).
    public func rotate() {
        condition.lock()
        rotateRequested = true
        condition.signal()
        condition.unlock()
    }

    /// The last `seq` synced to the file.
    public var lastWrittenSeq: Int64 {
        condition.lock()
        defer { condition.unlock() }
        return writtenSeq
    }

    /// Writes what the outbox holds, then stops the thread and closes the file.
    public func close() {
        condition.lock()
        stopping = true
        wakeRequested = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private func loop() {
        while true {
            condition.lock()
            while !wakeRequested && !rotateRequested && !stopping { condition.wait() }
            let rotateNow = rotateRequested
            wakeRequested = false
            rotateRequested = false
            let stop = stopping
            condition.unlock()
            do {
                if rotateNow { try rotateFile() }
                try drain()
            } catch {
                logger.error("cannot write the escalation queue; retrying", metadata: ["error": "\(error)", "queue.file": "\(path)"])
                if !stop {
                    Thread.sleep(forTimeInterval: 1)
                    wake()
                    continue
                }
            }
            if stop {
                condition.lock()
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }

    /// Writes the `store_restored` record after the file's last one and records the new
    /// position in the database, so that the next outbox row follows it (the outbox numbers
    /// after the larger of its own last row and this position; the writer commits the position
    /// before anything else, being first in its queue).
    private func appendRestoredRecord(storeSeq: Int64, fileSeq: Int64) throws {
        let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        let line: JSONObject = [
            "seq": JSONValue.number(Double(fileSeq + 1)), "at": .string(now.rfc3339), "level": 0,
            "reason": "store_restored", "due": .string(now.rfc3339), "late_s": 0,
            "store_seq": .number(Double(storeSeq)), "file_seq": .number(Double(fileSeq)), "notify": [.object(["role": "province"])],
            "prev": .string(lastHash),
        ]
        var bytes = Array(line.jsonText.utf8)
        let hash = SHA256.hexHash(bytes)
        bytes.append(0x0A)
        try writeAll(bytes)
        guard fsync(fd) == 0 else { throw Failure(description: "fsync: errno \(errno)") }
        size += Int64(bytes.count)
        lastSeq = fileSeq + 1
        lastHash = hash
        store.noteQueueWritten(seq: lastSeq, hash: hash)
        logger.warning(
            "the store is older than the escalation queue (restored from a backup): the queue continues after its last record",
            metadata: ["queue.file_seq": "\(fileSeq)", "queue.store_seq": "\(storeSeq)", "queue.seq": "\(lastSeq)"])
    }

    /// Appends every outbox row after `lastSeq`.
    private func drain() throws {
        while true {
            let rows = try store.outboxRecords(after: lastSeq, limit: 1000)
            if rows.isEmpty { return }
            var chunk: [UInt8] = []
            var written: [(Int, String)] = []
            var seq = lastSeq
            var hash = lastHash
            for row in rows {
                guard row.seq == seq + 1, case let .object(record) = try JSONParser.parse(row.record) else {
                    throw Failure(description: "outbox row \(row.seq) does not follow \(seq)")
                }
                var line = JSONObject()
                line["seq"] = JSONValue.number(Double(row.seq))
                for (k, v) in record.members { line[k] = v }
                line["prev"] = .string(hash)
                written.append((record["level"]?.integerValue ?? 0, record["reason"]?.stringValue ?? ""))
                let bytes = Array(line.jsonText.utf8)
                hash = SHA256.hexHash(bytes)
                chunk += bytes
                chunk.append(0x0A)
                seq = row.seq
            }
            try writeAll(chunk)
            guard fsync(fd) == 0 else { throw Failure(description: "fsync: errno \(errno)") }
            size += Int64(chunk.count)
            lastSeq = seq
            lastHash = hash
            condition.lock()
            writtenSeq = seq
            let observer = recordObserver
            condition.unlock()
            for (level, reason) in written { observer?(level, reason) }
            store.noteQueueWritten(seq: seq, hash: hash)
            if size >= rotateBytes { try rotateFile() }
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                // A partial line may be on disk: cut it off so the file stays whole lines.
                let e = errno
                _ = ftruncate(fd, off_t(size))
                throw Failure(description: "write: errno \(e)")
            }
            offset += n
        }
    }

    private func openFile() throws {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): errno \(errno)") }
        fchmod(fd, 0o640)
        var st = stat()
        fstat(fd, &st)
        size = Int64(st.st_size)
        syncFolder()
    }

    private func syncFolder() {
        let folder = (path as NSString).deletingLastPathComponent
        let dfd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            Glibc.close(dfd)
        }
    }

    private func rotateFile() throws {
        if size == 0 { return }
        guard fsync(fd) == 0 else { throw Failure(description: "fsync: errno \(errno)") }
        Glibc.close(fd)
        fd = -1
        for i in stride(from: keepFiles - 1, through: 1, by: -1) {
            rename("\(path).\(i)", "\(path).\(i + 1)")
        }
        unlink("\(path).\(keepFiles + 1)")
        guard rename(path, "\(path).1") == 0 else { throw Failure(description: "rename: errno \(errno)") }
        try openFile()
        logger.info("escalation queue rotated", metadata: ["queue.file": "\(path)", "queue.seq": "\(lastSeq)"])
    }

    /// Cuts a torn last line off the current file and returns the last whole line's seq and
    /// hash, looking into `<name>.1` when the current file is empty.
    private func repairAndReadTail() throws -> (Int64?, String) {
        if let (seq, hash) = try lastLine(of: path, repair: true) { return (seq, hash) }
        if let (seq, hash) = try lastLine(of: path + ".1", repair: false) { return (seq, hash) }
        return (nil, "")
    }

    private func lastLine(of file: String, repair: Bool) throws -> (Int64, String)? {
        guard let handle = FileHandle(forReadingAtPath: file) else { return nil }
        defer { try? handle.close() }
        let end = try handle.seekToEnd()
        guard end > 0 else { return nil }
        var window: UInt64 = 65536
        while true {
            let start = end > window ? end - window : 0
            try handle.seek(toOffset: start)
            let tail = Array(try handle.readToEnd() ?? Data())
            guard let lastLF = tail.lastIndex(of: 0x0A) else {
                if start > 0 {
                    window *= 2
                    continue
                }
                // No whole line at all.
                if repair { try truncate(to: 0, torn: tail.count) }
                return nil
            }
            if lastLF != tail.count - 1, repair {
                try truncate(to: Int64(start) + Int64(lastLF) + 1, torn: tail.count - lastLF - 1)
            }
            let before = tail[..<lastLF]
            let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 }
            if lineStart == nil, start > 0 {
                window *= 2
                continue
            }
            let line = Array(before[(lineStart ?? 0)...])
            guard case let .object(o)? = try? JSONParser.parse(line), let seq = o["seq"]?.integerValue else {
                throw Failure(description: "\(file): the last line is not a queue record")
            }
            return (Int64(seq), SHA256.hexHash(line))
        }
    }

    private func truncate(to length: Int64, torn: Int) throws {
        guard ftruncate(fd, off_t(length)) == 0, fsync(fd) == 0 else {
            throw Failure(description: "cannot cut the torn line off \(path): errno \(errno)")
        }
        size = length
        logger.warning("cut a torn last line off the escalation queue", metadata: ["queue.file": "\(path)", "queue.bytes": "\(torn)"])
    }
}
