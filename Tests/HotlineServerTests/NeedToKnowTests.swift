import Foundation
import HotlineHarness
import HotlineCore
import HotlineServer
import Testing

/// Who may read and act on an incident, what an action may claim, and how much of the
/// province's shelter one commune may hold (hotline-protocol(7), issue 10 §2 and §5).
@Suite(.serialized)
struct NeedToKnowTests {
    static func time(_ offset: Int64) -> String {
        Timestamp(seconds: Int64(Date().timeIntervalSince1970) + offset).rfc3339
    }

    @Test func actionsNameTheIncidentsRespondersAndTimesAfterTheReport() async throws {
        let server = try await TestServer()
        let c = try server.gateway("14320")
        let receipt = try okObject(
            try c.request(#"REPORT {"ref":"nk-1","severity":"normal","forms":["economic"],"reported_at":"\#(Self.time(-3600))"}"#))
        let id = try #require(receipt["incident"]?.stringValue)
        let backup = try #require(receipt["backups"]?.arrayValue?.last?.objectValue?["id"]?.stringValue)

        // A responder of another commune may not take the case.
        let foreign = try c.request(#"ACK \#(id) {"responder":"PG-14323-01"}"#)
        #expect(errCode(foreign) == "invalid")
        #expect(foreign.contains("responder"))
        // A health facility of the commune is not a prevention group or trusted address.
        #expect(errCode(try c.request(#"ACK \#(id) {"responder":"HF-14320"}"#)) == "invalid")
        // A time before the report was made is refused (it would escalate at once).
        let early = try c.request(#"ACK \#(id) {"at":"\#(Self.time(-7200))"}"#)
        #expect(errCode(early) == "invalid")
        #expect(early.contains("before the incident was reported"))
        #expect(try okObject(try c.request("STATUS \(id)"))["state"] == "open")
        // The incident's own backup may.
        let ack = try okObject(try c.request(#"ACK \#(id) {"responder":"\#(backup)","at":"\#(Self.time(-1800))"}"#))
        #expect(ack["state"] == "acknowledged")
        // Another prevention group of the same commune may attend.
        #expect(try okObject(try c.request(#"ATTEND \#(id) {"responder":"PG-14320-02"}"#))["state"] == "attended")
        // CLOSE backdated before the report would start the retention clock early: refused.
        let backdated = try c.request(
            #"CLOSE \#(id) {"offender_measures":["none"],"victim_support":["none"],"at":"2000-01-01T00:00:00Z"}"#)
        #expect(errCode(backdated) == "invalid")
        #expect(try okObject(try c.request("STATUS \(id)"))["closed_at"] == .null)
        #expect(try okObject(try c.request(#"CLOSE \#(id) {"offender_measures":["none"],"victim_support":["none"]}"#))["state"] == "closed")
        try await server.stop()
    }

    @Test func oneCommuneCannotHoldTheProvincesShelterPlaces() async throws {
        let server = try await TestServer { $0.maxShelterPerCommune = 2 }
        let c = try server.gateway("14320")
        var shelters: [JSONValue?] = []
        var ids: [String] = []
        for i in 1...3 {
            let r = try okObject(try c.request(#"REPORT {"ref":"cap-\#(i)","severity":"critical","forms":["physical"]}"#))
            shelters.append(r["shelter"])
            ids.append(r["incident"]!.stringValue!)
        }
        #expect(shelters[0]?.objectValue?["kind"] == "health_facility")
        #expect(shelters[1]?.objectValue?["kind"] == "health_facility")
        #expect(shelters[2] == .null)
        // Another commune still gets a place.
        let other = try server.gateway("14323")
        let elsewhere = try okObject(try other.request(#"REPORT {"ref":"cap-o","severity":"critical","forms":["physical"]}"#))
        #expect(elsewhere["shelter"]?.objectValue != nil)
        // The province is told that the third had no place.
        let queue = server.folder + "/data/escalations.jsonl"
        var capped: JSONObject?
        _ = await Wait.until {
            capped = try readQueue(queue).records.first { $0["reason"] == "shelter_cap" }
            return capped != nil
        }
        #expect(capped?["incident"] == .string(ids[2]))
        #expect(capped?["notify"]?.arrayValue?.contains { $0.objectValue?["role"] == "province" } == true)
        // A CLOSE gives the place back: the next report of the commune gets one again.
        _ = try okObject(try c.request(#"CLOSE \#(ids[0]) {"offender_measures":["none"],"victim_support":["shelter"]}"#))
        let again = try okObject(try c.request(#"REPORT {"ref":"cap-4","severity":"critical","forms":["physical"]}"#))
        #expect(again["shelter"]?.objectValue != nil)
        try await server.stop()
    }
}
