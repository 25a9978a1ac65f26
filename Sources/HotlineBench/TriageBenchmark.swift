import Foundation
import HotlineCore

/// Nearest-eligible lookup on a national directory: ns per triage (assignee, two backups and a
/// shelter), at random points and times.
public enum TriageBenchmark {
    public struct Result: Sendable {
        public var responders: Int
        public var communes: Int
        public var buildSeconds: Double
        public var queries: Int
        public var nanosecondsPerTriage: Double
        public var nanosecondsBruteForce: Double
    }

    public static func run(queries: Int = 100_000, communes: Int = 10_600, responders: Int = 100_000) -> Result {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let directory = NationalDirectory.make(communes: communes, responders: responders)
        let t1 = DispatchTime.now().uptimeNanoseconds
        var rng = NationalDirectory.Generator(seed: 99)
        let base = Timestamp(rfc3339: "2026-11-29T00:00:00Z")!
        let inputs = (0..<queries).map { _ in
            (GeoPoint(lat: .random(in: 8.6...23.3, using: &rng), lon: .random(in: 102.2...109.4, using: &rng)),
             base.adding(seconds: .random(in: 0..<86_400, using: &rng)))
        }
        var checksum = 0
        let t2 = DispatchTime.now().uptimeNanoseconds
        for (p, t) in inputs {
            let r = Triage.triage(directory: directory, at: p, time: t, needsShelter: true, heldPlaces: [:])
            checksum &+= r.assigned?.distanceMeters ?? 0
        }
        let t3 = DispatchTime.now().uptimeNanoseconds
        // A brute-force scan for scale (100 queries).
        let sample = inputs.prefix(100)
        let t4 = DispatchTime.now().uptimeNanoseconds
        for (p, t) in sample {
            var best = Double.infinity
            for r in directory.responders where r.kind.isAssignable && r.hours.isOpen(at: t) {
                best = min(best, p.distance(to: r.position))
            }
            checksum &+= Int(best)
        }
        let t5 = DispatchTime.now().uptimeNanoseconds
        precondition(checksum != 42)
        return Result(
            responders: directory.responders.count, communes: directory.communes.count,
            buildSeconds: Double(t1 - t0) / 1e9, queries: queries,
            nanosecondsPerTriage: Double(t3 - t2) / Double(queries),
            nanosecondsBruteForce: Double(t5 - t4) / Double(sample.count))
    }
}
