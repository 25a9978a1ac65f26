import Foundation
import HotlineCore
import HotlineNotify
import Testing

#if canImport(Glibc)
import Glibc
#endif

struct PhoneNumberTests {
    @Test(arguments: [
        ("0912 345 678", "84912345678"), ("+84 912-345-678", "84912345678"), ("0084912345678", "84912345678"),
        ("84912345678", "84912345678"), ("(091) 234.5678", "84912345678"),
    ])
    func dialable(_ text: String, _ expected: String) { #expect(PhoneNumber.msisdn(text) == expected) }

    @Test(arguments: ["000-14638-pg02", "000 14638 02", "", "113", "0912abc", "+0912345678", "12345", "0912 345 678 901 234 5"])
    func notDialable(_ text: String) { #expect(PhoneNumber.msisdn(text) == nil) }
}

struct ReplyParserTests {
    @Test(arguments: [
        ("OK INC-000123", "INC-000123"), ("1 INC-000123", "INC-000123"), ("  ok   inc-123 \n", "INC-000123"),
        ("Ok INC0001234567", "INC-1234567"),
    ])
    func understood(_ text: String, _ id: String) { #expect(ReplyParser.acknowledgement(text) == id) }

    @Test(arguments: ["OK", "OK INC-", "OK INC-12a", "2 INC-000123", "OK INC-000123 thanks", "INC-000123", "OK INC-0"])
    func notUnderstood(_ text: String) { #expect(ReplyParser.acknowledgement(text) == nil) }
}

struct MessageTextTests {
    static let directory = try! DirectoryLoader.load(folder: Repository.sampleDirectory)

    static func record(_ extra: String = "") -> QueueRecord {
        let line = #"{"seq":7,"at":"2026-11-29T02:58:45Z","incident":"INC-000042","commune":"14638","village":"V14638-02","district":"376","severity":"critical","level":3,"reason":"ack_overdue","due":"2026-11-29T02:50:00Z","late_s":525,"assigned":{"id":"PG-14638-02","kind":"prevention_group","name":"Nhóm PCBLGĐ thôn 2, Ân Hòa","phone":"000-14638-pg02","distance_m":188},"notify":[{"role":"responder","id":"PG-14638-02","phone":"000-14638-pg02"},{"role":"commune_chairman","commune":"14638"},{"role":"commune_police","commune":"14638"}],"callback":"unsafe""#
            + extra + #","prev":""}"#
        return QueueRecord(try! JSONParser.parse(Array(line.utf8)).objectValue!)!
    }

    @Test func vietnameseNamesEverythingTheRecipientNeeds() {
        let t = MessageText(directory: Self.directory, language: .vi, utcOffset: 7 * 3600)
        let chairman = Recipient(role: "commune_chairman", party: "14638", name: "x", phone: "0811463801", msisdn: "84811463801")
        let text = t.text(Self.record(), for: chairman)
        #expect(text.contains("INC-000042"))
        #expect(text.contains("rất khẩn cấp"))
        #expect(text.contains("cấp 3"))
        #expect(text.contains("Xã Ân Hòa"))
        #expect(text.contains("Gọi: Nhóm PCBLGĐ thôn 2, Ân Hòa 000-14638-pg02"))
        // 02:50 UTC is 09:50 in Vietnam.
        #expect(text.contains("09:50 29/11/2026 (UTC+7)"))
        #expect(text.contains("KHÔNG GỌI LẠI CHO NGƯỜI GỌI"))
        #expect(!text.contains("OK INC"))  // only a responder can acknowledge
        #expect(MessageText.parts(text) >= 2)
        #expect(MessageText.parts(String(repeating: "á", count: 70)) == 1)
        #expect(MessageText.parts(String(repeating: "á", count: 71)) == 2)
        #expect(MessageText.parts(String(repeating: "á", count: 135)) == 3)
    }

    @Test func englishWhenConfigured() {
        let t = MessageText(directory: Self.directory, language: .en, utcOffset: 7 * 3600)
        let responder = Recipient(role: "responder", party: "PG-14638-02", name: "x", phone: "p", msisdn: "84914638102")
        let text = t.text(Self.record(), for: responder)
        #expect(text.contains("level 3: nobody has acknowledged"))
        #expect(text.contains("DO NOT CALL THE CALLER BACK"))
        #expect(text.contains("To acknowledge reply OK INC-000042"))
        #expect(text.contains("Deadline missed: 09:50 29/11/2026"))
    }

    @Test func recipientsComeFromTheDirectoryAndTheContacts() throws {
        let contacts = try Contacts.parse(
            Array("role,scope,name,phone\ncommune_chairman,14638,A,0811463801\ncommune_police,14638,B,0811463801\n".utf8),
            name: "c.csv", directory: Self.directory)
        let resolver = RecipientResolver(directory: Self.directory, contacts: contacts, countryCode: "84")
        let r = resolver.recipients(Self.record())
        // The sample responder's number is not dialable; chairman and police share one number: one message.
        #expect(r.map(\.key) == ["none-responder-PG-14638-02", "84811463801"])
    }

    @Test(arguments: [
        ("role,scope,name\n", "header"), ("role,scope,name,phone\nmayor,14638,A,1\n", "role must be"),
        ("role,scope,name,phone\ncommune_police,99999,A,1\n", "not in the directory"),
        ("role,scope,name,phone\nprovince,37,A,1\n", "scope is *"),
    ])
    func badContactsAreRefusedWithTheLine(_ text: String, _ reason: String) {
        #expect {
            _ = try Contacts.parse(Array(text.utf8), name: "c.csv", directory: Self.directory)
        } throws: { "\($0)".contains(reason) }
    }

    @Test func configurationErrorsNameTheKey() {
        #expect(throws: NotifyConfiguration.Failure.self) { try NotifyConfiguration.parse("bogus = 1", baseDirectory: "/", name: "n.toml") }
        #expect { try NotifyConfiguration.parse("[retry]\nmax_attempts = 0", baseDirectory: "/", name: "n.toml") } throws: {
            "\($0)".contains("retry.max_attempts")
        }
        let c = try? NotifyConfiguration.parse(
            "language = \"en\"\nutc_offset = \"+05:30\"\n[rate]\nper_recipient = 9\n", baseDirectory: "/etc/hotline", name: "n.toml")
        #expect(c?.language == .en)
        #expect(c?.utcOffset == Int64(19_800))
        #expect(c?.perRecipient == 9)
        #expect(c?.contacts == "/etc/hotline/contacts.csv")
    }
}

struct QueueFollowerTests {
    static func line(_ seq: Int, prev: String) -> String {
        #"{"seq":\#(seq),"at":"2026-11-29T02:58:45Z","reason":"police","notify":[],"prev":"\#(prev)"}"#
    }

    static func chain(_ n: Int) -> [String] {
        var lines: [String] = []
        var prev = ""
        for s in 1...n {
            let l = line(s, prev: prev)
            lines.append(l)
            prev = SHA256.hexHash(Array(l.utf8))
        }
        return lines
    }

    @Test func followsAcrossRotationFromTheCursor() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/q.jsonl"
        let lines = Self.chain(9)
        try (lines[0..<3].joined(separator: "\n") + "\n").write(toFile: path + ".2", atomically: true, encoding: .utf8)
        try (lines[3..<6].joined(separator: "\n") + "\n").write(toFile: path + ".1", atomically: true, encoding: .utf8)
        try (lines[6..<7].joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let hash4 = SHA256.hexHash(Array(lines[3].utf8))
        let f = QueueFollower(path: path, afterSeq: 4, hash: hash4)
        #expect(try f.poll(limit: 100).map { $0.record["seq"]!.integerValue! } == [5, 6, 7])
        #expect(try f.poll(limit: 100).isEmpty)
        // The daemon appends a line, then rotates and writes the next one in a new file.
        let h = try FileHandle(forWritingAtPath: path).unwrap()
        h.seekToEndOfFile()
        h.write(Data((lines[7] + "\n").utf8))
        try h.close()
        rename(path + ".1", path + ".3")
        rename(path, path + ".1")
        try (lines[8] + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try f.poll(limit: 100).map { $0.record["seq"]!.integerValue! } == [8, 9])
        #expect(f.lastSeq == 9)
    }

    @Test func aMissingOrAlteredRecordIsABreak() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/q.jsonl"
        var lines = Self.chain(4)
        lines.remove(at: 2)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect { _ = try QueueFollower(path: path, afterSeq: 0, hash: "").poll(limit: 100) } throws: {
            "\($0)".contains("seq 4 follows 2")
        }
        // The cursor's own line changed since it was handled.
        #expect { _ = try QueueFollower(path: path, afterSeq: 2, hash: "00").poll(limit: 100) } throws: {
            "\($0)".contains("not the one handled")
        }
    }
}

extension Optional {
    func unwrap() throws -> Wrapped {
        guard let self else { throw CocoaError(.fileNoSuchFile) }
        return self
    }
}
