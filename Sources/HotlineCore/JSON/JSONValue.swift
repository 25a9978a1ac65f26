/// A parsed JSON value. Objects keep their members in source order so that replies render
/// in a stable, documented order; equality of objects ignores member order.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        // Byte equality, not Swift's canonical-equivalence String ==.
        case let (.string(a), .string(b)): return a.utf8.elementsEqual(b.utf8)
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a == b
        default: return false
        }
    }
}

/// An ordered list of JSON members with unique keys.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var members: [(key: String, value: JSONValue)]

    public init() { members = [] }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        members = []
        for (k, v) in elements { self[k] = v }
    }

    public subscript(key: String) -> JSONValue? {
        get { members.first(where: { $0.key == key })?.value }
        set {
            if let i = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    public var keys: [String] { members.map(\.key) }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for (k, v) in lhs.members {
            guard let other = rhs[k], other == v else { return false }
        }
        return true
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByNilLiteral, ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    public init(_ value: Int) { self = .number(Double(value)) }
    public init(_ value: String?) { self = value.map { .string($0) } ?? .null }

    public var objectValue: JSONObject? {
        if case let .object(o) = self { return o }
        return nil
    }
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }
    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }
    public var numberValue: Double? {
        if case let .number(n) = self { return n }
        return nil
    }
    public var arrayValue: [JSONValue]? {
        if case let .array(a) = self { return a }
        return nil
    }
    /// The value as an exact integer, if it is a number with no fractional part within ±2^53.
    public var integerValue: Int? {
        guard case let .number(n) = self, n.rounded(.towardZero) == n, abs(n) <= 9_007_199_254_740_992 else {
            return nil
        }
        return Int(n)
    }
}
