import Foundation

/// A WGS84 position in degrees.
public struct GeoPoint: Sendable, Equatable {
    public var lat: Double
    public var lon: Double

    public init(lat: Double, lon: Double) {
        self.lat = lat
        self.lon = lon
    }

    /// Mean Earth radius (IUGG), metres.
    public static let earthRadius = 6_371_008.8

    /// Great-circle distance in metres, by the haversine formula.
    public func distance(to other: GeoPoint) -> Double {
        let φ1 = lat * .pi / 180, φ2 = other.lat * .pi / 180
        let dφ = φ2 - φ1, dλ = (other.lon - lon) * .pi / 180
        let a = sin(dφ / 2) * sin(dφ / 2) + cos(φ1) * cos(φ2) * sin(dλ / 2) * sin(dλ / 2)
        return 2 * Self.earthRadius * asin(min(1, sqrt(a)))
    }

    /// The point on the unit sphere. Straight-line (chord) distance between unit vectors grows
    /// monotonically with great-circle distance, so nearest by chord is nearest by haversine.
    var unitVector: (Double, Double, Double) {
        let φ = lat * .pi / 180, λ = lon * .pi / 180
        return (cos(φ) * cos(λ), cos(φ) * sin(λ), sin(φ))
    }

    /// The squared chord length on the unit sphere that corresponds to `meters` along the surface.
    static func chordSquared(forMeters meters: Double) -> Double {
        let c = 2 * sin(min(.pi, meters / earthRadius) / 2)
        return c * c
    }
}
