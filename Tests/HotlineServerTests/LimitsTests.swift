import HotlineHarness
import Foundation
import HotlineCore
import HotlineLineClient
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

    @Test func workBeforeAuthIsBudgetedPerAddress() async throws {
        let server = try await TestServer {
            $0.limits.preAuthRate = 1
            $0.limits.preAuthBurst = 50
        }
        // A client without a token pipelines PINGs: it gets its budget, then one refusal, then
        // the connection is closed.
        let flood = try server.client()
        _ = try flood.readLine()
        try flood.send(String(repeating: "PING\n", count: 200))
        var pongs = 0
        var last = ""
        while let line = try flood.readLineOrEOF() {
            if line == #"OK {"pong":true}"# { pongs += 1 } else { last = line }
        }
        #expect(pongs <= 52)  // the budget, and what the rate refills meanwhile
        #expect(pongs >= 40)
        #expect(last == "ERR rate-limited too many requests before AUTH from 127.0.0.1; retry later")
        // A gateway that authenticated earlier is not touched by the budget.
        try await server.stop()

        let fresh = try await TestServer {
            $0.limits.preAuthRate = 1
            $0.limits.preAuthBurst = 3
        }
        let g = try fresh.gateway()  // AUTH takes one of the 3
        for _ in 0..<20 { #expect(try g.request("PING") == #"OK {"pong":true}"#) }
        try await fresh.stop()
    }

    @Test func connectionsWaitingForAuthGetOnlyAShare() async throws {
        let server = try await TestServer {
            $0.limits.maxUnauthenticatedPerPeer = 2
            $0.limits.maxConnectionsPerPeer = 10
        }
        let a = try server.client(), b = try server.client()
        _ = try a.readLine()
        _ = try b.readLine()
        let c = try server.client()
        #expect(try c.readLine() == "ERR unavailable too many connections from 127.0.0.1 waiting for AUTH; retry later")
        #expect(try c.readLineOrEOF() == nil)
        // Once one authenticates, there is room again.
        #expect(try a.request("AUTH HL-14320 demo-HL-14320").hasPrefix("OK "))
        let d = try server.client()
        #expect(try d.readLine() == "HLP/1 test-hotline ready")
        try await server.stop()

        // The overall share: the oldest connection waiting for AUTH makes room for a new one.
        let shared = try await TestServer {
            $0.limits.maxUnauthenticated = 2
            $0.limits.maxUnauthenticatedPerPeer = 10
        }
        let gateway = try shared.gateway()
        let old = try shared.client()
        _ = try old.readLine()
        let middle = try shared.client()
        _ = try middle.readLine()
        let newest = try shared.client()
        #expect(try newest.readLine() == "HLP/1 test-hotline ready")
        #expect(try old.readLineOrEOF() == nil)  // evicted
        #expect(try middle.request("PING") == #"OK {"pong":true}"#)
        #expect(try newest.request("AUTH HL-14323 demo-HL-14323").hasPrefix("OK "))
        #expect(try gateway.request("PING") == #"OK {"pong":true}"#)  // authenticated: never evicted
        try await shared.stop()
    }

    @Test func controlSocketAndMetricsPortAreCappedAndTimedOut() async throws {
        let daemon = try DaemonProcess { c in
            c.limits.controlConnections = 2
            c.limits.controlTimeout = 1
            c.limits.metricsConnections = 2
            c.limits.metricsTimeout = 1
            c.metricsListen = ("127.0.0.1", 0)
        }
        try daemon.start()
        let metricsPort = try #require(daemon.metricsPort(), "no metrics port in the log: \(daemon.log)")
        defer { daemon.kill(SIGTERM) }
        // Control: two idle operators hold the two places; a third is told, not queued. (The
        // daemon admits connections on its two event loops, so the second and the third race
        // for the last place: one of them is told, the other holds it; the first always does.)
        let socketPath = daemon.folder + "/data/control.sock"
        let first = try LineClient(unixPath: socketPath), second = try LineClient(unixPath: socketPath)
        let third = try LineClient(unixPath: socketPath)
        let lastTwo = [try second.readLineOrEOF(), try third.readLineOrEOF()]
        #expect(lastTwo.filter { $0?.contains("too many operator connections") == true }.count == 1, "\(lastTwo)")
        // Idle ones are closed after the timeout (nothing said); then operators get in again.
        #expect(lastTwo.contains { $0 == nil })
        #expect(try first.readLineOrEOF() == nil)
        Wait.until(seconds: 5, every: 0.1) { try daemon.hotlinectl(["status", "--json"]).status == 0 }
        let (status, output) = try daemon.hotlinectl(["status", "--json"])
        #expect(status == 0, "\(output)")
        // Requests in one write are answered one at a time, in order; bad ones get a reason.
        let pipelined = try LineClient(unixPath: socketPath)
        try pipelined.send(#"{"cmd":"status"}"# + "\n" + #"{"cmd":"bogus"}"# + "\n" + "not json\n" + #"{"cmd":7}"# + "\n")
        #expect(try pipelined.readLineOrEOF()?.contains(#""server":"#) == true)
        #expect(try pipelined.readLineOrEOF() == #"{"code":"unknown-command","error":"unknown command \"bogus\""}"#)
        #expect(try pipelined.readLineOrEOF() == #"{"code":"syntax","error":"the request is not a JSON object"}"#)
        #expect(try pipelined.readLineOrEOF() == #"{"code":"syntax","error":"field \"cmd\" has the wrong type"}"#)
        // A request line over 64 KiB: told, then closed.
        let long = try LineClient(unixPath: socketPath)
        try long.send(String(repeating: "x", count: 70_000))
        #expect(try long.readLineOrEOF() == #"{"code":"too-long","error":"request too long"}"#)
        #expect(try long.readLineOrEOF() == nil)
        // A trickling client (a byte every 200 ms, never a whole line) is closed at the timeout
        // like an idle one: the deadline is for a whole request, not for each byte.
        let trickle = try LineClient(unixPath: socketPath)
        var closed = false
        for _ in 0..<50 where !closed {
            closed = (try? trickle.send("{")) == nil
            usleep(200_000)
        }
        #expect(closed, "a trickling client kept its place")
        // Metrics: the same for HTTP clients that connect and say nothing.
        let m1 = try LineClient(port: metricsPort), m2 = try LineClient(port: metricsPort)
        let m3 = try LineClient(port: metricsPort)
        #expect(try m3.readLineOrEOF() == nil)  // refused: closed at once
        #expect(try m1.readLineOrEOF() == nil)  // timed out
        #expect(try m2.readLineOrEOF() == nil)
        let scraped = Wait.until(seconds: 5, every: 0.1) {
            let m = try LineClient(port: metricsPort)
            try m.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return (try? m.readLineOrEOF())??.hasPrefix("HTTP/1.1 200") == true
        }
        #expect(scraped)
    }
}

