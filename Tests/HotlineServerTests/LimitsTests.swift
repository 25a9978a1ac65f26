import Foundation
import HotlineCore
import HotlineServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The limits of `[limits]`, each over real TCP.
@Suite(.serialized)
struct LimitsTests {
    @Test func connectionsPerPeerAndOverall() async throws {
        let server = try await TestServer { $0.limits.maxConnectionsPerPeer = 2 }
        let a = try server.client(), b = try server.client()
        _ = try a.readLine()
        _ = try b.readLine()
        let c = try server.client()
        #expect(try c.readLine() == "ERR unavailable too many connections from 127.0.0.1; retry later")
        #expect(try c.readLineOrEOF() == nil)
        // The two admitted connections still work.
        #expect(try a.request("PING") == #"OK {"pong":true}"#)
        try await server.stop()

        let total = try await TestServer { $0.limits.maxConnections = 1 }
        let one = try total.client()
        _ = try one.readLine()
        let two = try total.client()
        #expect(errCode(try two.readLine()) == "unavailable")
        try await total.stop()
    }

    @Test func authMustSucceedInTime() async throws {
        let server = try await TestServer { $0.limits.authTimeout = 1 }
        let c = try server.client()
        _ = try c.readLine()
        #expect(try c.request("PING") == #"OK {"pong":true}"#)  // PING does not count as AUTH
        #expect(try c.readLineOrEOF() == nil)
        // Authenticated in time: the connection stays.
        let d = try server.gateway()
        try await Task.sleep(nanoseconds: 1_600_000_000)
        #expect(try d.request("PING") == #"OK {"pong":true}"#)
        try await server.stop()
    }

    @Test func idleAndSlowLineConnectionsAreClosed() async throws {
        let server = try await TestServer {
            $0.limits.idleTimeout = 1
            $0.limits.lineTimeout = 1
        }
        let idle = try server.gateway()
        #expect(try idle.readLineOrEOF() == nil)
        let slow = try server.gateway()
        // A line trickled in a byte at a time, never finished: closed although bytes keep coming.
        var closed = false
        for byte in Array("REPORT {\"ref\":\"slow\"".utf8) + Array(repeating: UInt8(ascii: " "), count: 40) {
            if (try? slow.send([byte])) == nil {
                closed = true
                break
            }
            usleep(100_000)
        }
        if !closed { closed = (try? slow.readLineOrEOF()) == nil }
        #expect(closed)
        try await server.stop()
    }

    @Test func perGatewayRate() async throws {
        let server = try await TestServer {
            $0.limits.rate = 0.01  // one token per 100 s: no refill during the test
            $0.limits.burst = 3
        }
        let c = try server.gateway()
        try c.send(String(repeating: "PING\n", count: 6))
        var replies: [String] = []
        for _ in 0..<6 { replies.append(try c.readLine()) }
        #expect(replies.prefix(3).allSatisfy { $0 == #"OK {"pong":true}"# })
        #expect(replies.suffix(3).allSatisfy { errCode($0) == "rate-limited" })
        // The bucket is per gateway: another connection of the same gateway shares it,
        // another gateway does not.
        let same = try server.gateway()
        #expect(errCode(try same.request("PING")) == "rate-limited")
        let other = try server.gateway("14323")
        #expect(try other.request("PING") == #"OK {"pong":true}"#)
        try await server.stop()
    }

    @Test func aClientThatDoesNotReadIsPausedNotBufferedOrDropped() async throws {
        let server = try await TestServer()
        let greedy = try server.gateway()
        var small: Int32 = 16384
        setsockopt(greedy.fd, SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 300_000)
        setsockopt(greedy.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Write PINGs without reading a reply until the kernel buffers are full both ways.
        let chunk = Array(String(repeating: "PING\n", count: 2000).utf8)
        var sent = 0
        while sent < 20_000_000 {
            let n = chunk.withUnsafeBytes { Glibc.send(greedy.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
            if n < chunk.count { break }
        }
        #expect(sent < 20_000_000)  // the server stopped reading: backpressure reached the client
        // Meanwhile the server serves others.
        let other = try server.gateway("14323")
        #expect(try other.request("PING") == #"OK {"pong":true}"#)
        // Every whole line sent is answered, in order, once the client reads (a cut-off last
        // line has no LF, so it is no request yet).
        let lines = sent / 5
        for _ in 0..<lines { #expect(try greedy.readLine() == #"OK {"pong":true}"#) }
        try await server.stop()
    }
}
