import Foundation

/// Folds Vietnamese text for search: either Unicode normal form, without diacritics, lower
/// case; đ and Đ become d. "an hoa" matches "Ân Hòa" whether that was typed composed (NFC)
/// or decomposed (NFD).
public enum TextFolding {
    public static func fold(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.value {
            case 0x0300...0x036F: continue  // combining diacritical marks
            case 0x0110, 0x0111: out.append("d")
            default: out.append(scalar)
            }
        }
        return String(out).lowercased()
    }

    /// Whether every word of `query` begins a word of `text`, both folded ("an hoa" finds
    /// "Xã Ân Hòa" but not "Nho Quan").
    public static func matches(_ query: String, in text: String) -> Bool {
        let words = fold(text).split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        let wanted = fold(query).split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        return !wanted.isEmpty && wanted.allSatisfy { w in words.contains { $0.hasPrefix(w) } }
    }
}
