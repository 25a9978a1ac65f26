/// A REPORT's JSON object validated and extracted in one pass over its bytes, without a
/// `JSONValue` tree, for the common case: every key one of hotline-protocol(7)'s fields, once;
/// strings without escapes; numbers without exponents; every value of its field's type and
/// within its rules.
///
/// It either returns exactly the `ReportRequest` that `CommandParser` + `ReportValidator` would
/// return for the same bytes (same fields, same content hash), or `nil`, and then the caller
/// takes that general path, which gives every error its usual text. It never refuses anything
/// itself, so the contract's errors and their order live in one place
/// (`ReportFastPathTests` and the fuzz target check the equivalence).
public enum ReportFastPath {
    /// The fields, indexed as `Field`.
    enum Field: Int, CaseIterable {
        case ref, severity, forms, commune, village, lat, lon, victims, children, vulnerable, injured, weapon
        case needsShelter, caller, summary, reportedAt, callback

        var name: String {
            switch self {
            case .needsShelter: return "needs_shelter"
            case .reportedAt: return "reported_at"
            default: return "\(self)"
            }
        }

        static let names: [[UInt8]] = allCases.map { Array($0.name.utf8) }

        /// The fields in the canonical JSON's order (keys sorted by their UTF-8 bytes), with
        /// the `"key":` bytes that precede each value there.
        static let canonicalOrder: [(field: Field, prefix: [UInt8])] = allCases
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            .map { ($0, Array("\"\($0.name)\":".utf8)) }

        static func find(_ key: UnsafeBufferPointer<UInt8>) -> Field? {
            for (i, name) in names.enumerated() where name.count == key.count && name.elementsEqual(key) {
                return Field(rawValue: i)
            }
            return nil
        }
    }

    /// A scalar value as found in the bytes.
    enum Scalar {
        /// A string without escapes: the bytes between the quotes.
        case string(Range<Int>)
        case number(Double)
        case bool(Bool)
        /// `forms`: the strings' byte ranges.
        case strings([Range<Int>])
    }

    public static func validate(
        _ line: ArraySlice<UInt8>, commune gatewayCommune: String, directory: Directory, now: Timestamp
    ) -> ReportRequest? {
        line.withContiguousStorageIfAvailable { buffer in
            guard let values = scan(buffer) else { return nil }
            return build(buffer, values, commune: gatewayCommune, directory: directory, now: now)
        } ?? nil
    }

    // MARK: - One pass over the bytes

    private static func scan(_ b: UnsafeBufferPointer<UInt8>) -> [Scalar?]? {
        var values = [Scalar?](repeating: nil, count: Field.allCases.count)
        var i = 0
        let n = b.count
        func skip() { while i < n, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 } }
        /// A string without escapes, control characters or DEL; `i` on its opening quote.
        func string() -> Range<Int>? {
            guard i < n, b[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            while i < n {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return start..<(i - 1)
                }
                if c == UInt8(ascii: "\\") || c < 0x20 || c == 0x7F { return nil }
                i += 1
            }
            return nil
        }
        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, at most 64 bytes: the numbers that need no exponent.
        func number() -> Double? {
            let start = i
            if i < n, b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < n, isDigit(b[i]) else { return nil }
            if b[i] == UInt8(ascii: "0") {
                i += 1
            } else {
                while i < n, isDigit(b[i]) { i += 1 }
            }
            if i < n, b[i] == UInt8(ascii: ".") {
                i += 1
                guard i < n, isDigit(b[i]) else { return nil }
                while i < n, isDigit(b[i]) { i += 1 }
            }
            if i < n, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") { return nil }
            guard i - start <= 64 else { return nil }
            return Double(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
        }
        func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard i + count <= n else { return false }
            for k in 0..<count where b[i + k] != word.utf8Start[k] { return false }
            i += count
            return true
        }

