import Foundation
import HotlineCore

/// The sample directory with dialable numbers: `000-14638-pg02` becomes `0914638102`
/// (9, the commune, 1 prevention group / 2 trusted address / 3 health facility / 4 club, the
/// two-digit rank). Everything else as in the sample.
public enum DialableDirectory {
    public static func phone(_ sample: String) -> String {
        let parts = sample.split(separator: "-")
        guard parts.count == 3, parts[2].count >= 4 else { return sample }
        let kind: String
        switch parts[2].prefix(2) {
        case "pg": kind = "1"
        case "ta": kind = "2"
        case "hf": kind = "3"
        default: kind = "4"
        }
        return "09" + parts[1] + kind + parts[2].suffix(2)
    }

    /// Copies `sample` to `<folder>/directory-source` with dialable responder numbers; its path.
    public static func make(from sample: String, in folder: String) throws -> String {
        let fm = FileManager.default
        let target = folder + "/directory-source"
        try? fm.removeItem(atPath: target)
        try fm.copyItem(atPath: sample, toPath: target)
        let path = target + "/responders.csv"
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for i in 1..<lines.count where !lines[i].isEmpty {
            // The phone is the 8th field; names may hold quoted commas, so match the 000- field.
            if let r = lines[i].range(of: #",000-[0-9]+-[a-z]+[0-9]+,"#, options: .regularExpression) {
                let old = String(lines[i][r].dropFirst().dropLast())
                lines[i].replaceSubrange(r, with: "," + phone(old) + ",")
            }
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return target
    }

    /// A contacts file with dialable numbers: chairman 0811463801, police …02, child
    /// protection …03; districts 082<district>0000; the province 0830000001.
    public static func contacts(_ directory: Directory) -> String {
        var out = ["role,scope,name,phone"]
        for c in directory.communes.values.sorted(by: { $0.code < $1.code }) {
            out.append("commune_chairman,\(c.code),\"Chủ tịch UBND \(c.name)\",081\(c.code)01")
            out.append("commune_police,\(c.code),\"Công an \(c.name)\",081\(c.code)02")
            out.append("child_protection,\(c.code),\"Bảo vệ trẻ em \(c.name)\",081\(c.code)03")
        }
        for d in Set(directory.communes.values.map(\.districtCode)).sorted() {
            out.append("district,\(d),\"Huyện \(d)\",082\(d)0000")
        }
        out.append("province,*,\"Tỉnh Ninh Bình\",0830000001")
        return out.joined(separator: "\n") + "\n"
    }
}

