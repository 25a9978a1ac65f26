/// Text from outside (a gateway, an operator, a caller) made safe to show on a terminal or
/// write into a log line: nothing in it can move the cursor, set a title, write the
/// clipboard, end the line, or reorder what follows.
public enum SafeText {
    /// Whether a scalar must not reach a terminal or log raw: C0 controls (U+0000–U+001F),
    /// DEL, C1 controls (U+0080–U+009F), bidirectional overrides and isolates, and the line
    /// and paragraph separators.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: true
        default: false
        }
    }

    /// `s` with every unsafe scalar written as an escape: `\n`, `\t`, `\r`, `\x1B`, `\u202E`.
    /// Safe text comes back unchanged. With `keepingLineFeeds`, LF stays (for the server's own
    /// multi-line texts, such as the annual report).
    public static func escaped(_ s: String, keepingLineFeeds: Bool = false) -> String {
        let unsafe: (Unicode.Scalar) -> Bool = { isUnsafe($0) && !(keepingLineFeeds && $0 == "\n") }
        guard s.unicodeScalars.contains(where: unsafe) else { return s }
        var out = ""
        out.unicodeScalars.reserveCapacity(s.unicodeScalars.count + 8)
        for scalar in s.unicodeScalars {
            guard unsafe(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += scalar.value <= 0xFF
                    ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            }
        }
        return out
    }
}
