/// Edits the text of a token file line by line, keeping comments and other gateways' lines.
public enum TokenFileEditor {
    /// The text with `gateway`'s line replaced by (or, if absent, followed by)
    /// `<gateway> sha256:<hex>`; `hash` nil removes the line. Also says whether a line was found.
    public static func set(_ text: String, gateway: String, hash: [UInt8]?) -> (text: String, found: Bool) {
        replaceLine(text, key: gateway, with: hash.map { "\(gateway) sha256:\(SHA256.hex($0))" })
    }

    /// The text of a file of `<key> <value>` lines (comments after `#`) with `key`'s line
    /// replaced by (or, if absent, followed by) `line`; nil removes it. Other lines and comments
    /// are kept; a key that appeared twice keeps one line. Also says whether the key was found.
    public static func replaceLine(_ text: String, key: String, with line: String?) -> (text: String, found: Bool) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var found = false
        var out: [String] = []
        for l in lines {
            let content = l.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.first.map(String.init) == key {
                if !found, let line { out.append(line) }
                found = true
                continue
            }
            out.append(l)
        }
        if !found, let line { out.append(line) }
        return (out.isEmpty ? "" : out.joined(separator: "\n") + "\n", found)
    }

    /// A new random token: 32 bytes from the system's secure generator, base64url without
    /// padding (43 printable characters).
    public static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Base64.encode(bytes, url: true)
    }
}
