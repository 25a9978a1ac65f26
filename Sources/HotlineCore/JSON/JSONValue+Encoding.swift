extension JSONValue {
    /// Compact single-line JSON text; members in their stored order.
    public var jsonText: String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out, sorted: false)
        return String(decoding: out, as: UTF8.self)
    }

    /// Canonical bytes: object keys sorted by their UTF-8 bytes, numbers in shortest form.
    /// Two values are equal as JSON exactly when their canonical bytes are equal.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out, sorted: true)
        return out
    }

    func write(into out: inout [UInt8], sorted: Bool) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case let .number(n): Self.writeNumber(n, into: &out)
        case let .string(s): Self.writeString(s, into: &out)
        case let .array(a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out, sorted: sorted)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(o):
            out.append(UInt8(ascii: "{"))
            var members = o.members
            if sorted { members.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } }
            for (i, m) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(m.key, into: &out)
                out.append(UInt8(ascii: ":"))
                m.value.write(into: &out, sorted: sorted)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Whole numbers (the common case: levels, counts, seconds) without a String in between.
    static func writeNumber(_ n: Double, into out: inout [UInt8]) {
        guard n == n.rounded(.towardZero), abs(n) < 1e15 else {
            out.append(contentsOf: "\(n)".utf8)
            return
        }
        var v = Int64(n)
        if v == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        if v < 0 {
            out.append(UInt8(ascii: "-"))
            v = -v
        }
        let start = out.count
        while v > 0 {
            out.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        }
        out[start...].reverse()
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            // Most text needs no escape: copied in one piece.
            if !utf8.contains(where: needsEscape) {
                out.append(contentsOf: utf8)
                return
            }
            for b in utf8 { writeEscaped(b, into: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always) static func needsEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == 0x7F
    }

    private static func writeEscaped(_ b: UInt8, into out: inout [UInt8]) {
        switch b {
        case UInt8(ascii: "\""): out.append(0x5C); out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C); out.append(0x5C)
        case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
        case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
        case 0x00...0x1F, 0x7F:
            out.append(contentsOf: "\\u00".utf8)
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xF)])
        default: out.append(b)
        }
    }

    /// A JSON string literal of `s` (quotes included), as `writeString` writes it.
    public static func stringLiteral(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        writeString(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension JSONObject {
    public var jsonText: String { JSONValue.object(self).jsonText }
}

/// Writes one JSON object member by member, in the order given, without building a
/// `JSONObject` first: for records written in bulk (escalations).
public struct JSONObjectWriter {
    public private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    private mutating func key(_ k: String) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        JSONValue.writeString(k, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func add(_ k: String, _ s: String) {
        key(k)
        JSONValue.writeString(s, into: &bytes)
    }

    public mutating func add(_ k: String, _ n: Int) {
        key(k)
        JSONValue.writeNumber(Double(n), into: &bytes)
    }

    public mutating func add(_ k: String, _ v: JSONValue) {
        key(k)
        v.write(into: &bytes, sorted: false)
    }

    public var text: String { String(decoding: bytes + [UInt8(ascii: "}")], as: UTF8.self) }
}
