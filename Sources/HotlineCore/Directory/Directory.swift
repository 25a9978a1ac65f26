/// The province's directory: communes, villages, responders and hotline gateways, with
/// spatial indexes for triage. Immutable; a reload builds a new one.
public final class Directory: Sendable {
    public let communes: [String: Commune]
    public let villages: [String: Village]
    /// All responders, sorted by id.
    public let responders: [Responder]
    public let responderIndex: [String: Int]
    public let hotlines: [String: Hotline]

    /// Prevention groups and trusted addresses, as indexes into `responders` (id order).
    let assignable: [Int]
    let assignableIndex: SpatialIndex
    /// Health facilities with at least one shelter place, as indexes into `responders`.
    let facilities: [Int]
    let facilityIndex: SpatialIndex
    /// Every known place, for the service-area check.
    let places: SpatialIndex

    public init(communes: [Commune], villages: [Village], responders: [Responder], hotlines: [Hotline]) {
        self.communes = Dictionary(communes.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        self.villages = Dictionary(villages.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let sorted = responders.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        self.responders = sorted
        self.responderIndex = Dictionary(sorted.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.hotlines = Dictionary(hotlines.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let assignable = sorted.indices.filter { sorted[$0].kind.isAssignable }
        self.assignable = assignable
        self.assignableIndex = SpatialIndex(points: assignable.map { sorted[$0].position })
        let facilities = sorted.indices.filter { sorted[$0].kind == .healthFacility && sorted[$0].shelterBeds > 0 }
        self.facilities = facilities
        self.facilityIndex = SpatialIndex(points: facilities.map { sorted[$0].position })
        self.places = SpatialIndex(
            points: communes.map(\.position) + villages.map(\.position) + sorted.map(\.position))
    }

    public func responder(id: String) -> Responder? {
        responderIndex[id].map { responders[$0] }
    }

    /// Whether `point` lies within `HLPDefaults.serviceAreaMeters` of a commune centre,
    /// village or responder.
    public func inServiceArea(_ point: GeoPoint) -> Bool {
        places.hasPoint(within: HLPDefaults.serviceAreaMeters, of: point)
    }
}
