import HotlineCore

/// A generated national directory: `communes` communes over Vietnam's extent, `responders`
/// responders among them (prevention groups, trusted addresses, one health facility per
/// commune), deterministic for a seed. For benchmarks only.
public enum NationalDirectory {
    public struct Generator: RandomNumberGenerator {
        var state: UInt64
        public init(seed: UInt64) { state = seed }
        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    public static func make(communes count: Int = 10_600, responders total: Int = 100_000, seed: UInt64 = 1) -> Directory {
        var rng = Generator(seed: seed)
        var communes: [Commune] = []
        var responders: [Responder] = []
        var hotlines: [Hotline] = []
        for i in 0..<count {
            let code = String(10_000 + i)
            let centre = GeoPoint(lat: .random(in: 8.6...23.3, using: &rng), lon: .random(in: 102.2...109.4, using: &rng))
            communes.append(Commune(code: code, name: "Xã \(i)", kind: "xa", districtCode: String(i / 12), district: "Huyện \(i / 12)", position: centre))
            hotlines.append(Hotline(id: "HL-\(code)", communeCode: code, name: "HL \(code)", phone: "000"))
            responders.append(
                Responder(
                    id: "HF-\(code)", kind: .healthFacility, name: "Trạm Y tế \(i)", communeCode: code, villageID: nil,
                    position: centre, phone: "000", hours: .always, shelterBeds: 2))
        }
        let perCommune = max(1, (total - count) / count)
        let extra = max(0, total - count - perCommune * count)
        var n = 0
        for (index, c) in communes.enumerated() where responders.count < total {
            for j in 0..<(perCommune + (index < extra ? 1 : 0)) where responders.count < total {
                let kind: ResponderKind = j % 2 == 0 ? .preventionGroup : .trustedAddress
                let p = GeoPoint(lat: c.position.lat + .random(in: -0.03...0.03, using: &rng), lon: c.position.lon + .random(in: -0.03...0.03, using: &rng))
                let hours: OpeningHours = j % 7 == 6 ? .window(start: 6 * 60, end: 22 * 60) : .always
                responders.append(
                    Responder(
                        id: "\(kind == .preventionGroup ? "PG" : "TA")-\(c.code)-\(j)", kind: kind, name: "R \(n)",
                        communeCode: c.code, villageID: nil, position: p, phone: "000", hours: hours, shelterBeds: 0))
                n += 1
            }
        }
        return Directory(communes: communes, villages: [], responders: responders, hotlines: hotlines)
    }
}
