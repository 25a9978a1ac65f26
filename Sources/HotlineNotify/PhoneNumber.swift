/// Phone numbers as a gateway dials them: international digits without `+` (smstools' `To:`).
public enum PhoneNumber {
    /// `0912 345 678` → `84912345678`, `+84 91…` → `8491…`, `0084…` → `84…`, `8491…` stays.
    /// Nil for anything that is not a dialable number: letters, too few or too many digits, a
    /// country code that starts with 0 (the sample directory's `000-…` numbers, which no
    /// subscriber has, are refused this way).
    public static func msisdn(_ text: String, countryCode: String = "84") -> String? {
        var digits = ""
        var plus = false
        for (i, c) in text.trimmingSpaces.enumerated() {
            if c.isASCII, c.isNumber {
                digits.append(c)
            } else if c == "+", i == 0 {
                plus = true
            } else if c == " " || c == "-" || c == "." || c == "(" || c == ")" {
                continue
            } else {
                return nil
            }
        }
        var international: String
        if plus {
            international = digits
        } else if digits.hasPrefix("00") {
            international = String(digits.dropFirst(2))
        } else if digits.hasPrefix("0") {
            international = countryCode + digits.dropFirst()
        } else if digits.hasPrefix(countryCode), digits.count >= 10 {
            international = digits
        } else {
            return nil
        }
        guard let first = international.first, first != "0", (8...15).contains(international.count) else { return nil }
        return international
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !blank($0) }), let end = lastIndex(where: { !blank($0) }) else { return "" }
        return self[start...end]
    }
}
