/// A commune (xã, phường, thị trấn), identified by its GSO code.
public struct Commune: Sendable, Equatable {
    public var code: String
    public var name: String
    public var kind: String
    public var districtCode: String
    public var district: String
    public var position: GeoPoint
}

/// A village (thôn, phố, khu phố) of a commune.
public struct Village: Sendable, Equatable {
    public var id: String
    public var communeCode: String
    public var name: String
    public var position: GeoPoint
}

public enum ResponderKind: String, Sendable, CaseIterable {
    case preventionGroup = "prevention_group"
    case trustedAddress = "trusted_address"
    case healthFacility = "health_facility"
    case club

    /// Kinds that triage may assign an incident to.
    public var isAssignable: Bool { self == .preventionGroup || self == .trustedAddress }
}

/// A prevention group, trusted address, health facility or club.
public struct Responder: Sendable, Equatable {
    public var id: String
    public var kind: ResponderKind
    public var name: String
    public var communeCode: String
    public var villageID: String?
    public var position: GeoPoint
    public var phone: String
    public var hours: OpeningHours
    public var shelterBeds: Int
}

/// The hotline gateway of one commune.
public struct Hotline: Sendable, Equatable {
    public var id: String
    public var communeCode: String
    public var name: String
    public var phone: String
}
