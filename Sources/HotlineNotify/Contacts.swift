import Foundation
import HotlineCore

/// Whom the ladder names beyond the responders: `contacts.csv` with the header
/// `role,scope,name,phone`. `role` is `commune_chairman`, `commune_police` or
/// `child_protection` (scope: a commune code of the directory), `district` (scope: a district
/// code) or `province` (scope: `*`). A role and scope may have several rows (everyone is told).
public struct Contacts: Sendable {
    public struct Contact: Sendable, Equatable {
        public var role: String
        public var scope: String
        public var name: String
        /// As written in the file (shown to people).
        public var phone: String
    }

    public static let roles = ["commune_chairman", "commune_police", "child_protection", "district", "province"]

    public private(set) var byRoleAndScope: [String: [Contact]] = [:]
    public private(set) var count = 0

    public init() {}

    public func contacts(role: String, scope: String) -> [Contact] { byRoleAndScope[role + "|" + scope] ?? [] }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads and checks the file against the directory; `file:line: reason` on the first problem.
    public static func load(path: String, directory: Directory) throws(Failure) -> Contacts {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "\(path): cannot be read (missing or not readable)")
        }
        return try parse(Array(data), name: path, directory: directory)
    }

    public static func parse(_ bytes: [UInt8], name: String, directory: Directory) throws(Failure) -> Contacts {
        let rows: [CSVReader.Row]
        do { rows = try CSVReader.rows(bytes) } catch { throw Failure(description: "\(name):\(error.line): \(error.reason)") }
        guard let header = rows.first, header.fields == ["role", "scope", "name", "phone"] else {
            throw Failure(description: "\(name):1: the header must be role,scope,name,phone")
        }
        let districts = Set(directory.communes.values.map(\.districtCode))
        var c = Contacts()
        for row in rows.dropFirst() {
            func fail(_ reason: String) -> Failure { Failure(description: "\(name):\(row.line): \(reason)") }
            guard row.fields.count == 4 else { throw fail("4 fields expected, found \(row.fields.count)") }
            let (role, scope, person, phone) = (row.fields[0], row.fields[1], row.fields[2], row.fields[3])
            guard roles.contains(role) else { throw fail("role must be one of \(roles.joined(separator: ", ")), not \"\(role)\"") }
            switch role {
            case "district":
                guard districts.contains(scope) else { throw fail("district \"\(scope)\" is not in the directory") }
            case "province":
                guard scope == "*" else { throw fail("the province's scope is *") }
            default:
                guard directory.communes[scope] != nil else { throw fail("commune \"\(scope)\" is not in the directory") }
            }
            guard !person.isEmpty, !phone.isEmpty else { throw fail("name and phone must not be empty") }
            c.byRoleAndScope[role + "|" + scope, default: []].append(Contact(role: role, scope: scope, name: person, phone: phone))
            c.count += 1
        }
        return c
    }
}
