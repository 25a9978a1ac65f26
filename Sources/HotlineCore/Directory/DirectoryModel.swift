/// A commune (xã, phường, thị trấn), identified by its GSO code.
public struct Commune: Sendable, Equatable {
    public var code: String
    public var name: String
    public var kind: String
    public var districtCode: String
    public var district: String
    public var position: GeoPoint

    public init(code: String, name: String, kind: String, districtCode: String, district: String, position: GeoPoint) {
        self.code = code
        self.name = name
        self.kind = kind
        self.districtCode = districtCode
        self.district = district
        self.position = position
    }
}

/// A village (thôn, phố, khu phố) of a commune.
public struct Village: Sendable, Equatable {
    public var id: String
    public var communeCode: String
    public var name: String
    public var position: GeoPoint

    public init(id: String, communeCode: String, name: String, position: GeoPoint) {
        self.id = id
        self.communeCode = communeCode
        self.name = name
        self.position = position
    }
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
    public let id: String
    public let kind: ResponderKind
    public let name: String
    public var communeCode: String
    public var villageID: String?
    public var position: GeoPoint
    public let phone: String
    public var hours: OpeningHours
    public var shelterBeds: Int
    /// `{"id":…,"kind":…,"name":…,"phone":…,"distance_m":` — the fixed part of the responder's
    /// JSON in a receipt, encoded once when the directory is loaded.
    public let jsonPrefix: String

    public init(
        id: String, kind: ResponderKind, name: String, communeCode: String, villageID: String?, position: GeoPoint,
        phone: String, hours: OpeningHours, shelterBeds: Int
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.communeCode = communeCode
        self.villageID = villageID
        self.position = position
        self.phone = phone
        self.hours = hours
        self.shelterBeds = shelterBeds
        jsonPrefix =
            #"{"id":"# + JSONValue.stringLiteral(id) + #","kind":"# + JSONValue.stringLiteral(kind.rawValue) + #","name":"#
            + JSONValue.stringLiteral(name) + #","phone":"# + JSONValue.stringLiteral(phone) + #","distance_m":"#
    }
}

/// The hotline gateway of one commune.
public struct Hotline: Sendable, Equatable {
    public var id: String
    public var communeCode: String
    public var name: String
    public var phone: String

    public init(id: String, communeCode: String, name: String, phone: String) {
        self.id = id
        self.communeCode = communeCode
        self.name = name
        self.phone = phone
    }
}
