import HotlineCore
import Testing

/// The store's domain values as the protocols show them.
@Suite struct StoreRepliesTests {
    static func view(personal: PersonalData) -> IncidentView {
        IncidentView(
            id: "INC-000001", ref: "r1", severity: "high", assigned: .object(["id": "PG-1"]), backups: [], shelter: .null,
            ackDue: Timestamp(seconds: 60), attendDue: nil, state: "open", level: 0, review: false, gateway: "HL-14320",
            commune: "14320", district: "369", village: nil, forms: ["physical", "economic"], victims: 1, children: 0,
            vulnerable: false, injured: true, weapon: false, needsShelter: false, callback: "unknown",
            reportedAt: Timestamp(seconds: 0), receivedAt: Timestamp(seconds: 1), acknowledgedAt: nil, attendedAt: nil,
            closedAt: nil, offenderMeasures: nil, victimSupport: nil, personal: personal,
            history: [["at": "1970-01-01T00:00:00Z", "event": "reported"]])
    }

    @Test func personalDataIsShownOnlyWhenAskedAndNamedOnce() {
        let personal = PersonalData(caller: "Chị Lan", summary: "bị đánh", closeNote: nil, retractReason: nil)
        #expect(personal.shown == ["caller", "summary"])
        #expect(PersonalData(reading: { $0 == "close_note" ? "n" : nil }).closeNote == "n")
        let view = Self.view(personal: personal)
        let shown = view.object(showingPersonalData: true)
        #expect(shown["caller"] == "Chị Lan" && shown["summary"] == "bị đánh" && shown["close_note"] == .null)
        let hidden = view.object(showingPersonalData: false)
        #expect(hidden["caller"] == .string(IncidentView.hiddenPersonalData))
        #expect(hidden["summary"] == .string(IncidentView.hiddenPersonalData))
        #expect(hidden["close_note"] == .null && hidden["retract_reason"] == .null)
        #expect(!hidden.jsonText.contains("Chị Lan") && !hidden.jsonText.contains("bị đánh"))
        // Everything else is the same, in STATUS's order.
        #expect(hidden.keys == shown.keys)
        #expect(Array(shown.keys.prefix(4)) == ["incident", "ref", "duplicate", "severity"])
        #expect(shown.keys.last == "history")
        #expect(shown["ack_due"] == "1970-01-01T00:01:00Z" && shown["attend_due"] == .null)
        #expect(shown["forms"] == ["physical", "economic"] && shown["offender_measures"] == .null)
    }

    @Test func caseOutcomesAndRefusals() {
        #expect(CaseOutcome(incident: "INC-000001", state: "closed").object.jsonText == #"{"incident":"INC-000001","state":"closed"}"#)
        #expect(
            CaseOutcome(incident: "INC-000001", state: "acknowledged", detail: .attendDue(nil)).object.jsonText
                == #"{"incident":"INC-000001","state":"acknowledged","attend_due":null}"#)
        #expect(CaseOutcome(incident: "INC-000001", state: "open", detail: .review).object["review"] == true)
        #expect(StoreError.noIncident("INC-\u{1}").wire == HLPError(.notFound, "no incident INC-?"))
        #expect(StoreError.otherCommune(incident: "INC-000001", owner: nil).wire.text == "incident INC-000001 belongs to another commune")
        #expect(StoreError.closed(incident: "INC-000001").wire.code == .conflict)
        #expect(StoreError.invalid(field: "at", "is before").wire == .invalid(field: "at", "is before"))
    }
}
