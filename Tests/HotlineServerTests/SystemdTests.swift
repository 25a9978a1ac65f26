import HotlineHarness
import Foundation
import HotlineCore
import HotlineLineClient
import HotlineServer
@testable import HotlineStore
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket: @unchecked Sendable {  // one reader at a time
    let path: String
    let fd: Int32

    init(folder: String) throws {
        path = folder + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw LineClient.Failure(description: "bind notify socket: errno \(errno)") }
        var tv = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// The next datagram, or nil after the timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }

    /// Datagrams until one contains `text` (or the timeout).
    func waitFor(_ text: String) -> [String] {
        var seen: [String] = []
        while let m = receive() {
            seen.append(m)
            if m.contains(text) { break }
        }
        return seen
    }
}

@Suite(.serialized)
struct SystemdTests {
    @Test func notifyReadyStatusWatchdogStopping() throws {
        let daemon = try DaemonProcess()
        let notify = try NotifySocket(folder: daemon.folder)
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "300000"])
        let ready = notify.waitFor("READY=1")
        #expect(ready.last?.contains("READY=1") == true)
        #expect(ready.last?.contains("STATUS=0 connections, 0 open incidents") == true)
        // Ready means listening and the store open: a gateway can report at once.
        let c = try LineClient(port: daemon.port)
        _ = try c.readLine()
        _ = try c.request("AUTH HL-14320 demo-HL-14320")
        _ = try okObject(try c.request(#"REPORT {"ref":"sd-1","severity":"low","forms":["economic"]}"#))
        // Pings at half the watchdog interval: several within a second.
        var pings = 0
        let start = Date()
        while pings < 3, Date().timeIntervalSince(start) < 10, let m = notify.receive() {
            if m == "WATCHDOG=1" { pings += 1 }
        }
        #expect(pings >= 3)
        daemon.kill(SIGTERM)
        #expect(notify.waitFor("STOPPING=1").last?.contains("STOPPING=1") == true)
        #expect(daemon.process?.terminationStatus == 0)
    }

    @Test func socketActivationAdoptsTheInheritedListener() throws {
        let port = DaemonProcess.freePort()
        let daemon = try DaemonProcess()
        try daemon.start(launcher: ["/usr/bin/systemd-socket-activate", "-l", "127.0.0.1:\(port)"])
        defer { if daemon.process?.isRunning == true { daemon.kill(SIGKILL) } }
        // The daemon was started by the first connection, on the socket it inherited.
        let c = try #require(Wait.value(seconds: 10, every: 0.05) { try LineClient(port: port) })
        #expect(try c.readLine() == "HLP/1 test-hotline ready")
        #expect(try c.request("PING") == #"OK {"pong":true}"#)
        // The log line follows the bind; wait for it rather than race it.
        Wait.until(seconds: 10) { daemon.log.contains("listen.inherited") }
        let log = daemon.log
        #expect(log.contains("listen.inherited=true"), "\(log)")
        daemon.kill(SIGTERM)
        #expect(daemon.process?.terminationStatus == 0)
    }
}

/// Notifications never hold their sender: a receiver that does not read fills its queue (10
/// datagrams), and a blocking send would hang the watchdog's thread and the shutdown with it.
@Suite struct NotifierTests {
    @Test func aFullQueueDropsTheMessageInsteadOfBlocking() throws {
        let folder = temporaryFolder()
        let socket = try NotifySocket(folder: folder)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path])
        let queue = Int((try? String(contentsOfFile: "/proc/sys/net/unix/max_dgram_qlen", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 10
        // Sends until one is refused, on a thread of its own (a blocking send would hang it).
        let done = DispatchSemaphore(value: 0)
        let accepted = NIOLockedValueBox(0)
        Thread {
            while accepted.withLockedValue({ $0 }) < 1000, notifier.notify("STATUS=\(accepted.withLockedValue { $0 })") {
                accepted.withLockedValue { $0 += 1 }
            }
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 30) == .success, "notify blocked on a full queue")
        // The kernel queues max_dgram_qlen datagrams (one more, by its comparison), then refuses.
        #expect((queue...queue + 1).contains(accepted.withLockedValue { $0 }), "\(accepted.withLockedValue { $0 }) queued")
        // The receiver catches up: what was queued arrives, and sending works again.
        #expect(socket.receive() == "STATUS=0")
        #expect(notifier.notify("WATCHDOG=1"))
    }
}

/// The watchdog is honest: it pings only while the event loops and the store's writer make
/// progress.
@Suite(.serialized)
struct WatchdogTests {
    @Test func aBlockedWriterStopsThePings() async throws {
        let server = try await TestServer(inProcess: true)
        let notify = try NotifySocket(folder: server.folder)
        let service = SystemdService(
            app: server.app, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
        let task = Task { try await group.run() }
        // Blocking receives run on a thread of their own, not on the cooperative pool the
        // service needs (other tests may hold its threads).
        #expect(await offload { notify.waitFor("READY=1").last?.contains("READY=1") } == true)
        #expect(await offload { notify.waitFor("WATCHDOG=1").last } == "WATCHDOG=1")
        // A writer hung for 3 s (as in a stuck fsync): within the watchdog interval the pings stop.
        server.app.state.store.blockWriterForTesting(seconds: 3)
        let lastPingWhileBlocked = await offload {
            let blockedAt = Date()
            var last: TimeInterval = 0
            while Date().timeIntervalSince(blockedAt) < 2.5, let m = notify.receive() {
                let at = Date().timeIntervalSince(blockedAt)
                if m == "WATCHDOG=1", at < 2.5 { last = at }
            }
            return last
        }
        #expect(lastPingWhileBlocked < 1.5, "pinged \(lastPingWhileBlocked) s after the writer blocked")
        // Once it is free again, they resume.
        #expect(await offload { notify.waitFor("WATCHDOG=1").last } == "WATCHDOG=1")
        await group.triggerGracefulShutdown()
        try await task.value
        try await server.stop()
    }
}

/// Runs blocking work on a thread of its own and awaits its result.
func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
