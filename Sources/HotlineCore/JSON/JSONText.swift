/// Reading JSON text that this program wrote itself, without parsing all of it.
public enum JSONText {
    /// Calls `body` with each byte outside strings and the depth before it (`{` or `[` at depth
    /// 0 opens the outermost value); a string's opening quote is reported too. Stops when
    /// `body` returns false.
    static func scan(_ u: Substring.UTF8View, _ body: (Substring.UTF8View.Index, UInt8, Int) -> Bool) {
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
            } else {
                guard body(i, c, depth) else { return }
                switch c {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                default: break
                }
            }
            i = u.index(after: i)
        }
    }

    /// The string value of `key` in a JSON object's top level (nil if absent or not a plain
    /// string without escapes). For text the store wrote.
    public static func stringMember(_ text: Substring, _ key: String) -> String? {
        let u = text.utf8
        let pattern = Array("\"\(key)\":\"".utf8)
        var found: String?
        scan(u) { i, c, depth in
            guard c == UInt8(ascii: "\""), depth == 1, u[i...].starts(with: pattern) else { return true }
            let start = u.index(i, offsetBy: pattern.count)
            if let end = u[start...].firstIndex(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }),
                u[end] == UInt8(ascii: "\"")
            {
                found = String(text[start..<end])
            }
            return false
        }
        return found
    }

    /// The elements of a JSON array, as text (`[{"id":"a"},{"id":"b"}]` gives `{"id":"a"}` and
    /// `{"id":"b"}`). For text the store wrote (canonical, valid); anything else gives what it
    /// can, never traps. `null` and non-arrays give no elements.
    public static func arrayElements(_ text: String) -> [Substring] {
        let whole = Substring(text)
        let u = whole.utf8
        guard let open = u.firstIndex(of: UInt8(ascii: "[")) else { return [] }
        var elements: [Substring] = []
        var start = u.index(after: open)
        scan(u[start...]) { i, c, depth in
            guard depth == 0 else { return true }
            switch c {
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if start < i { elements.append(whole[start..<i]) }
                return false
            case UInt8(ascii: ","):
                elements.append(whole[start..<i])
                start = u.index(after: i)
            default: break
            }
            return true
        }
        return elements
    }
}
