/// Typed reads of a JSON object's members, with the wire's errors: a member that is absent or
/// null reads as nil; one of another type is `syntax` ("field "x" has the wrong type"); `required`
/// turns an absent one into `syntax` ("missing "x""). Members not asked for are ignored.
public struct JSONFields: Sendable {
    public let object: JSONObject

    public init(_ object: JSONObject) { self.object = object }

    public func required<T>(_ key: String, _ read: (String) throws(HLPError) -> T?) throws(HLPError) -> T {
        guard let value = try read(key) else { throw HLPError(.syntax, "missing \"\(Self.printable(key))\"") }
        return value
    }

    public func string(_ key: String) throws(HLPError) -> String? {
        try read(key) { $0.stringValue }
    }

    public func bool(_ key: String) throws(HLPError) -> Bool? {
        try read(key) { $0.boolValue }
    }

    public func int(_ key: String) throws(HLPError) -> Int? {
        try read(key) { $0.integerValue }
    }

    public func int64(_ key: String) throws(HLPError) -> Int64? {
        try int(key).map(Int64.init)
    }

    public func strings(_ key: String) throws(HLPError) -> [String]? {
        try read(key) { value in
            guard let array = value.arrayValue else { return nil }
            let strings = array.compactMap(\.stringValue)
            return strings.count == array.count ? strings : nil
        }
    }

    /// An object whose members are all integers, as a dictionary.
    public func intsByName(_ key: String) throws(HLPError) -> [String: Int]? {
        try read(key) { value in
            guard let members = value.objectValue?.members else { return nil }
            var out: [String: Int] = [:]
            for (name, member) in members {
                guard let n = member.integerValue else { return nil }
                out[name] = n
            }
            return out
        }
    }

    private func read<T>(_ key: String, _ convert: (JSONValue) -> T?) throws(HLPError) -> T? {
        guard let value = object[key], value != .null else { return nil }
        guard let converted = convert(value) else {
            throw HLPError(.syntax, "field \"\(Self.printable(key))\" has the wrong type")
        }
        return converted
    }

    private static func printable(_ key: String) -> String { CommandParser.printable(Array(key.utf8)) }
}
