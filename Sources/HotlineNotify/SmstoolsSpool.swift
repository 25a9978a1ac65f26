import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// smstools3's spool (Debian's `smstools`, `/var/spool/sms`): a message is a file in
/// `outgoing/` with headers, a blank line and the text; smsd moves it, under the same name,
/// to `checked/` and then to `sent/` or `failed/` (with `Failed:` and `Fail_reason:` headers);
/// received messages appear in `incoming/`. smsd ignores names that start with a dot, so a
/// file is written as `.<name>`, synced and renamed into place.
public struct SmstoolsSpool: Sendable {
    public var root: String
    public var outgoing: String { root + "/outgoing" }
    public var checked: String { root + "/checked" }
    public var sent: String { root + "/sent" }
    public var failed: String { root + "/failed" }
    public var incoming: String { root + "/incoming" }

    public init(root: String) { self.root = root }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Where a message of ours is now.
    public enum Location: Equatable, Sendable {
        case queued
        case sent
        case failed(reason: String)
    }

    /// Checks the folders the notifier needs; the reason names the folder and what is missing.
    public func check() throws(Failure) {
        for (folder, mode) in [(outgoing, W_OK | X_OK), (sent, R_OK | X_OK), (failed, R_OK | X_OK), (incoming, R_OK | X_OK)] {
            var st = stat()
            guard stat(folder, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                throw Failure(description: "\(folder): no such folder (is smstools installed, with sent and failed folders kept?)")
            }
            guard access(folder, mode) == 0 else {
                throw Failure(description: "\(folder): \(String(cString: strerror(errno))) (is the notifier's user in group smsd?)")
            }
        }
    }

    /// The file's bytes: headers, a blank line, the text (UTF-8; smsd sends UCS-2 when any
    /// character is outside the GSM alphabet, which Vietnamese with diacritics always has).
    public static func file(to msisdn: String, text: String, headers: [(String, String)]) -> [UInt8] {
        var s = "To: \(msisdn)\nAlphabet: UTF\n"
        for (k, v) in headers { s += "\(k): \(v)\n" }
        s += "\n" + text + "\n"
        return Array(s.utf8)
    }

    /// Writes `outgoing/<name>` atomically: `.<name>` created, written, synced, renamed. The
    /// folder itself is synced by `syncOutgoing()` before the ledger records the batch.
    public func write(name: String, bytes: [UInt8]) throws(Failure) {
        let temporary = outgoing + "/." + name
        let final = outgoing + "/" + name
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(description: "\(temporary): \(String(cString: strerror(errno)))") }
        // smsd reads the file as its own user, through the folder's group (setgid smsd).
        fchmod(fd, 0o640)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let e = errno
                close(fd)
                unlink(temporary)
                throw Failure(description: "\(temporary): \(String(cString: strerror(e)))")
            }
            offset += n
        }
        guard fsync(fd) == 0 else {
            let e = errno
            close(fd)
            unlink(temporary)
            throw Failure(description: "\(temporary): fsync: \(String(cString: strerror(e)))")
        }
        close(fd)
        guard rename(temporary, final) == 0 else {
            let e = errno
            unlink(temporary)
            throw Failure(description: "\(final): rename: \(String(cString: strerror(e)))")
        }
    }

    /// Makes the renames into `outgoing/` durable.
    public func syncOutgoing() throws(Failure) {
        let fd = open(outgoing, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "\(outgoing): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(description: "\(outgoing): fsync: \(String(cString: strerror(errno)))") }
    }

    /// Removes `.<name>` files a killed notifier left half-written (never renamed, so never sent).
    public func removeTemporaries(prefix: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: outgoing)) ?? [] where name.hasPrefix("." + prefix) {
            unlink(outgoing + "/" + name)
        }
    }

    /// Where `name` is: nil if in no folder. smsd only moves a file forward (outgoing, checked,
    /// then sent or failed), so looking in that order cannot miss one that moves meanwhile.
    public func locate(_ name: String) -> Location? {
        if exists(outgoing + "/" + name) || exists(checked + "/" + name) { return .queued }
        if exists(sent + "/" + name) { return .sent }
        if exists(failed + "/" + name) {
            let headers = Self.headers(of: failed + "/" + name)
            return .failed(reason: headers["Fail_reason"] ?? "unknown")
        }
        // Moved to sent or failed between the looks above: look again.
        if exists(sent + "/" + name) { return .sent }
        return nil
    }

    func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// The header lines of a spool file (up to the blank line).
    static func headers(of path: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return parse(Array(data)).headers
    }

    /// Headers and body of a spool file.
    static func parse(_ bytes: [UInt8]) -> (headers: [String: String], body: [UInt8]) {
        var headers: [String: String] = [:]
        var start = 0
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0A {
                var line = bytes[start..<i]
                if line.last == 0x0D { line = line.dropLast() }
                if line.isEmpty { return (headers, Array(bytes[(i + 1)...])) }
                let text = String(decoding: line, as: UTF8.self)
                if let colon = text.firstIndex(of: ":") {
                    headers[String(text[..<colon])] = String(String(text[text.index(after: colon)...]).trimmingSpaces)
                }
                start = i + 1
            }
            i += 1
        }
        return (headers, [])
    }

    /// A received message: the sender's number and the text (smsd writes UCS-2 texts as
    /// big-endian UTF-16 with `Alphabet: UCS2`, others as ISO-8859-15 or UTF-8).
    public struct Received: Sendable, Equatable {
        public var from: String
        public var text: String
        public var isStatusReport: Bool
    }

    /// Names in `incoming/` (not hidden, not locked).
    public func incomingNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: incoming)) ?? [])
            .filter { !$0.hasPrefix(".") && !$0.hasSuffix(".LOCK") && !$0.hasPrefix("LOCKED") }.sorted()
    }

    public func received(_ name: String) -> Received? {
        guard let data = FileManager.default.contents(atPath: incoming + "/" + name) else { return nil }
        let (headers, body) = Self.parse(Array(data))
        guard let from = headers["From"] else { return nil }
        let text: String
        if (headers["Alphabet"] ?? "").uppercased().hasPrefix("UCS") {
            var units: [UInt16] = []
            var j = 0
            while j + 1 < body.count {
                units.append(UInt16(body[j]) << 8 | UInt16(body[j + 1]))
                j += 2
            }
            text = String(decoding: units, as: UTF16.self)
        } else if let utf8 = String(validating: body, as: UTF8.self) {
            text = utf8
        } else {
            text = String(body.map { Character(Unicode.Scalar($0)) })
        }
        return Received(from: from, text: text, isStatusReport: text.hasPrefix("SMS STATUS REPORT"))
    }
}
