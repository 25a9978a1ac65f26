import HotlineCore
import HotlineServer
import Testing

@Suite struct ManualClockTests {
    @Test func sleepersWakeWhenTheClockReachesTheirTimeAndNotBefore() async throws {
        let clock = ManualClock(Timestamp(seconds: 1_000))
        let woke = Task { () -> Timestamp in
            try await clock.sleep(until: Timestamp(seconds: 1_010))
            return clock.now()
        }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: 9)
        #expect(clock.sleeperCount == 1)
        clock.advance(by: 1)
        #expect(try await woke.value == Timestamp(seconds: 1_010))
        #expect(clock.sleeperCount == 0)
        // A time already reached returns at once.
        try await clock.sleep(until: Timestamp(seconds: 1_005))
    }

    @Test func aCancelledSleeperThrowsAndLeaves() async throws {
        let clock = ManualClock(Timestamp(seconds: 0))
        let sleeper = Task { try await clock.sleep(until: Timestamp(seconds: 60)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }
}
