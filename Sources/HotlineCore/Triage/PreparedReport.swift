/// A validated report with everything that does not depend on the store already worked out:
/// the assignee and backups, the shelter candidates, the due times and the receipt's bytes
/// but for the incident id and the shelter. Made where the request is read (in parallel on
/// the event loops), so that the single writer does only what must be serial: the
/// idempotency decision, the incident number, the shelter place, and the SQL.
public struct PreparedReport: Sendable {
    public var request: ReportRequest
    public var assigned: Assignment?
    public var backups: [Assignment]
    /// Health facilities with shelter beds, nearest first (empty when no shelter is wanted).
    /// The writer holds a place at the first one with a free bed.
    public var shelterCandidates: [Assignment]
    public var ackDue: Timestamp
    public var attendDue: Timestamp
    /// JSON texts of the stored columns.
    public var assignedJSON: String
    public var backupsJSON: String
    public var formsText: String
    /// `,"ref":…,"duplicate":false,"severity":…,"assigned":…,"backups":[…],"shelter":`
    let receiptMiddle: String
    /// `,"ack_due":"…","attend_due":"…"}`
    let receiptTail: String

    /// How many shelter candidates are worked out ahead; if all are full, the writer asks
    /// the whole directory.
    public static let shelterCandidateCount = 8

    public init(_ request: ReportRequest, directory: Directory, deadlines: DeadlineTable) {
        self.request = request
        let triage = Triage.triage(
            directory: directory, at: request.location, time: request.reportedAt, needsShelter: false, heldPlaces: [:])
        assigned = triage.assigned
        backups = triage.backups
        shelterCandidates =
            request.wantsShelter
            ? Triage.shelterCandidates(directory: directory, at: request.location, count: Self.shelterCandidateCount) : []
        let windows = deadlines[request.severity]
        ackDue = request.reportedAt.adding(seconds: windows.ack)
        attendDue = request.reportedAt.adding(seconds: windows.attend)
        assignedJSON = assigned?.jsonText ?? "null"
        var list: [UInt8] = [UInt8(ascii: "[")]
        list.reserveCapacity(400)
        for (i, b) in backups.enumerated() {
            if i > 0 { list.append(UInt8(ascii: ",")) }
            b.writeJSON(into: &list)
        }
        list.append(UInt8(ascii: "]"))
        backupsJSON = String(decoding: list, as: UTF8.self)
        formsText = request.forms.map(\.rawValue).joined(separator: ",")
        // The receipt object of hotline-protocol(7), keys in its order, around what the writer fills.
        let string = JSONValue.stringLiteral
        receiptMiddle =
            #","ref":"# + string(request.ref) + #","duplicate":false,"severity":"# + string(request.severity.rawValue)
            + #","assigned":"# + assignedJSON + #","backups":"# + backupsJSON + #","shelter":"#
        receiptTail =
            #","ack_due":"# + string(ackDue.rfc3339) + #","attend_due":"# + string(attendDue.rfc3339) + #","callback":"#
            + string(request.callback.rawValue) + "}"
    }

    /// The receipt's JSON text for the stored incident.
    public func receiptText(incident: String, shelterJSON: String) -> String {
        #"{"incident":""# + incident + "\"" + receiptMiddle + shelterJSON + receiptTail
    }
}

/// A receipt as the store hands it back: the JSON object's text, and what the network layer
/// logs and counts.
public struct IntakeReceipt: Sendable, Equatable {
    public var incident: String
    public var severity: String
    public var duplicate: Bool
    /// The receipt object (one line of JSON).
    public var text: String

    public init(incident: String, severity: String, duplicate: Bool, text: String) {
        self.incident = incident
        self.severity = severity
        self.duplicate = duplicate
        self.text = text
    }

    /// The same receipt flagged as a duplicate. The receipt starts with the incident id and
    /// the ref (neither can hold a quote), so the first `"duplicate":false` is the flag.
    public var asDuplicate: IntakeReceipt {
        let flag = Array(#","duplicate":false,"#.utf8)
        var bytes = Array(text.utf8)
        guard !duplicate, let at = Self.firstIndex(of: flag, in: bytes) else { return self }
        bytes.replaceSubrange(at..<(at + flag.count), with: #","duplicate":true,"#.utf8)
        var copy = self
        copy.duplicate = true
        copy.text = String(decoding: bytes, as: UTF8.self)
        return copy
    }

    static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}
