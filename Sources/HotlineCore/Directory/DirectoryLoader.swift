import Foundation

/// A directory file that cannot be used: which file, which line, why.
public struct DirectoryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var reason: String

    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)" }
}

/// Loads the four CSV files of a directory folder (format: Config/ninh-binh/README.md) and
/// checks every row and every reference between them.
public enum DirectoryLoader {
    public static let files = ["communes.csv", "villages.csv", "responders.csv", "hotlines.csv"]

    public static func load(folder: String) throws(DirectoryError) -> Directory {
        func read(_ name: String) throws(DirectoryError) -> [UInt8] {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DirectoryError(file: path, line: 0, reason: "cannot be read (missing or not readable)")
            }
            return Array(data)
        }
        let path = { (name: String) in (folder as NSString).appendingPathComponent(name) }
        return try parse(
            communes: (path("communes.csv"), read("communes.csv")),
            villages: (path("villages.csv"), read("villages.csv")),
            responders: (path("responders.csv"), read("responders.csv")),
            hotlines: (path("hotlines.csv"), read("hotlines.csv")))
    }

    /// Builds a directory from file contents; each argument is (name for messages, bytes).
    public static func parse(
        communes c: (String, [UInt8]), villages v: (String, [UInt8]), responders r: (String, [UInt8]),
        hotlines h: (String, [UInt8])
    ) throws(DirectoryError) -> Directory {
        var communes: [Commune] = []
        var codes = Set<String>()
        try each(c, ["code", "name", "kind", "district_code", "district", "lat", "lon"]) { row throws(DirectoryError) in
            let code = try row.identifier("code")
            guard codes.insert(code).inserted else { throw row.fail("commune code \(code) appears twice") }
            let kind = try row.text("kind")
            guard ["xa", "phuong", "thi_tran"].contains(kind) else {
                throw row.fail("kind must be xa, phuong or thi_tran, not \"\(kind)\"")
            }
            communes.append(
                Commune(
                    code: code, name: try row.text("name"), kind: kind, districtCode: try row.identifier("district_code"),
                    district: try row.text("district"), position: try row.position()))
        }
        var villages: [Village] = []
        var villageCommune: [String: String] = [:]
        try each(v, ["id", "commune_code", "name", "lat", "lon"]) { row throws(DirectoryError) in
            let id = try row.identifier("id")
            let commune = try row.identifier("commune_code")
            guard codes.contains(commune) else { throw row.fail("commune_code \(commune) is not in communes.csv") }
            guard villageCommune.updateValue(commune, forKey: id) == nil else {
                throw row.fail("village id \(id) appears twice")
            }
            villages.append(Village(id: id, communeCode: commune, name: try row.text("name"), position: try row.position()))
        }
        var responders: [Responder] = []
        var responderIDs = Set<String>()
        try each(r, ["id", "kind", "name", "commune_code", "village_id", "lat", "lon", "phone", "hours", "shelter_beds"]) {
            row throws(DirectoryError) in
            let id = try row.identifier("id")
            guard responderIDs.insert(id).inserted else { throw row.fail("responder id \(id) appears twice") }
            let kindText = try row.text("kind")
            guard let kind = ResponderKind(rawValue: kindText) else {
                throw row.fail(
                    "kind must be one of \(ResponderKind.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(kindText)\"")
            }
            let commune = try row.identifier("commune_code")
            guard codes.contains(commune) else { throw row.fail("commune_code \(commune) is not in communes.csv") }
            let villageText = row["village_id"]
            var village: String?
            if !villageText.isEmpty {
                guard let owner = villageCommune[villageText] else {
                    throw row.fail("village_id \(villageText) is not in villages.csv")
                }
                guard owner == commune else {
                    throw row.fail("village_id \(villageText) belongs to commune \(owner), not \(commune)")
                }
                village = villageText
            }
            let hoursText = row["hours"]
            guard let hours = OpeningHours(hoursText) else {
                throw row.fail("hours must be 24/7, - or HH:MM-HH:MM with different times, not \"\(hoursText)\"")
            }
            let bedsText = row["shelter_beds"]
            guard let beds = Int(bedsText.isEmpty ? "0" : bedsText), beds >= 0, beds <= 100_000 else {
                throw row.fail("shelter_beds must be a whole number from 0, not \"\(bedsText)\"")
            }
            responders.append(
                Responder(
                    id: id, kind: kind, name: try row.text("name"), communeCode: commune, villageID: village,
                    position: try row.position(), phone: row["phone"], hours: hours,
                    shelterBeds: kind == .healthFacility ? beds : 0))
        }
        var hotlines: [Hotline] = []
        var hotlineIDs = Set<String>()
        try each(h, ["id", "commune_code", "name", "phone"]) { row throws(DirectoryError) in
            let id = try row.identifier("id")
            guard hotlineIDs.insert(id).inserted else { throw row.fail("hotline id \(id) appears twice") }
            let commune = try row.identifier("commune_code")
            guard codes.contains(commune) else { throw row.fail("commune_code \(commune) is not in communes.csv") }
            hotlines.append(Hotline(id: id, communeCode: commune, name: try row.text("name"), phone: row["phone"]))
        }
        guard !communes.isEmpty else { throw DirectoryError(file: c.0, line: 0, reason: "has no communes") }
        return Directory(communes: communes, villages: villages, responders: responders, hotlines: hotlines)
    }

    struct RowView {
        var file: String
        var line: Int
        var columns: [String: Int]
        var fields: [String]

        subscript(name: String) -> String { fields[columns[name]!] }

        func fail(_ reason: String) -> DirectoryError { DirectoryError(file: file, line: line, reason: reason) }

        func text(_ name: String) throws(DirectoryError) -> String {
            let v = self[name]
            guard !v.isEmpty else { throw fail("\(name) is empty") }
            return v
        }

        /// Ids travel in protocol lines: letters, digits and `. _ : -` only.
        func identifier(_ name: String) throws(DirectoryError) -> String {
            let v = try text(name)
            guard v.utf8.count <= 64, v.utf8.allSatisfy(Self.isIdentifierByte) else {
                throw fail("\(name) \"\(v)\" may hold only letters, digits and . _ : - (at most 64)")
            }
            return v
        }

        static func isIdentifierByte(_ b: UInt8) -> Bool {
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: ":") || b == UInt8(ascii: "-")
        }

        func position() throws(DirectoryError) -> GeoPoint {
            let latText = self["lat"], lonText = self["lon"]
            guard let lat = Double(latText), lat.isFinite, (-90...90).contains(lat) else {
                throw fail("lat must be a number from -90 to 90, not \"\(latText)\"")
            }
            guard let lon = Double(lonText), lon.isFinite, (-180...180).contains(lon) else {
                throw fail("lon must be a number from -180 to 180, not \"\(lonText)\"")
            }
            return GeoPoint(lat: lat, lon: lon)
        }
    }

    static func each(
        _ file: (String, [UInt8]), _ required: [String], _ body: (RowView) throws(DirectoryError) -> Void
    ) throws(DirectoryError) {
        let rows: [CSVReader.Row]
        do {
            rows = try CSVReader.rows(file.1)
        } catch {
            throw DirectoryError(file: file.0, line: error.line, reason: error.reason)
        }
        guard let header = rows.first else { throw DirectoryError(file: file.0, line: 1, reason: "is empty") }
        var columns: [String: Int] = [:]
        for (i, name) in header.fields.enumerated() {
            guard columns.updateValue(i, forKey: name) == nil else {
                throw DirectoryError(file: file.0, line: header.line, reason: "column \(name) appears twice")
            }
        }
        for name in required where columns[name] == nil {
            throw DirectoryError(
                file: file.0, line: header.line,
                reason: "header lacks column \(name) (expected \(required.joined(separator: ",")))")
        }
        for row in rows.dropFirst() {
            guard row.fields.count == header.fields.count else {
                throw DirectoryError(
                    file: file.0, line: row.line,
                    reason: "has \(row.fields.count) fields, the header has \(header.fields.count)")
            }
            try body(RowView(file: file.0, line: row.line, columns: columns, fields: row.fields))
        }
    }
}
