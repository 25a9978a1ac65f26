import Foundation
import HotlineControl
import HotlineCore
import Testing

/// The operator side without a daemon: reading the queue, describing records, tables.
struct ControlTests {
    @Test func aMissingQueueIsAnErrorNotZeroRecords() throws {
        let folder = NSTemporaryDirectory() + "hotline-control-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(throws: QueueReader.Failure.self) { try QueueReader.files(folder + "/escalations.jsonl") }
        #expect(QueueReader.verify([]).problem == "no queue files given")
        try "".write(toFile: folder + "/escalations.jsonl", atomically: true, encoding: .utf8)
        #expect(try QueueReader.files(folder + "/escalations.jsonl") == [folder + "/escalations.jsonl"])
    }

    @Test func recordsAreDescribedForPeople() throws {
        let unsafe = try #require(
            try JSONParser.parse(
                #"{"seq":4,"at":"2026-11-29T01:00:00Z","incident":"INC-000002","severity":"critical","level":1,"reason":"ack_overdue","late_s":3,"assigned":{"id":"PG-1","phone":"09"},"notify":[{"role":"province"}],"callback":"unsafe"}"#
            ).objectValue)
        let line = QueueReader.describe(unsafe)
        #expect(line == "#4 2026-11-29T01:00:00Z INC-000002 critical level 1 ack_overdue (3 s late) [CALLBACK UNSAFE: do not phone the caller] -> PG-1 09; notify province")
        let restored = try #require(
            try JSONParser.parse(#"{"seq":991,"at":"2026-11-29T08:45:51Z","reason":"store_restored","store_seq":790,"file_seq":990}"#)
                .objectValue)
        #expect(QueueReader.describe(restored) == "#991 2026-11-29T08:45:51Z STORE RESTORED from a backup (store at seq 790, file at seq 990); notify province")
    }

    @Test func tablesPadByCharacters() {
        #expect(Table.render(["A", "B"], [["Ân Hòa", "1"], ["x", "22"]]) == "A       B\nÂn Hòa  1\nx       22\n")
    }
}
