/// An incoming SMS that acknowledges: `OK INC-000123` or `1 INC-000123` (any case, spaces
/// around, the dash optional). Anything else is not understood.
public enum ReplyParser {
    /// The incident id, written as the daemon writes it (`INC-` and at least six digits).
    public static func acknowledgement(_ text: String) -> String? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        guard words.count == 2 else { return nil }
        let verb = words[0].uppercased()
        guard verb == "OK" || verb == "1" else { return nil }
        var id = words[1].uppercased()[...]
        guard id.hasPrefix("INC") else { return nil }
        id = id.dropFirst(3)
        if id.hasPrefix("-") { id = id.dropFirst() }
        guard (1...12).contains(id.count), id.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(id), n > 0 else { return nil }
        let digits = String(n)
        return "INC-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
