/// Checks a REPORT object against hotline-protocol(7)'s field rules and the directory.
public enum ReportValidator {
    public static let fields: Set<String> = [
        "ref", "severity", "forms", "commune", "village", "lat", "lon", "victims", "children", "vulnerable",
        "injured", "weapon", "needs_shelter", "caller", "summary", "reported_at", "callback",
    ]

    /// - Parameters:
    ///   - commune: the authenticated gateway's commune.
    ///   - now: the server's current time, for the `reported_at` default and its future limit.
    public static func validate(
        _ object: JSONObject, commune gatewayCommune: String, directory: Directory, now: Timestamp
    ) throws(HLPError) -> ReportRequest {
        for key in object.keys where !fields.contains(key) {
            throw HLPError(.invalid, "unknown field \"\(CommandParser.printable(Array(key.utf8)))\"")
        }
        // ref
        guard let refValue = object["ref"] else { throw missing("ref") }
        guard let ref = refValue.stringValue, (1...64).contains(ref.utf8.count),
            ref.utf8.allSatisfy(DirectoryLoader.RowView.isIdentifierByte)
        else { throw .invalid(field: "ref", "must be 1-64 characters of A-Z a-z 0-9 . _ : -") }
        // severity
        guard let severityValue = object["severity"] else { throw missing("severity") }
        guard let severityText = severityValue.stringValue, let requested = Severity(rawValue: severityText) else {
            throw .invalid(field: "severity", "must be one of critical, high, normal, low")
        }
        // forms
        guard let formsValue = object["forms"] else { throw missing("forms") }
        let formsRule = "must be a non-empty array of distinct physical, psychological, sexual, economic"
        guard let formsArray = formsValue.arrayValue, !formsArray.isEmpty, formsArray.count <= 4 else {
            throw .invalid(field: "forms", formsRule)
        }
        var forms: [ViolenceForm] = []
        for item in formsArray {
            guard let text = item.stringValue, let form = ViolenceForm(rawValue: text), !forms.contains(form) else {
                throw .invalid(field: "forms", formsRule)
            }
            forms.append(form)
        }
        // commune
        var commune = gatewayCommune
        if let value = object["commune"] {
            guard let text = value.stringValue else { throw .invalid(field: "commune", "must be a string") }
            guard text == gatewayCommune else {
                throw HLPError(.forbidden, "gateway may report only for commune \(gatewayCommune)")
            }
            commune = text
        }
        guard let communeRecord = directory.communes[commune] else {
            throw HLPError(.forbidden, "commune \(commune) is not in the directory")
        }
        // village
        var village: Village?
        if let value = object["village"] {
            guard let id = value.stringValue else { throw .invalid(field: "village", "must be a string") }
            guard let v = directory.villages[id], v.communeCode == commune else {
                throw .invalid(field: "village", "must be a village id of commune \(commune)")
            }
            village = v
        }
        // lat, lon
        var reported: GeoPoint?
        switch (object["lat"], object["lon"]) {
        case (nil, nil): break
        case let (lat?, lon?):
            guard let la = lat.numberValue, (-90...90).contains(la) else {
                throw .invalid(field: "lat", "must be a number from -90 to 90")
            }
            guard let lo = lon.numberValue, (-180...180).contains(lo) else {
                throw .invalid(field: "lon", "must be a number from -180 to 180")
            }
            let p = GeoPoint(lat: la, lon: lo)
            guard directory.inServiceArea(p) else {
                throw .invalid(field: "lat", "and lon are outside the service area (over 10 km from every known place)")
            }
            reported = p
        case (nil, _): throw .invalid(field: "lat", "is required with lon (both or neither)")
        case (_, nil): throw .invalid(field: "lon", "is required with lat (both or neither)")
        }
        let victims = try integer(object, "victims", default: 1, range: 1...50)
        let children = try integer(object, "children", default: 0, range: 0...50)
        let vulnerable = try bool(object, "vulnerable")
        let injured = try bool(object, "injured")
        let weapon = try bool(object, "weapon")
        let needsShelter = try bool(object, "needs_shelter")
        let caller = try text(object, "caller", max: 32)
        let summary = try text(object, "summary", max: 2000)
        var callback = Callback.unknown
        if let value = object["callback"] {
            guard let text = value.stringValue, let c = Callback(rawValue: text) else {
                throw .invalid(field: "callback", "must be one of safe, unsafe, unknown")
            }
            callback = c
        }
        var reportedAt = now
        if let value = object["reported_at"] {
            guard let s = value.stringValue, let t = Timestamp(rfc3339: s) else {
                throw .invalid(field: "reported_at", "must be an RFC 3339 time such as 2026-11-29T08:30:00Z")
            }
            guard t.seconds <= now.seconds + HLPDefaults.maxFutureSkewSeconds else {
                throw .invalid(field: "reported_at", "is more than 5 minutes in the future")
            }
            guard t.seconds >= HLPDefaults.earliestTimeSeconds else {
                throw .invalid(field: "reported_at", "is before 2000-01-01T00:00:00Z")
            }
            reportedAt = t
        }
        let severity = SeverityRules.inForce(requested: requested, weapon: weapon, injured: injured, children: children)
        return ReportRequest(
            ref: ref, requestedSeverity: requested, severity: severity, forms: forms.sorted(), commune: commune,
            village: village?.id, reportedPosition: reported,
            location: reported ?? village?.position ?? communeRecord.position, victims: victims, children: children,
            vulnerable: vulnerable, injured: injured, weapon: weapon, needsShelter: needsShelter, caller: caller,
            summary: summary, reportedAt: reportedAt, callback: callback,
            contentHash: SHA256.hexHash(JSONValue.object(object).canonicalBytes))
    }

    static func missing(_ field: String) -> HLPError { .invalid(field: field, "is required") }

    static func integer(_ o: JSONObject, _ field: String, default d: Int, range: ClosedRange<Int>) throws(HLPError) -> Int {
        guard let value = o[field] else { return d }
        guard let n = value.integerValue, range.contains(n) else {
            throw .invalid(field: field, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    static func bool(_ o: JSONObject, _ field: String) throws(HLPError) -> Bool {
        guard let value = o[field] else { return false }
        guard let b = value.boolValue else { throw .invalid(field: field, "must be true or false") }
        return b
    }

    static func text(_ o: JSONObject, _ field: String, max: Int) throws(HLPError) -> String? {
        guard let value = o[field] else { return nil }
        guard let s = value.stringValue, s.count <= max else {
            throw .invalid(field: field, "must be a string of at most \(max) characters")
        }
        try storableText(s, field)
        return s
    }

    /// Text is stored exactly as sent, so it may not hold what cannot be: a control character
    /// other than TAB, LF and CR (U+0000–U+001F, U+007F) is refused (hotline-protocol(7)).
    public static func storableText(_ s: String, _ field: String) throws(HLPError) {
        for b in s.utf8 where (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F {
            throw .invalid(field: field, "must not contain control characters other than TAB, LF and CR")
        }
    }
}
