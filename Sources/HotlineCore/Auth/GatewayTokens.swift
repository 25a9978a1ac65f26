/// The gateways' credentials: for each gateway id, the SHA-256 of its token.
///
/// File format, one gateway per line: `<gateway-id> sha256:<64 hex digits>`; `#` starts a
/// comment; blank lines are ignored.
public struct GatewayTokens: Sendable {
    public private(set) var hashes: [String: [UInt8]]

    public init(hashes: [String: [UInt8]]) { self.hashes = hashes }

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public static func parse(_ text: String, knownGateways: Set<String>) throws(Failure) -> GatewayTokens {
        var hashes: [String: [UInt8]] = [:]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty { continue }
            guard words.count == 2 else {
                throw Failure(line: n + 1, reason: "expected \"<gateway-id> sha256:<hex>\"")
            }
            let id = String(words[0])
            guard knownGateways.contains(id) else {
                throw Failure(line: n + 1, reason: "gateway \(id) is not in the directory's hotlines.csv")
            }
            guard words[1].hasPrefix("sha256:"), let digest = Self.bytes(hex: words[1].dropFirst(7)), digest.count == 32
            else { throw Failure(line: n + 1, reason: "the hash must be sha256: and 64 hex digits") }
            guard hashes.updateValue(digest, forKey: id) == nil else {
                throw Failure(line: n + 1, reason: "gateway \(id) appears twice")
            }
        }
        return GatewayTokens(hashes: hashes)
    }

    static func bytes(hex: Substring) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static let decoy = SHA256.hash(Array("no such gateway".utf8))

    /// Whether `token` is the gateway's token. Takes the same time whether or not the gateway
    /// exists, and compares the hashes in constant time.
    public func verify(gateway: String, token: String) -> Bool {
        let given = SHA256.hash(Array(token.utf8))
        guard let expected = hashes[gateway] else {
            _ = SHA256.constantTimeEqual(given, Self.decoy)
            return false
        }
        return SHA256.constantTimeEqual(given, expected)
    }

    /// The demo token of the sample configuration: `demo-<gateway-id>`.
    public static func demoToken(for gateway: String) -> String { "demo-\(gateway)" }

    /// Gateways whose token is still the published demo token.
    public var gatewaysWithDemoTokens: [String] {
        hashes.keys.filter { verify(gateway: $0, token: Self.demoToken(for: $0)) }.sorted()
    }
}
