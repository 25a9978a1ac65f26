import Foundation
import Histogram
import HotlineCore
import HotlineHarness

#if canImport(Glibc)
import Glibc
import HotlineLineClient
#endif

/// Unauthenticated connections from one address flooding pipelined PINGs (reconnecting whenever
/// the daemon closes them), while an authenticated gateway on another loopback address sends one
/// PING at a time: the gateway's round trip under the flood, against the same without it.
public enum FloodBenchmark {
    public struct Result: Sendable {
        public var seconds: Double
        public var attackerBytes: Int
        public var attackerConnections: Int
        public var pings: Int
        /// Round trips of the gateway's PINGs, microseconds.
        public var p50: Double
        public var p99: Double
        public var max: Double
        public var daemonCPUMilliseconds: Int
    }

    public static func run(_ daemon: DaemonProcess, attackers: Int, seconds: Double, gateway: String) throws -> Result {
        // The gateway first, from 127.0.0.2, authenticated.
        guard let gfd = LoopbackSocket.connect(from: "127.0.0.2", port: daemon.port) else {
            throw LineClient.Failure(description: "cannot connect from 127.0.0.2")
        }
        defer { close(gfd) }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(gfd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var pending: [UInt8] = []
        func readLine() throws -> String {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                if let i = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[..<i], as: UTF8.self)
                    pending.removeFirst(i + 1)
                    return line
                }
                let n = chunk.withUnsafeMutableBytes { recv(gfd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { throw LineClient.Failure(description: "gateway connection: recv \(n) errno \(errno)") }
                pending.append(contentsOf: chunk[..<n])
            }
        }
        func send(_ s: String) {
            _ = Array(s.utf8).withUnsafeBytes { Glibc.send(gfd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        _ = try readLine()
        send("AUTH \(gateway) demo-\(gateway)\n")
        let auth = try readLine()
        guard HLPReply.isOK(auth) else { throw LineClient.Failure(description: "AUTH: \(auth)") }

        // The flood.
        let stop = ManagedAtomicFlag()
        let bytes = ManagedCounter()
        let connections = ManagedCounter()
        let payload = Array(String(repeating: "PING\n", count: 13_000).utf8)  // 65 KB per write
        var threads: [Thread] = []
        let port = daemon.port
        for _ in 0..<attackers {
            let t = Thread {
                var drain = [UInt8](repeating: 0, count: 65536)
                while !stop.isSet {
                    guard let fd = LoopbackSocket.connect(from: "127.0.0.1", port: port) else { usleep(1000); continue }
                    connections.add(1)
                    var stv = timeval(tv_sec: 0, tv_usec: 200_000)
                    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stv, socklen_t(MemoryLayout<timeval>.size))
                    while !stop.isSet {
                        let n = payload.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        if n > 0 { bytes.add(n) } else if errno == EAGAIN || errno == EWOULDBLOCK { continue } else { break }
                        // Read and drop what the daemon answers, without waiting.
                        _ = drain.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                    }
                    close(fd)
                }
            }
            t.start()
            threads.append(t)
        }

        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        let cpuBefore = daemon.cpuMilliseconds
        let begin = DispatchTime.now().uptimeNanoseconds
        var pings = 0
        while Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9 < seconds {
            let t0 = DispatchTime.now().uptimeNanoseconds
            send("PING\n")
            let reply = try readLine()
            guard HLPReply.isOK(reply) else { throw LineClient.Failure(description: "PING: \(reply)") }
            histogram.record((DispatchTime.now().uptimeNanoseconds - t0) / 1000)
            pings += 1
            usleep(5000)
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
        let cpu = daemon.cpuMilliseconds - cpuBefore
        stop.set()
        while threads.contains(where: { !$0.isFinished }) { usleep(10_000) }
        return Result(
            seconds: elapsed, attackerBytes: bytes.value, attackerConnections: connections.value, pings: pings,
            p50: Double(histogram.valueAtPercentile(50)), p99: Double(histogram.valueAtPercentile(99)),
            max: Double(histogram.max), daemonCPUMilliseconds: cpu)
    }
}

/// A flag and a counter shared by the flood's threads.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var isSet: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add(_ n: Int) { lock.withLock { count += n } }
}
