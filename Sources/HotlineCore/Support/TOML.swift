/// A strict reader for the part of TOML 1.0 that Hotline's configuration files use: comments,
/// `[table]` headers (dotted too), `key = value` lines (bare, quoted and dotted keys), basic and
/// literal strings, integers (decimal, 0x, 0o, 0b), floats, booleans, arrays and inline tables.
/// Multi-line strings, arrays of tables and dates are refused with a message saying so.
///
/// Written in Swift because the C++ library behind TOMLKit aborts the process on some
/// malformed files (`[$directory]` trips an assertion in toml++, in debug and release builds):
/// a typo in the configuration followed by `systemctl reload` took the daemon down. Every
/// input here ends in a table or a `TOMLError` with its line and column; the fuzz target's
/// `toml` mode checks that.
public enum TOML {
    /// Nesting of arrays and inline tables beyond this is refused (no recursion without end).
    public static let maxDepth = 32

    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var reader = Reader(bytes: Array(text.utf8))
        return try reader.document()
    }
}

public indirect enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case array([TOMLValue])
    case table(TOMLTable)

    public var string: String? { if case let .string(s) = self { s } else { nil } }
    public var int: Int? { if case let .integer(n) = self { n } else { nil } }
    public var double: Double? { if case let .float(d) = self { d } else { nil } }
    public var bool: Bool? { if case let .boolean(b) = self { b } else { nil } }
    public var array: [TOMLValue]? { if case let .array(a) = self { a } else { nil } }
    public var table: TOMLTable? { if case let .table(t) = self { t } else { nil } }
}

/// A table's keys in the order the file gives them, and their values.
public struct TOMLTable: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]

    public init() {}

    public subscript(key: String) -> TOMLValue? { values[key] }

    mutating func set(_ key: String, _ value: TOMLValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }
}

public struct TOMLError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "\(line):\(column): \(message)" }
}

extension TOML {
    /// While parsing, tables are shared nodes so that a header and later keys reach the same one.
    fileprivate final class Node {
        enum Entry {
            case value(TOMLValue)
            case table(Node)
        }
        var keys: [String] = []
        var entries: [String: Entry] = [:]
        /// Defined by a `[header]` of its own, or by dotted keys (then a header may not reopen it).
        /// An inline table is a value, so neither a header nor a dotted key can extend it.
        var defined = false

        var table: TOMLTable {
            var t = TOMLTable()
            for key in keys {
                switch entries[key]! {
                case let .value(v): t.set(key, v)
                case let .table(node): t.set(key, .table(node.table))
                }
            }
            return t
        }

        func child(_ key: String) -> Entry? { entries[key] }

        func add(_ key: String, _ entry: Entry) {
            keys.append(key)
            entries[key] = entry
        }
    }

