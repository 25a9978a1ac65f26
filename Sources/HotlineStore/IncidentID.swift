/// Incident ids on the wire: `INC-` and the incident's row number, at least 6 digits.
public enum IncidentID {
    public static func text(_ number: Int64) -> String {
        let digits = String(number)
        return "INC-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The row number named by an id token, or `nil` if the token cannot name an incident.
    public static func number(_ text: String) -> Int64? {
        guard text.hasPrefix("INC-") else { return nil }
        let digits = text.dropFirst(4)
        guard (6...18).contains(digits.count), digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let n = Int64(digits), n > 0, text == Self.text(n)
        else { return nil }
        return n
    }
}
