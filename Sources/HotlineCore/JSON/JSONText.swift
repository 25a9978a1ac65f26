/// Reading JSON text that this program wrote itself, without parsing all of it.
public enum JSONText {
    /// The elements of a JSON array, as text (`[{"id":"a"},{"id":"b"}]` gives `{"id":"a"}` and
    /// `{"id":"b"}`). For text the store wrote (canonical, valid); anything else gives what it
    /// can, never traps. `null` and non-arrays give no elements.
    /// The string value of `key` in a JSON object's top level (nil if absent or not a plain
    /// string without escapes). For text the store wrote.
    public static func stringMember(_ text: Substring, _ key: String) -> String? {
        let u = text.utf8
        let pattern = Array("\"\(key)\":\"".utf8)
        var depth = 0
        var inString = false
        var escaped = false
        var i = u.startIndex
        while i < u.endIndex {
            let c = u[i]
            if inString {
                if escaped {
                    escaped = false
                } else if c == UInt8(ascii: "\\") {
                    escaped = true
                } else if c == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if c == UInt8(ascii: "\""), depth == 1, u[i...].starts(with: pattern) {
                let start = u.index(i, offsetBy: pattern.count)
                guard let end = u[start...].firstIndex(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }),
                    u[end] == UInt8(ascii: "\"")
                else { return nil }
                return String(text[start..<end])
            } else {
                switch c {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                default: break
                }
            }
            i = u.index(after: i)
        }
        return nil
    }

    public static func arrayElements(_ text: String) -> [Substring] {
        let u = text.utf8
        guard let open = u.firstIndex(of: UInt8(ascii: "[")) else { return [] }
        var elements: [Substring] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start = u.index(after: open)
        var i = start
        while i < u.endIndex {
            let c = u[i]
            if inString {
                if escaped {
                    escaped = false
                } else if c == UInt8(ascii: "\\") {
                    escaped = true
                } else if c == UInt8(ascii: "\"") {
                    inString = false
                }
            } else {
                switch c {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 {
                        if start < i { elements.append(Substring(text[start..<i])) }
                        return elements
                    }
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 0 {
                        elements.append(Substring(text[start..<i]))
                        start = u.index(after: i)
                    }
                default: break
                }
            }
            i = u.index(after: i)
        }
        return elements
    }
}
