/// Edits the text of a token file line by line, keeping comments and other gateways' lines.
public enum TokenFileEditor {
    /// The text with `gateway`'s line replaced by (or, if absent, followed by)
    /// `<gateway> sha256:<hex>`; `hash` nil removes the line. Also says whether a line was found.
    public static func set(_ text: String, gateway: String, hash: [UInt8]?) -> (text: String, found: Bool) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var found = false
        var out: [String] = []
        for line in lines {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.first.map(String.init) == gateway {
                found = true
                if let hash, !out.contains(where: { $0.hasPrefix(gateway + " ") }) {
                    out.append("\(gateway) sha256:\(SHA256.hex(hash))")
                }
                continue
            }
            out.append(line)
        }
        if !found, let hash { out.append("\(gateway) sha256:\(SHA256.hex(hash))") }
        return (out.joined(separator: "\n") + "\n", found)
    }

    /// A new random token: 32 bytes from the system's secure generator, base64url without
    /// padding (43 printable characters).
    public static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let chunk = Array(bytes[i..<min(i + 3, bytes.count)])
            let b = chunk + Array(repeating: 0, count: 3 - chunk.count)
            let n = UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2])
            for j in 0..<(chunk.count + 1) { out.append(alphabet[Int(n >> (18 - 6 * UInt32(j)) & 63)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
