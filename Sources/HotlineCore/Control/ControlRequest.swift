import Foundation

/// A request on the operator control socket as it travels: one JSON object per line, encoded
/// by `hotlinectl` and decoded by the daemon from the same type. `OperatorRequest` is what the
/// daemon acts on, after `OperatorRequest(_:directory:now:)` has checked it.
public struct ControlRequest: Codable, Sendable, Equatable {
    /// status, incidents, show, audit, reassign, ack, attend, close, stats, reload or backup.
    public var cmd: String
    public var incident: String?
    /// incidents: only open ones; only overdue ones; in this commune or district; at most `limit`.
    public var open: Bool?
    public var overdue: Bool?
    public var commune: String?
    public var district: String?
    public var limit: Int?
    /// show: the survivor's details too (an audited read).
    public var personal: Bool?
    /// audit: only this operator (or gateway), only since this RFC 3339 time.
    public var `operator`: String?
    public var since: String?
    /// reassign, ack, attend: the responder; ack, attend, close: when (RFC 3339), default now.
    public var responder: String?
    public var at: String?
    /// close: the case's outcome.
    public var offenderMeasures: [String]?
    public var victimSupport: [String]?
    public var note: String?
    /// stats: the year of the annual report.
    public var year: Int?
    /// backup: the absolute path the daemon writes the copy to.
    public var path: String?

    public init(_ cmd: String) { self.cmd = cmd }

    enum CodingKeys: String, CodingKey {
        case cmd, incident, open, overdue, commune, district, limit, personal, `operator`, since, responder, at
        case offenderMeasures = "offender_measures", victimSupport = "victim_support", note, year, path
    }

    /// The line sent on the socket (without its LF).
    public var line: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, numbers and booleans cannot fail.
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }

    /// A request line from the socket; nil with the reason when it is not a control request.
    public static func decode(_ line: [UInt8]) -> Result<ControlRequest, HLPError> {
        do {
            return .success(try JSONDecoder().decode(ControlRequest.self, from: Data(line)))
        } catch let DecodingError.keyNotFound(key, _) {
            return .failure(HLPError(.syntax, "missing \"\(key.stringValue)\""))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).filter { !$0.hasPrefix("Index") }.joined(separator: ".")
            return .failure(HLPError(.syntax, "field \"\(CommandParser.printable(Array(field.utf8)))\" has the wrong type"))
        } catch {
            return .failure(HLPError(.syntax, "the request is not a JSON object"))
        }
    }
}
