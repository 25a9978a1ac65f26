import Foundation
import Histogram
import HotlineCore
import HotlineHarness
import HotlineLineClient

/// Closed-loop load: `connections` gateways, each keeping `pipeline` REPORTs in flight, until
/// `reports` receipts in total. Latency is from a request's send to its receipt.
public struct LoadGenerator {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var connections: Int
        public var pipeline: Int
        public var reports: Int
        /// Gateway ids to authenticate as, round-robin; token is `tokenPrefix + id`.
        public var gateways: [(id: String, commune: String)]
        public var tokenPrefix: String
        public var runID: String
        /// Open loop: reports per second offered in all (spread evenly over the connections);
        /// latency then counts from each report's scheduled send time. `nil`: closed loop.
        public var rate: Double?

        public init(
            host: String, port: Int, connections: Int, pipeline: Int, reports: Int,
            gateways: [(id: String, commune: String)], tokenPrefix: String, runID: String, rate: Double? = nil
        ) {
            self.rate = rate
            self.host = host
            self.port = port
            self.connections = connections
            self.pipeline = pipeline
            self.reports = reports
            self.gateways = gateways
            self.tokenPrefix = tokenPrefix
            self.runID = runID
        }

        public func openLoop(_ rate: Double) -> Options {
            var o = self
            o.rate = rate
            return o
        }
    }

    public struct Result: Sendable {
        public var receipts: Int
        public var errors: Int
        public var seconds: Double
        /// Sorted latencies in seconds.
        public var latencies: [Double]

        public var perSecond: Double { Double(receipts) / seconds }

        /// Latency at a percentile, seconds, from an HdrHistogram of microseconds (3 digits).
        public func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            var h = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
            for l in latencies { _ = h.record(UInt64(max(1, l * 1e6))) }
            return Double(h.valueAtPercentile(p)) / 1e6
        }
    }

    public static func run(_ o: Options) throws -> Result {
        let collected = Collected()
        let group = DispatchGroup()
        let share = o.reports / o.connections, extra = o.reports % o.connections
        let begin = DispatchTime.now().uptimeNanoseconds
        for n in 0..<o.connections {
            let count = share + (n < extra ? 1 : 0)
            let gateway = o.gateways[n % o.gateways.count]
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let (lat, errs) = try o.rate.map { try openConnection(o, n, gateway, count, perConnection: $0 / Double(o.connections)) }
                        ?? connection(o, n, gateway, count)
                    collected.add(lat, errs)
                } catch {
                    collected.fail(error)
                }
            }
        }
        group.wait()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
        var (all, errors, failure) = collected.result
        all.sort()
        if let failure { throw failure }
        return Result(receipts: all.count, errors: errors, seconds: seconds, latencies: all)
    }

    /// Open loop on one connection: a sender keeps to the schedule whatever the replies do;
    /// this thread reads the receipts and charges each from its scheduled time.
    static func openConnection(
        _ o: Options, _ n: Int, _ gateway: (id: String, commune: String), _ count: Int, perConnection rate: Double
    ) throws -> ([Double], Int) {
        let client = try LineClient(host: o.host, port: o.port)
        _ = try client.readLine()
        try client.send("AUTH \(gateway.id) \(o.tokenPrefix)\(gateway.id)\n")
        guard try client.readLine().hasPrefix("OK") else { throw LineClient.Failure(description: "AUTH \(gateway.id)") }
        let interval = 1e9 / rate
        // Stagger the connections across one interval.
        let start = DispatchTime.now().uptimeNanoseconds + 50_000_000 + UInt64(Double(n) / Double(o.connections) * interval)
        let sender = Thread {
            for i in 0..<count {
                let due = start + UInt64(Double(i) * interval)
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { usleep(UInt32((due - now) / 1000)) }
                let line = #"REPORT {"ref":"\#(o.runID)-\#(n)-\#(i)","severity":"normal","forms":["physical"],"victims":1}"# + "\n"
                if (try? client.send(line)) == nil { return }
            }
        }
        sender.start()
        var latencies: [Double] = []
        var errors = 0
        for i in 0..<count {
            let reply = try client.readLine()
            let t = DispatchTime.now().uptimeNanoseconds
            let due = start + UInt64(Double(i) * interval)
            if HLPReply.isOK(reply) { latencies.append(Double(t > due ? t - due : 0) / 1e9) } else { errors += 1 }
        }
        return (latencies, errors)
    }

    static func connection(_ o: Options, _ n: Int, _ gateway: (id: String, commune: String), _ count: Int) throws
        -> ([Double], Int)
    {
        let client = try LineClient(host: o.host, port: o.port)
        _ = try client.readLine()
        try client.send("AUTH \(gateway.id) \(o.tokenPrefix)\(gateway.id)\n")
        let auth = try client.readLine()
        guard HLPReply.isOK(auth) else { throw LineClient.Failure(description: "AUTH \(gateway.id): \(auth)") }
        var sentAt = [UInt64](repeating: 0, count: count)
        var latencies: [Double] = []
        latencies.reserveCapacity(count)
        var errors = 0
        var next = 0
        func line(_ i: Int) -> String {
            #"REPORT {"ref":"\#(o.runID)-\#(n)-\#(i)","severity":"normal","forms":["physical"],"victims":1}"# + "\n"
        }
        let first = min(o.pipeline, count)
        var batch = ""
        let now = DispatchTime.now().uptimeNanoseconds
        for i in 0..<first {
            sentAt[i] = now
            batch += line(i)
        }
        try client.send(batch)
        next = first
        for i in 0..<count {
            let reply = try client.readLine()
            let t = DispatchTime.now().uptimeNanoseconds
            if HLPReply.isOK(reply) {
                latencies.append(Double(t - sentAt[i]) / 1e9)
            } else {
                errors += 1
            }
            if next < count {
                sentAt[next] = DispatchTime.now().uptimeNanoseconds
                try client.send(line(next))
                next += 1
            }
        }
        return (latencies, errors)
    }
}

/// Results of the load threads, under a lock.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies: [Double] = []
    private var errors = 0
    private var failure: Error?

    func add(_ l: [Double], _ e: Int) {
        lock.lock()
        latencies.append(contentsOf: l)
        errors += e
        lock.unlock()
    }

    func fail(_ error: Error) {
        lock.lock()
        failure = error
        lock.unlock()
    }

    var result: ([Double], Int, Error?) {
        lock.lock()
        defer { lock.unlock() }
        return (latencies, errors, failure)
    }
}
