import HotlineCore
import Testing

struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func vectors(input: String, digest: String) {
        #expect(SHA256.hexHash(Array(input.utf8)) == digest)
    }

    @Test func millionA() {
        #expect(
            SHA256.hexHash([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func everyLengthAroundABlock() {
        // Lengths 55, 56, 63, 64, 65 cross the padding boundaries; streaming equals one shot.
        for n in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128] {
            let data = (0..<n).map { UInt8($0 % 251) }
            var h = SHA256()
            h.update(data.prefix(n / 2))
            h.update(data.dropFirst(n / 2))
            #expect(h.finalize() == SHA256.hash(data))
        }
    }
}

struct TimestampTests {
    @Test(arguments: [
        ("2026-11-29T08:30:00Z", "2026-11-29T08:30:00Z"),
        ("2026-11-29t08:30:00z", "2026-11-29T08:30:00Z"),
        ("2026-11-29T15:30:00+07:00", "2026-11-29T08:30:00Z"),
        ("2026-11-29T08:30:00.999-01:30", "2026-11-29T10:00:00Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"),
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
        ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"),
    ])
    func parses(text: String, utc: String) throws {
        let t = try #require(Timestamp(rfc3339: text))
        #expect(t.rfc3339 == utc)
    }

    @Test(arguments: [
        "", "2026-11-29", "2026-11-29T08:30:00", "2026-11-29 08:30:00Z", "2026-13-01T00:00:00Z",
        "2025-02-29T00:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T08:60:00Z", "2026-11-29T08:30:00+7:00",
        "2026-11-29T08:30:00.Z", "2026-11-29T08:30:00Zjunk", "２026-11-29T08:30:00Z", "2026-11-29T08:30:00+24:00",
        // In UTC these fall outside years 0000-9999: they could not be written back.
        "0000-01-01T00:00:00+23:59", "0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01",
    ])
    func refuses(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func vietnamLocalTime() throws {
        // 17:00Z is 00:00 the next day in Vietnam.
        #expect(try #require(Timestamp(rfc3339: "2026-11-29T17:00:00Z")).vietnamMinuteOfDay == 0)
        #expect(try #require(Timestamp(rfc3339: "2026-11-29T01:30:00Z")).vietnamMinuteOfDay == 8 * 60 + 30)
    }

    @Test func durations() {
        #expect(DurationText.seconds("90s") == 90)
        #expect(DurationText.seconds("10m") == 600)
        #expect(DurationText.seconds("1h") == 3600)
        #expect(DurationText.seconds("2d") == 172_800)
        for bad in ["", "m", "10", "1.5h", "-1m", "0s", "10 m", "1w", "3651d", "999999999d"] {
            #expect(DurationText.seconds(bad) == nil)
        }
        #expect(DurationText.seconds("3650d") == Int64(315_360_000))
    }

    @Test func everyTimeWrittenHasAFourDigitYear() throws {
        #expect(Timestamp(seconds: Timestamp.minimumSeconds).rfc3339 == "0000-01-01T00:00:00Z")
        #expect(Timestamp(seconds: Timestamp.maximumSeconds).rfc3339 == "9999-12-31T23:59:59Z")
        #expect(try #require(Timestamp(rfc3339: "0000-01-01T00:00:00-23:59")).rfc3339 == "0000-01-01T23:59:00Z")
    }
}

struct OpeningHoursTests {
    @Test func windows() throws {
        func at(_ hhmm: String) throws -> Timestamp {
            // Local time hh:mm on 2026-11-29 (UTC+7).
            try #require(Timestamp(rfc3339: "2026-11-29T\(hhmm):00+07:00"))
        }
        let day = try #require(OpeningHours("06:00-22:00"))
        #expect(day.isOpen(at: try at("06:00")))
        #expect(day.isOpen(at: try at("21:59")))
        #expect(!day.isOpen(at: try at("22:00")))
        #expect(!day.isOpen(at: try at("05:59")))
        let night = try #require(OpeningHours("22:00-06:00"))
        #expect(night.isOpen(at: try at("23:30")))
        #expect(night.isOpen(at: try at("00:00")))
        #expect(!night.isOpen(at: try at("06:00")))
        #expect(!night.isOpen(at: try at("12:00")))
        #expect(OpeningHours("24/7")?.isOpen(at: try at("03:00")) == true)
        #expect(OpeningHours("-")?.isOpen(at: try at("12:00")) == false)
        for bad in ["", "6:00-22:00", "06:00-06:00", "06:00-24:00", "06:00–22:00", "always"] {
            #expect(OpeningHours(bad) == nil)
        }
    }
}

struct TokenFileEditorTests {
    @Test func replacesAppendsRemovesAndKeepsComments() {
        let text = "# tokens\nHL-1 sha256:aa # old\n\nHL-2 sha256:bb\n"
        let h = [UInt8](repeating: 1, count: 32)
        let replaced = TokenFileEditor.set(text, gateway: "HL-1", hash: h)
        #expect(replaced.found)
        #expect(replaced.text == "# tokens\nHL-1 sha256:\(SHA256.hex(h))\n\nHL-2 sha256:bb\n")
        let added = TokenFileEditor.set(text, gateway: "HL-3", hash: h)
        #expect(!added.found)
        #expect(added.text.hasSuffix("HL-2 sha256:bb\nHL-3 sha256:\(SHA256.hex(h))\n"))
        let removed = TokenFileEditor.set(text, gateway: "HL-2", hash: nil)
        #expect(removed.found)
        #expect(removed.text == "# tokens\nHL-1 sha256:aa # old\n\n")
    }

    @Test func tokensAreLongRandomAndPrintable() {
        let tokens = (0..<100).map { _ in TokenFileEditor.newToken() }
        #expect(Set(tokens).count == 100)
        for t in tokens {
            #expect(t.count == 43)
            #expect(t.utf8.allSatisfy { b in (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2D || b == 0x5F })
        }
    }
}

struct TextFoldingTests {
    @Test func vietnameseWithOrWithoutDiacriticsInEitherNormalForm() {
        let nfc = "Xã Ân Hòa", nfd = "Xa\u{0303} A\u{0302}n Ho\u{0300}a"
        for text in [nfc, nfd] {
            #expect(TextFolding.matches("an hoa", in: text))
            #expect(TextFolding.matches("Ân Hòa", in: text))
            #expect(TextFolding.matches("A\u{0302}n", in: text))
            #expect(TextFolding.matches("ÂN", in: text))
        }
        #expect(TextFolding.matches("dong thanh", in: "Phường Đông Thành"))
        #expect(!TextFolding.matches("an hoa", in: "Xã Thượng Hòa, Huyện Nho Quan"))
        #expect(!TextFolding.matches("", in: "anything"))
        #expect(TextFolding.fold("Đường dây nóng") == "duong day nong")
    }
}

struct AnnualReportTests {
    static let year2021 = AnnualReport.bounds(year: 2021)

    @Test func yearBoundsAreLocalTime() {
        #expect(Self.year2021.0.rfc3339 == "2020-12-31T17:00:00Z")
        #expect(Self.year2021.1.rfc3339 == "2021-12-31T17:00:00Z")
    }

    @Test func percentilesAndGroups() {
        let t = Self.year2021.0
        func row(_ m: [OffenderMeasure], _ s: [VictimSupport], ack: Int64) -> ReportRow {
            ReportRow(
                commune: "14320", district: "369", forms: [.physical, .physical], closed: true, offenderMeasures: m,
                victimSupport: s, reportedAt: t, acknowledgedAt: t.adding(seconds: ack), attendedAt: nil)
        }
        let rows = (1...10).map { row([.administrativeFine, .behaviourEducation], [.counselling], ack: Int64($0) * 60) }
        let r = AnnualReport(year: 2021, rows: rows, escalations: [1: 2], directory: Fixtures.directory)
        #expect(r.byForm[.physical] == 10)  // once per incident
        #expect(r.ackSeconds?.median == 300)
        #expect(r.ackSeconds?.p90 == 540)
        #expect(r.attendSeconds == nil)
        #expect(r.measureGroups.count == 1)
        #expect(r.text(.vi).contains("10 vụ giáo dục, hỗ trợ chuyển đổi hành vi và xử phạt vi phạm hành chính"))
        #expect(r.text(.en).contains("In 2021, 10 cases of domestic violence were handled across the province"))
        #expect(r.csv.contains("offender_measure,administrative_fine,xử phạt vi phạm hành chính,10"))
    }
}

struct SafeTextTests {
    @Test func controlsAndOverridesAreEscapedAndTheRestKept() {
        #expect(SafeText.escaped("Nguyễn Thị A, 0912 345 678") == "Nguyễn Thị A, 0912 345 678")
        #expect(SafeText.escaped("a\u{1B}]0;t\u{07}b") == "a\\x1B]0;t\\x07b")
        #expect(SafeText.escaped("x\nstate: closed") == "x\\nstate: closed")
        #expect(SafeText.escaped("\u{9B}2J\u{7F}\u{202E}\u{2066}\u{2028}") == "\\x9B2J\\x7F\\u202E\\u2066\\u2028")
        #expect(SafeText.escaped("a\nb\u{1B}", keepingLineFeeds: true) == "a\nb\\x1B")
    }

    @Test func errorRepliesCarryNoControlsOrOverrides() {
        let line = Reply.error(.invalid, "bad \u{1B}[2J\u{9B}\u{202E}\nx").line
        #expect(line == "ERR invalid bad  [2J   x")
    }
}
