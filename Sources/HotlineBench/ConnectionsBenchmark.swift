import Foundation
import HotlineCore
import HotlineHarness

#if canImport(Glibc)
import Glibc
import HotlineLineClient
#endif

/// Many authenticated, idle gateway connections to a `hotlined` child; its resident memory.
public enum ConnectionsBenchmark {
    public struct Result: Sendable {
        public var connections: Int
        public var seconds: Double
        public var residentBefore: Int
        public var residentAfter: Int
        /// The daemon's CPU time while the connections sat idle for `idleSeconds`.
        public var idleCPUMilliseconds: Int
        public var idleSeconds: Double
    }

    public static func run(_ daemon: DaemonProcess, connections: Int, gateways: [String]) throws -> Result {
        let before = daemon.residentBytes
        let begin = DispatchTime.now().uptimeNanoseconds
        var sockets: [LineClient] = []
        sockets.reserveCapacity(connections)
        for i in 0..<connections {
            let c = try LineClient(host: "127.0.0.1", port: daemon.port)
            _ = try c.readLine()
            let g = gateways[i % gateways.count]
            try c.send("AUTH \(g) demo-\(g)\n")
            let reply = try c.readLine()
            guard HLPReply.isOK(reply) else { throw LineClient.Failure(description: "AUTH: \(reply)") }
            sockets.append(c)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
        // All still served: a PING on the first and the last.
        for c in [sockets.first!, sockets.last!] {
            try c.send("PING\n")
            _ = try c.readLine()
        }
        Thread.sleep(forTimeInterval: 1)
        let resident = daemon.residentBytes
        // Idle cost: nothing is sent for 10 s; timers are all the daemon does.
        let cpuBefore = daemon.cpuMilliseconds
        Thread.sleep(forTimeInterval: 10)
        let idle = daemon.cpuMilliseconds - cpuBefore
        withExtendedLifetime(sockets) {}
        return Result(
            connections: connections, seconds: seconds, residentBefore: before, residentAfter: resident,
            idleCPUMilliseconds: idle, idleSeconds: 10)
    }
}
