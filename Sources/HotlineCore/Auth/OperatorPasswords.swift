import Crypto
import _CryptoExtras

/// The dashboard's operators (`[dashboard] operators`, written by `hotlinectl operator add`):
/// one line per operator, `<name> scrypt$<N>$<r>$<p>$<salt>$<hash>` (salt and hash base64),
/// comments after `#`. Only the derived key is stored; the parameters travel with each line so
/// that they can be raised later without invalidating older lines.
public struct OperatorPasswords: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var n: Int
        public var r: Int
        public var p: Int
        public var salt: [UInt8]
        public var hash: [UInt8]
    }

    public var entries: [String: Entry]

    public init(entries: [String: Entry] = [:]) { self.entries = entries }

    /// scrypt with N = 2^15, r = 8, p = 1: 32 MiB and tens of milliseconds per attempt (release
    /// build). Attempts are throttled and run one at a time, so the memory stays bounded.
    public static let defaultN = 1 << 15
    public static let defaultR = 8
    public static let defaultP = 1

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ d: String) { description = d }
    }

    /// Operator names: letters, digits, `.`, `_`, `-`, at most 64 (they name people in the audit).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    /// Parses the file's text; a malformed line is an error naming it.
    public static func parse(_ text: String) throws(Failure) -> OperatorPasswords {
        var entries: [String: Entry] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            if words.isEmpty { continue }
            guard words.count == 2, isValidName(words[0]) else { throw Failure("line \(i + 1): expected <name> scrypt$N$r$p$salt$hash") }
            let parts = words[1].split(separator: "$", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 6, parts[0] == "scrypt", let n = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
                n >= 2, n & (n - 1) == 0, n <= 1 << 20, (1...32).contains(r), (1...16).contains(p),
                let salt = Base64.decode(parts[4]), let hash = Base64.decode(parts[5]), salt.count >= 16, hash.count == 32
            else { throw Failure("line \(i + 1): the password hash of \(words[0]) is not scrypt$N$r$p$salt$hash") }
            guard entries[words[0]] == nil else { throw Failure("line \(i + 1): \(words[0]) appears more than once") }
            entries[words[0]] = Entry(n: n, r: r, p: p, salt: salt, hash: hash)
        }
        return OperatorPasswords(entries: entries)
    }

    /// The stored form of a new password (a fresh random salt).
    public static func line(name: String, password: String, n: Int = defaultN, r: Int = defaultR, p: Int = defaultP) throws -> String {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let hash = try derive(password, salt: salt, n: n, r: r, p: p)
        return "\(name) scrypt$\(n)$\(r)$\(p)$\(Base64.encode(salt))$\(Base64.encode(hash))"
    }

    static func derive(_ password: String, salt: [UInt8], n: Int, r: Int, p: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: n, blockSize: r, parallelism: p,
            maxMemory: 256 << 20)
        return key.withUnsafeBytes { Array($0) }
    }

    /// Whether `password` is `name`'s. An unknown name costs the same work as a known one (a
    /// dummy derivation), so the answer's time does not tell which names exist.
    public func verify(name: String, password: String) -> Bool {
        guard let e = entries[name] else {
            _ = try? Self.derive(password, salt: Array(repeating: 0, count: 16), n: Self.defaultN, r: Self.defaultR, p: Self.defaultP)
            return false
        }
        guard let derived = try? Self.derive(password, salt: e.salt, n: e.n, r: e.r, p: e.p) else { return false }
        return Self.constantTimeEqual(derived, e.hash)
    }

    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// The file's text with `name`'s line replaced by (or, if absent, followed by) `line`; nil
    /// removes it. Comments and other lines are kept. Also says whether the name was found.
    public static func set(_ text: String, name: String, line: String?) -> (text: String, found: Bool) {
        TokenFileEditor.replaceLine(text, key: name, with: line)
    }
}

/// Standard base64 with padding (RFC 4648), for the operator file.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Standard base64 with padding, or (`url`) base64url without padding.
    public static func encode(_ bytes: [UInt8], url: Bool = false) -> String {
        let letters = url ? urlAlphabet : alphabet
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let chunk = Array(bytes[i..<min(i + 3, bytes.count)])
            let b = chunk + Array(repeating: 0, count: 3 - chunk.count)
            let n = UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2])
            for j in 0..<4 {
                if j <= chunk.count { out.append(letters[Int(n >> (18 - 6 * UInt32(j)) & 63)]) } else if !url { out.append(0x3D) }
            }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        var padding = 0
        for c in text.utf8 {
            if c == 0x3D { padding += 1; continue }
            guard padding == 0, let v = alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt8(v))
        }
        guard (values.count + padding) % 4 == 0, padding <= 2 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < values.count {
            let group = Array(values[i..<min(i + 4, values.count)])
            var n: UInt32 = 0
            for j in 0..<4 { n = n << 6 | UInt32(j < group.count ? group[j] : 0) }
            for j in 0..<(group.count - 1) { out.append(UInt8(n >> (16 - 8 * UInt32(j)) & 0xFF)) }
            i += 4
        }
        return out
    }
}