    fileprivate struct Reader {
        let bytes: [UInt8]
        var i = 0
        var line = 1
        var lineStart = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }
        func peek(_ offset: Int) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }

        func error(_ message: String) -> TOMLError {
            TOMLError(line: line, column: i - lineStart + 1, message: message)
        }

        mutating func document() throws(TOMLError) -> TOMLTable {
            let root = Node()
            var current = root
            while true {
                skipSpaces()
                guard let c = peek else { break }
                switch c {
                case UInt8(ascii: "#"), 0x0A, 0x0D:
                    try endOfLine()
                case UInt8(ascii: "["):
                    if peek(1) == UInt8(ascii: "[") {
                        throw error("arrays of tables ([[...]]) are not used in this file")
                    }
                    i += 1
                    skipSpaces()
                    let path = try keyPath()
                    skipSpaces()
                    guard peek == UInt8(ascii: "]") else { throw error("expected ] to end the table header") }
                    i += 1
                    current = try header(root, path)
                    try endOfLine()
                default:
                    let path = try keyPath()
                    skipSpaces()
                    guard peek == UInt8(ascii: "=") else { throw error("expected = after the key") }
                    i += 1
                    skipSpaces()
                    let value = try self.value(depth: 0)
                    try assign(current, path, value)
                    try endOfLine()
                }
            }
            return root.table
        }

        /// The table a `[a.b.c]` header opens: created if missing, refused if already defined.
        func header(_ root: Node, _ path: [String]) throws(TOMLError) -> Node {
            var node = root
            for (n, key) in path.enumerated() {
                switch node.child(key) {
                case nil:
                    let next = Node()
                    node.add(key, .table(next))
                    node = next
                case let .table(next)?:
                    node = next
                case .value?:
                    throw error("\(path.prefix(n + 1).joined(separator: ".")) is already a value, not a table")
                }
            }
            guard !node.defined else { throw error("table [\(path.joined(separator: "."))] is defined twice") }
            node.defined = true
            return node
        }

        /// `a.b.c = value` into `table`: a, b are tables (created), c must be new.
        func assign(_ table: Node, _ path: [String], _ value: TOMLValue) throws(TOMLError) {
            var node = table
            for key in path.dropLast() {
                switch node.child(key) {
                case nil:
                    let next = Node()
                    next.defined = true
                    node.add(key, .table(next))
                    node = next
                case let .table(next)?:
                    node = next
                case .value?:
                    throw error("\(key) is already a value, not a table")
                }
            }
            let last = path[path.count - 1]
            guard node.child(last) == nil else { throw error("key \(path.joined(separator: ".")) is defined twice") }
            node.add(last, .value(value))
        }

        mutating func skipSpaces() {
            while let c = peek, c == 0x20 || c == 0x09 { i += 1 }
        }

        /// Spaces, an optional comment, then a newline or the end of the file.
        mutating func endOfLine() throws(TOMLError) {
            skipSpaces()
            if peek == UInt8(ascii: "#") {
                i += 1
                while let c = peek, c != 0x0A, c != 0x0D {
                    guard c == 0x09 || (c >= 0x20 && c != 0x7F) else { throw error("control character in a comment") }
                    i += 1
                }
            }
            guard let c = peek else { return }
            if c == 0x0D {
                guard peek(1) == 0x0A else { throw error("a carriage return must be followed by a line feed") }
                i += 1
            }
            guard peek == 0x0A else { throw error("expected the end of the line") }
            newline()
        }

        mutating func newline() {
            i += 1
            line += 1
            lineStart = i
        }

        /// Spaces, newlines and comments (inside arrays).
        mutating func skipBlank() throws(TOMLError) {
            while true {
                skipSpaces()
                guard let c = peek else { return }
                if c == UInt8(ascii: "#") || c == 0x0A || c == 0x0D {
                    try endOfLine()
                } else {
                    return
                }
            }
        }

        mutating func keyPath() throws(TOMLError) -> [String] {
            var path = [try key()]
            while true {
                skipSpaces()
                guard peek == UInt8(ascii: ".") else { return path }
                i += 1
                skipSpaces()
                path.append(try key())
            }
        }

        mutating func key() throws(TOMLError) -> String {
            switch peek {
            case UInt8(ascii: "\"")?:
                return try basicString()
            case UInt8(ascii: "'")?:
                return try literalString()
            default:
                let start = i
                while let c = peek, Self.isBare(c) { i += 1 }
                guard i > start else { throw error("expected a key (letters, digits, _ and -, or a quoted key)") }
                return String(decoding: bytes[start..<i], as: UTF8.self)
            }
        }

        static func isBare(_ c: UInt8) -> Bool {
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
        }

        mutating func value(depth: Int) throws(TOMLError) -> TOMLValue {
            guard depth < TOML.maxDepth else { throw error("arrays and inline tables nested deeper than \(TOML.maxDepth)") }
            guard let c = peek else { throw error("expected a value") }
            switch c {
            case UInt8(ascii: "\""):
                if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                    throw error("multi-line strings are not used in this file; use one line")
                }
                return .string(try basicString())
            case UInt8(ascii: "'"):
                if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                    throw error("multi-line strings are not used in this file; use one line")
                }
                return .string(try literalString())
            case UInt8(ascii: "t"):
                return try word("true", .boolean(true))
            case UInt8(ascii: "f"):
                return try word("false", .boolean(false))
            case UInt8(ascii: "["):
                return try array(depth: depth)
            case UInt8(ascii: "{"):
                return try inlineTable(depth: depth)
            default:
                return try number()
            }
        }

        mutating func word(_ text: String, _ value: TOMLValue) throws(TOMLError) -> TOMLValue {
            let w = Array(text.utf8)
            guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w,
                (i + w.count == bytes.count || !Self.isBare(bytes[i + w.count]))
            else { throw error("expected a value (a string needs quotes)") }
            i += w.count
            return value
        }

        mutating func array(depth: Int) throws(TOMLError) -> TOMLValue {
            i += 1
            var items: [TOMLValue] = []
            while true {
                try skipBlank()
                if peek == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                }
                items.append(try value(depth: depth + 1))
                try skipBlank()
                switch peek {
                case UInt8(ascii: ",")?: i += 1
                case UInt8(ascii: "]")?:
                    i += 1
                    return .array(items)
                default: throw error("expected , or ] in the array")
                }
            }
        }

        mutating func inlineTable(depth: Int) throws(TOMLError) -> TOMLValue {
            i += 1
            let node = Node()
            skipSpaces()
            if peek == UInt8(ascii: "}") {
                i += 1
                return .table(node.table)
            }
            while true {
                skipSpaces()
                let path = try keyPath()
                skipSpaces()
                guard peek == UInt8(ascii: "=") else { throw error("expected = after the key") }
                i += 1
                skipSpaces()
                try assign(node, path, try value(depth: depth + 1))
                skipSpaces()
                switch peek {
                case UInt8(ascii: ",")?: i += 1
                case UInt8(ascii: "}")?:
                    i += 1
                    return .table(node.table)
                default: throw error("expected , or } in the inline table (it must stay on one line)")
                }
            }
        }

        mutating func literalString() throws(TOMLError) -> String {
            i += 1
            let start = i
            while true {
                guard let c = peek, c != 0x0A, c != 0x0D else { throw error("unterminated string") }
                if c == UInt8(ascii: "'") { break }
                guard c == 0x09 || (c >= 0x20 && c != 0x7F) else { throw error("control character in a string") }
                i += 1
            }
            let s = String(decoding: bytes[start..<i], as: UTF8.self)
            i += 1
            return s
        }

        mutating func basicString() throws(TOMLError) -> String {
            i += 1
            var out: [UInt8] = []
            while true {
                guard let c = peek, c != 0x0A, c != 0x0D else { throw error("unterminated string") }
                i += 1
                switch c {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let e = peek else { throw error("unterminated string") }
                    i += 1
                    switch e {
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "u"), UInt8(ascii: "U"):
                        let count = e == UInt8(ascii: "u") ? 4 : 8
                        var scalar: UInt32 = 0
                        for _ in 0..<count {
                            guard let h = peek, let d = Self.hexDigit(h) else {
                                throw error("\\\(e == UInt8(ascii: "u") ? "u" : "U") needs \(count) hexadecimal digits")
                            }
                            scalar = scalar << 4 | d
                            i += 1
                        }
                        guard let u = Unicode.Scalar(scalar) else { throw error("\\u escape is not a Unicode scalar value") }
                        out += Array(String(Character(u)).utf8)
                    default:
                        throw error("unknown escape in a string (\\b \\t \\n \\f \\r \\\" \\\\ \\u \\U)")
                    }
                default:
                    guard c == 0x09 || (c >= 0x20 && c != 0x7F) else {
                        i -= 1
                        throw error("control character in a string (write it as \\u00XX)")
                    }
                    out.append(c)
                }
            }
        }

        static func hexDigit(_ c: UInt8) -> UInt32? {
            switch c {
            case 0x30...0x39: UInt32(c - 0x30)
            case 0x41...0x46: UInt32(c - 0x41 + 10)
            case 0x61...0x66: UInt32(c - 0x61 + 10)
            default: nil
            }
        }

        /// Integers and floats. The token runs to the next space, comma, bracket, brace,
        /// comment or newline; it is then checked as a whole.
        mutating func number() throws(TOMLError) -> TOMLValue {
            let start = i
            while let c = peek, !(c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: ",")
                || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") || c == UInt8(ascii: "#"))
            {
                i += 1
            }
            let token = Array(bytes[start..<i])
            guard !token.isEmpty else { throw error("expected a value") }
            let text = String(decoding: token, as: UTF8.self)
            if let value = Self.number(token) { return value }
            i = start
            if token.count >= 8, token[4] == UInt8(ascii: "-") || token.contains(UInt8(ascii: ":")) {
                throw error("dates and times are not used in this file; write \"\(text)\" as a quoted string if it is one")
            }
            if token.allSatisfy({ Self.isBare($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "+") }),
                Self.isDecimalShaped(token)
            {
                throw error("number out of range or badly formed: \(text)")
            }
            throw error("expected a value (a string needs quotes): \(text.prefix(40))")
        }

        static func isDecimalShaped(_ token: [UInt8]) -> Bool {
            token.contains { $0 >= 0x30 && $0 <= 0x39 }
        }

        static func number(_ token: [UInt8]) -> TOMLValue? {
            var t = token[...]
            var negative = false
            let signed = t.first == UInt8(ascii: "+") || t.first == UInt8(ascii: "-")
            if signed {
                negative = t.first == UInt8(ascii: "-")
                t = t.dropFirst()
            }
            switch String(decoding: t, as: UTF8.self) {
            case "inf": return .float(negative ? -.infinity : .infinity)
            case "nan": return .float(.nan)
            default: break
            }
            // 0x, 0o, 0b: unsigned, underscores between digits.
            if !signed, t.count > 2, t.first == UInt8(ascii: "0") {
                let radix: Int? =
                    switch t[t.startIndex + 1] {
                    case UInt8(ascii: "x"): 16
                    case UInt8(ascii: "o"): 8
                    case UInt8(ascii: "b"): 2
                    default: nil
                    }
                if let radix {
                    guard let digits = digits(t.dropFirst(2), allowed: { hexDigit($0).map { Int($0) < radix } ?? false })
                    else { return nil }
                    return Int(digits, radix: radix).map(TOMLValue.integer)
                }
            }
            // Decimal: int part, optional fraction, optional exponent.
            var rest = t
            let intEnd = rest.firstIndex { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } ?? rest.endIndex
            guard let intDigits = digits(rest[..<intEnd], allowed: { $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            guard intDigits == "0" || !intDigits.hasPrefix("0") else { return nil }
            rest = rest[intEnd...]
            var literal = (negative ? "-" : "") + intDigits
            var isFloat = false
            if rest.first == UInt8(ascii: ".") {
                rest = rest.dropFirst()
                let end = rest.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } ?? rest.endIndex
                guard let fraction = digits(rest[..<end], allowed: { $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
                literal += "." + fraction
                rest = rest[end...]
                isFloat = true
            }
            if let e = rest.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
                rest = rest.dropFirst()
                var sign = ""
                if let s = rest.first, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") {
                    sign = s == UInt8(ascii: "-") ? "-" : ""
                    rest = rest.dropFirst()
                }
                guard let exponent = digits(rest, allowed: { $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
                literal += "e" + sign + exponent
                rest = rest[rest.endIndex...]
                isFloat = true
            }
            guard rest.isEmpty else { return nil }
            if isFloat {
                guard let d = Double(literal), d.isFinite else { return nil }
                return .float(d)
            }
            return Int(literal).map(TOMLValue.integer)
        }

        /// Digits with single underscores between them, without the underscores; nil if empty,
        /// or an underscore is not between two digits, or a byte is not `allowed`.
        static func digits(_ s: ArraySlice<UInt8>, allowed: (UInt8) -> Bool) -> String? {
            var out: [UInt8] = []
            var previousDigit = false
            for c in s {
                if c == UInt8(ascii: "_") {
                    guard previousDigit else { return nil }
                    previousDigit = false
                } else {
                    guard allowed(c) else { return nil }
                    out.append(c)
                    previousDigit = true
                }
            }
            guard previousDigit else { return nil }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
