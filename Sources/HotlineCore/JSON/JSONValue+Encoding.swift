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
        case .null: out.append(contentsOf: Array("null".utf8))
        case let .bool(b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case let .number(n): out.append(contentsOf: Array(Self.format(n).utf8))
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

    static func format(_ n: Double) -> String {
        if n == n.rounded(.towardZero), abs(n) < 1e15 {
            return String(Int64(n))
        }
        return "\(n)"
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00...0x1F, 0x7F:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONObject {
    public var jsonText: String { JSONValue.object(self).jsonText }
}