        skip()
        guard i < n, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        skip()
        if i < n, b[i] == UInt8(ascii: "}") { return nil }  // {}: the general path says what is missing
        while true {
            skip()
            guard let keyRange = string(), let field = Field.find(UnsafeBufferPointer(rebasing: b[keyRange])),
                values[field.rawValue] == nil
            else { return nil }
            skip()
            guard i < n, b[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skip()
            let value: Scalar
            switch field {
            case .ref, .severity, .commune, .village, .caller, .summary, .reportedAt, .callback:
                guard let s = string() else { return nil }
                value = .string(s)
            case .lat, .lon, .victims, .children:
                guard let d = number() else { return nil }
                value = .number(d)
            case .vulnerable, .injured, .weapon, .needsShelter:
                if literal("true") {
                    value = .bool(true)
                } else if literal("false") {
                    value = .bool(false)
                } else {
                    return nil
                }
            case .forms:
                guard i < n, b[i] == UInt8(ascii: "[") else { return nil }
                i += 1
                var items: [Range<Int>] = []
                skip()
                guard i < n, b[i] != UInt8(ascii: "]") else { return nil }
                while true {
                    skip()
                    guard let s = string(), items.count < 4 else { return nil }
                    items.append(s)
                    skip()
                    guard i < n else { return nil }
                    if b[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    guard b[i] == UInt8(ascii: "]") else { return nil }
                    i += 1
                    break
                }
                value = .strings(items)
            }
            values[field.rawValue] = value
            skip()
            guard i < n else { return nil }
            if b[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard b[i] == UInt8(ascii: "}") else { return nil }
            i += 1
            skip()
            return i == n ? values : nil
        }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    // MARK: - The rules, and the request

    private static func build(
        _ b: UnsafeBufferPointer<UInt8>, _ values: [Scalar?], commune gatewayCommune: String, directory: Directory,
        now: Timestamp
    ) -> ReportRequest? {
        func bytes(_ r: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: b[r]) }
        func text(_ r: Range<Int>) -> String { String(decoding: bytes(r), as: UTF8.self) }
        func value(_ f: Field) -> Scalar? { values[f.rawValue] }
        func stringRange(_ f: Field) -> Range<Int>?? {
            guard let v = value(f) else { return .some(nil) }
            guard case let .string(r) = v else { return nil }
            return r
        }
        func bool(_ f: Field) -> Bool? {
            guard let v = value(f) else { return false }
            guard case let .bool(x) = v else { return nil }
            return x
        }
        func integer(_ f: Field, _ d: Int, _ range: ClosedRange<Int>) -> Int? {
            guard let v = value(f) else { return d }
            guard case let .number(x) = v, x.rounded(.towardZero) == x, abs(x) <= 9_007_199_254_740_992,
                range.contains(Int(x))
            else { return nil }
            return Int(x)
        }
        /// Optional text with at most `max` characters (no control characters: `scan` took none).
        func freeText(_ f: Field, max: Int) -> String?? {
            guard let r = stringRange(f) else { return nil }
            guard let r else { return .some(nil) }
            let s = text(r)
            guard r.count <= max || s.count <= max else { return nil }
            return s
        }
        func keyword<T: RawRepresentable>(_ f: Field, _: T.Type) -> T? where T.RawValue == String {
            guard case let .string(r)? = value(f) else { return nil }
            return T(rawValue: text(r))
        }

        // ref
        guard case let .string(refRange)? = value(.ref), (1...64).contains(refRange.count),
            bytes(refRange).allSatisfy(DirectoryLoader.RowView.isIdentifierByte)
        else { return nil }
        guard let requested = keyword(.severity, Severity.self) else { return nil }
        // forms
        guard case let .strings(items)? = value(.forms) else { return nil }
        var forms: [ViolenceForm] = []
        for item in items {
            guard let form = ViolenceForm(rawValue: text(item)), !forms.contains(form) else { return nil }
            forms.append(form)
        }
        // commune, village
        guard let communeRange = stringRange(.commune) else { return nil }
        if let communeRange, !bytes(communeRange).elementsEqual(gatewayCommune.utf8) { return nil }
        let commune = gatewayCommune
        guard let communeRecord = directory.communes[commune] else { return nil }
        guard let villageRange = stringRange(.village) else { return nil }
        var village: Village?
        if let villageRange {
            guard let v = directory.villages[text(villageRange)], v.communeCode == commune else { return nil }
            village = v
        }
        // lat, lon
        var reported: GeoPoint?
        switch (value(.lat), value(.lon)) {
        case (nil, nil): break
        case let (.number(la)?, .number(lo)?):
            guard (-90...90).contains(la), (-180...180).contains(lo) else { return nil }
            let p = GeoPoint(lat: la, lon: lo)
            guard directory.inServiceArea(p) else { return nil }
            reported = p
        default: return nil
        }
        guard let victims = integer(.victims, 1, 1...50), let children = integer(.children, 0, 0...50),
            let vulnerable = bool(.vulnerable), let injured = bool(.injured), let weapon = bool(.weapon),
            let needsShelter = bool(.needsShelter), let caller = freeText(.caller, max: 32),
            let summary = freeText(.summary, max: 2000)
        else { return nil }
        var callback = Callback.unknown
        if value(.callback) != nil {
            guard let c = keyword(.callback, Callback.self) else { return nil }
            callback = c
        }
        var reportedAt = now
        if value(.reportedAt) != nil {
            guard case let .string(r)? = value(.reportedAt), let t = Timestamp(rfc3339: text(r)),
                t.seconds <= now.seconds + HLPDefaults.maxFutureSkewSeconds, t.seconds >= HLPDefaults.earliestTimeSeconds
            else { return nil }
            reportedAt = t
        }
        let severity = SeverityRules.inForce(requested: requested, weapon: weapon, injured: injured, children: children)
        return ReportRequest(
            ref: text(refRange), requestedSeverity: requested, severity: severity, forms: forms.sorted(), commune: commune,
            village: village?.id, reportedPosition: reported,
            location: reported ?? village?.position ?? communeRecord.position, victims: victims, children: children,
            vulnerable: vulnerable, injured: injured, weapon: weapon, needsShelter: needsShelter, caller: caller,
            summary: summary, reportedAt: reportedAt, callback: callback,
            contentHash: SHA256.hexHash(canonicalBytes(b, values)))
    }

    /// The object's canonical JSON (`JSONValue.canonicalBytes`) from the scanned values: keys in
    /// byte order, strings as sent (they hold nothing to escape), numbers and arrays rewritten.
    private static func canonicalBytes(_ b: UnsafeBufferPointer<UInt8>, _ values: [Scalar?]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(b.count + 16)
        for (field, prefix) in Field.canonicalOrder {
            guard let v = values[field.rawValue] else { continue }
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: prefix)
            switch v {
            case let .string(r):
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[r]))
                out.append(UInt8(ascii: "\""))
            case let .number(d): JSONValue.writeNumber(d, into: &out)
            case let .bool(x): out.append(contentsOf: (x ? "true" : "false").utf8)
            case let .strings(items):
                out.append(UInt8(ascii: "["))
                for (k, r) in items.enumerated() {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(UInt8(ascii: "\""))
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: b[r]))
                    out.append(UInt8(ascii: "\""))
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
