import HotlineConfiguration
import HotlineCore

/// What the fuzzer runs on each input. Each target is one entry point that takes untrusted
/// bytes; `all` runs every one on each input (CI's short run), a single target runs faster and
/// its runs are counted apart (README, "Fuzzing"). Invariants that must hold for every input
/// are checked with `precondition`, so a violation is a crash the fuzzer reports.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Request lines through the parser and the session, authenticated and not.
    case session
    /// JSON: parse, render, parse again; the REPORT/ACK/CLOSE/RETRACT field validators.
    case json
    /// The operator control socket's requests (typed parse) and the annual report.
    case control
    /// The directory's CSV files (the input split into four on 0x1E).
    case csv
    /// The daemon's TOML configuration file.
    case toml
    /// RFC 3339 times.
    case time
    case all

    /// The target named by `HOTLINE_FUZZ_TARGET` (default `all`), or nil for an unknown name.
    public static func named(_ name: String?) -> FuzzTarget? {
        guard let name, !name.isEmpty else { return .all }
        return FuzzTarget(rawValue: name)
    }

    public func run(_ data: [UInt8]) {
        switch self {
        case .session: Self.session(data)
        case .json: Self.json(data)
        case .control: Self.control(data)
        case .csv: Self.csv(data)
        case .toml: Self.toml(data)
        case .time: Self.time(data)
        case .all: Self.run(data)
        }
    }

    static let commune = Commune(
        code: "14320", name: "Phường Đông Thành", kind: "phuong", districtCode: "369", district: "Thành phố Ninh Bình",
        position: GeoPoint(lat: 20.28, lon: 105.96))
    static let directory = Directory(
        communes: [commune],
        villages: [Village(id: "V14320-01", communeCode: "14320", name: "Phố 1", position: GeoPoint(lat: 20.287, lon: 105.958))],
        responders: [
            Responder(
                id: "PG-14320-01", kind: .preventionGroup, name: "G", communeCode: "14320", villageID: "V14320-01",
                position: GeoPoint(lat: 20.2869, lon: 105.9584), phone: "000", hours: .always, shelterBeds: 0),
            Responder(
                id: "HF-14320", kind: .healthFacility, name: "H", communeCode: "14320", villageID: nil,
                position: GeoPoint(lat: 20.28, lon: 105.96), phone: "000", hours: .always, shelterBeds: 2),
        ],
        hotlines: [Hotline(id: "HL-14320", communeCode: "14320", name: "HL", phone: "000")])
    static let environment = SessionEnvironment(
        serverName: "fuzz", directory: directory,
        tokens: GatewayTokens(hashes: ["HL-14320": SHA256.hash(Array("secret".utf8))]),
        now: Timestamp(rfc3339: "2026-11-29T08:00:00Z")!)

    /// Every target on one input.
    public static func run(_ data: [UInt8]) {
        session(data)
        json(data)
        control(data)
        csv(data)
        toml(data)
        time(data)
    }

    static func session(_ data: [UInt8]) {
        var authed = Session()
        _ = authed.receive(line: Array("AUTH HL-14320 secret".utf8), environment: environment)
        precondition(authed.gateway != nil)
        var anonymous = Session()
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var bytes = Array(line)
            if bytes.last == 0x0D { bytes.removeLast() }
            for action in [authed.receive(line: bytes, environment: environment), anonymous.receive(line: bytes, environment: environment)] {
                check(action)
            }
        }
    }

    /// A value that parses renders to text that parses to it again; validators never trap.
    static func json(_ data: [UInt8]) {
        if let value = try? JSONParser.parse(data) {
            let text = value.jsonText
            precondition(!text.utf8.contains(0x0A), "JSON text with a raw newline")
            precondition((try? JSONParser.parse(text)) == value, "JSON does not round-trip")
            if case let .array(elements) = value {
                let split = JSONText.arrayElements(text).map { try? JSONParser.parse(String($0)) }
                precondition(split == elements.map { Optional($0) }, "arrayElements disagrees with the parser")
            }
            if case let .object(o) = value, let id = JSONText.stringMember(Substring(text), "id") {
                precondition(o["id"] == .string(id), "stringMember disagrees with the parser")
            }
            if case let .object(o) = value {
                // The one-pass REPORT path returns what the general path returns, or nothing.
                if let fast = ReportFastPath.validate(data[...], commune: "14320", directory: directory, now: environment.now) {
                    precondition(
                        (try? ReportValidator.validate(o, commune: "14320", directory: directory, now: environment.now)) == fast,
                        "the fast REPORT path disagrees with the validator")
                }
                if let r = try? ReportValidator.validate(o, commune: "14320", directory: directory, now: environment.now) {
                    precondition((1...64).contains(r.ref.utf8.count) && (1...50).contains(r.victims))
                    precondition(r.reportedAt.seconds <= environment.now.seconds + 300)
                }
                _ = try? CaseActionValidator.close(o, now: environment.now)
                _ = try? CaseActionValidator.retract(o, now: environment.now)
                _ = try? CaseActionValidator.ack(o, directory: directory, now: environment.now, attend: false)
            }
        }
    }

    /// As an operator's control request: checked, and a report for any year it lets through
    /// renders without trapping.
    static func control(_ data: [UInt8]) {
        guard case let .success(request) = ControlRequest.decode(data) else { return }
        // What hotlinectl would send for it decodes to the same request.
        precondition(ControlRequest.decode(Array(request.line)) == .success(request), "control request does not round-trip")
        if case let .stats(year)? = try? OperatorRequest(request, directory: directory, now: environment.now) {
            let report = AnnualReport(year: year, rows: [], escalations: [:], directory: directory)
            precondition(!report.text(.vi).isEmpty && !report.csv.isEmpty)
            let (start, end) = AnnualReport.bounds(year: year)
            precondition(start < end)
        }
    }

    /// Directory CSV: parsed or refused with a reason, never a trap. Split on 0x1E (record
    /// separator) into communes, villages, responders, hotlines.
    static func csv(_ data: [UInt8]) {
        _ = try? CSVReader.rows(data)
        let parts = data.split(separator: 0x1E, maxSplits: 3, omittingEmptySubsequences: false).map(Array.init)
        if parts.count == 4 {
            _ = try? DirectoryLoader.parse(
                communes: ("communes.csv", parts[0]), villages: ("villages.csv", parts[1]),
                responders: ("responders.csv", parts[2]), hotlines: ("hotlines.csv", parts[3]))
        }
    }

    /// The configuration file: parsed into a configuration or refused with a message; a
    /// configuration it accepts renders to TOML that parses to the same configuration.
    static func toml(_ data: [UInt8]) {
        guard let text = String(validating: data, as: UTF8.self) else { return }
        do {
            let configuration = try Configuration.parse(text, baseDirectory: "/nonexistent", name: "fuzz.toml")
            let again = try? Configuration.parse(configuration.tomlText, baseDirectory: "/nonexistent", name: "fuzz.toml")
            precondition(again == configuration, "configuration does not round-trip through TOML")
        } catch {
            precondition(!error.message.isEmpty, "a refusal without a reason")
        }
    }

    static func time(_ data: [UInt8]) {
        if let t = Timestamp(rfc3339: String(decoding: data, as: UTF8.self)) {
            precondition(Timestamp(rfc3339: t.rfc3339) == t, "time does not round-trip")
        }
    }

    static func check(_ action: SessionAction) {
        switch action {
        case let .reply(r), let .replyAndClose(r), let .delayedReply(r, _, _):
            let line = r.line
            precondition(!line.utf8.contains(0x0A) && !line.utf8.contains(0x0D), "a reply spans lines")
            precondition(line.hasPrefix("OK {") || line.hasPrefix("ERR "), "reply form")
        case .none, .persist:
            break
        }
    }
}
