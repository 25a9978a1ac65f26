import Foundation
import HotlineCore
import HotlineHarness
import Testing

/// Shutdown through NIOExtras' quiescing: the daemon (as deployed, SIGTERM) tells every
/// connection to finish; what it had taken is answered, what comes after is refused, and
/// every receipt it sent holds after a restart.
struct ShutdownTests {
    @Test func sigtermAnswersWhatWasTakenAndEveryReceiptHolds() async throws {
        let folder = temporaryFolder()
        var server = try await TestServer(folder: folder)
        let c = try server.gateway()
        let refs = (0..<500).map { "quiesce-\($0)" }
        func report(_ ref: String) -> String { #"REPORT {"ref":"\#(ref)","severity":"low","forms":["economic"]}"# }
        try c.send(refs.map { report($0) + "\n" }.joined())
        // Requests are being taken when the signal comes.
        var replies = [try c.readLine()]
        try await server.stop()
        while let line = try? c.readLineOrEOF() { replies.append(line) }
        #expect(replies.count <= refs.count)
        var receipted: [String: String] = [:]
        for (ref, line) in zip(refs, replies) {
            switch HLPReply(line: line) {
            case let .ok(o): receipted[ref] = o["incident"]?.stringValue
            case let .err(code, text):
                #expect(code == "unavailable" && text.contains("shutting down"), "\(line)")
            }
        }
        #expect(!receipted.isEmpty)
        print("shutdown: \(receipted.count) receipts, \(replies.count - receipted.count) refused, \(refs.count - replies.count) unanswered")
        // After a restart each receipt's incident is there, under its ref.
        server = try await TestServer(folder: folder)
        let again = try server.gateway()
        for (ref, incident) in receipted {
            let o = try okObject(try again.request(report(ref)))
            #expect(o["duplicate"] == true && o["incident"]?.stringValue == incident, "\(ref)")
        }
        try await server.stop()
    }
}
