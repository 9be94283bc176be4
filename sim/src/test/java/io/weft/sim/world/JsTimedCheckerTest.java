package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.sim.SimClock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link JsTimedChecker} on planted histories: each rule flags its violation and lets the honest case pass. */
class JsTimedCheckerTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;
    private static final long EPOCH = SimClock.EPOCH_MILLIS * MS;

    /** One acked publish with {@code header}, invoked at 1 ms, acked at 2 ms as seq 1; quiet at 100 ms. */
    private static JsTimedChecker oneTtl(String header) {
        JsTimedChecker c = new JsTimedChecker();
        c.ttlPublishInvoked("a", header, JsTimedChecker.parseTtl(header), 1 * MS);
        c.ttlPublishAcked("a", 1, 2 * MS);
        return c;
    }

    private static boolean flags(List<String> f, String text) {
        return f.stream().anyMatch(s -> s.contains(text));
    }

    @Test
    void anHonestTtlHistoryPasses() {
        JsTimedChecker c = oneTtl("1s");
        c.quiet(100 * MS);
        c.ttlServed("round 1 direct get", 1, "a", "1s", EPOCH + 2 * MS, 150 * MS, 151 * MS);
        c.ttlMissing("round 3 msg get", 1, 3 * S, 3 * S + MS);
        assertEquals(List.of(), c.check(List.of()));
    }

    @Test
    void aMessageServedAfterItsTtlIsFlagged() {
        JsTimedChecker c = oneTtl("1s");
        c.quiet(100 * MS);
        // judged from 100 ms + 1 s + 20 ms; the node's wall clock then is 1.02 s past its store at 2 ms
        c.ttlServed("round 3 direct get", 1, "a", "1s", EPOCH + 2 * MS, 3 * S, 3 * S + MS);
        List<String> f = c.check(List.of());
        assertTrue(flags(f, "after its expiry"), f.toString());
    }

    @Test
    void aForwardWallJumpBeforeTheQuietPhaseExcusesOnlyUntilTheTimersHaveFired() {
        JsTimedChecker early = oneTtl("2s");
        early.skew(50 * MS, 60_000, 0); // +60 s: the monotonic expiry timer has not fired yet
        early.quiet(100 * MS);
        early.ttlServed("round 1 msg get", 1, "a", "2s", EPOCH + 2 * MS, 200 * MS, 201 * MS);
        assertEquals(List.of(), early.check(List.of()));

        JsTimedChecker late = oneTtl("2s");
        late.skew(50 * MS, 60_000, 0);
        late.quiet(100 * MS);
        late.ttlServed("round 3 msg get", 1, "a", "2s", EPOCH + 2 * MS, 2200 * MS, 2201 * MS);
        assertTrue(flags(late.check(List.of()), "after its expiry"), late.check(List.of()).toString());

        // a backward jump lengthens the bound by its size: 2 s + 30 s + 20 ms after the quiet start
        JsTimedChecker back = oneTtl("2s");
        back.skew(50 * MS, 30_000, 0);
        back.skew(60 * MS, 0, 0);
        back.quiet(100 * MS);
        assertEquals(100 * MS + 32 * S + JsTimedChecker.TTL_TOLERANCE_NS, back.judgeFrom());
    }

    @Test
    void aMessageLostBeforeItsTtlIsFlaggedUnlessTheClockPassedItsDueTime() {
        JsTimedChecker lost = oneTtl("2s");
        lost.quiet(100 * MS);
        lost.ttlMissing("round 1 direct get", 1, 500 * MS, 501 * MS);
        assertTrue(flags(lost.check(List.of()), "gone before its TTL"), lost.check(List.of()).toString());

        // the wall clock jumped 10 s ahead (the message expired), then 10 s back: gone is right
        JsTimedChecker jumped = oneTtl("2s");
        jumped.skew(300 * MS, 10_000, 0);
        jumped.skew(350 * MS, 0, 0);
        jumped.quiet(400 * MS);
        jumped.ttlMissing("round 1 direct get", 1, 500 * MS, 501 * MS);
        assertEquals(List.of(), jumped.check(List.of()));
    }

    @Test
    void messagesWithoutTtlOrWithNeverAreNeverRemoved() {
        for (String h : new String[] {null, "never"}) {
            JsTimedChecker c = oneTtl(h);
            c.quiet(100 * MS);
            c.ttlMissing("round 3 msg get", 1, 60 * S, 60 * S + MS);
            assertTrue(flags(c.check(List.of()), "is gone"), h + ": " + c.check(List.of()));
        }
    }

    @Test
    void whatIsServedMustBeWhatWasPublished() {
        JsTimedChecker c = oneTtl("1s");
        c.ttlPublishInvoked("b", null, JsTimedChecker.NONE, 3 * MS);
        c.ttlPublishFailed("b", 4 * MS);
        c.quiet(100 * MS);
        c.ttlServed("round 1 msg get", 2, "a", "2s", EPOCH + 2 * MS, 150 * MS, 151 * MS);
        c.ttlServed("round 1 msg get", 3, "b", null, EPOCH + 3 * MS, 150 * MS, 151 * MS);
        c.ttlServed("round 1 msg get", 4, "zz", null, EPOCH + 3 * MS, 150 * MS, 151 * MS);
        List<String> f = c.check(List.of());
        assertTrue(flags(f, "acknowledged at seq 1") && flags(f, "published with 1s") && flags(f, "answered with an error")
                && flags(f, "no publisher sent"), f.toString());
    }

    // ------------------------------------------------------------------ pause

    /** Consumer {@code held} paused until wall 500 ms, armed at world 10 ms (no skew yet). */
    private static JsTimedChecker paused() {
        JsTimedChecker c = new JsTimedChecker();
        c.paused("held", EPOCH + 500 * MS, 10 * MS);
        return c;
    }

    @Test
    void aDeliveryDuringThePauseIsFlaggedAndOneAfterItIsNot() {
        JsTimedChecker c = paused();
        c.pausedDelivery("held", 1, "a", 200 * MS);
        List<String> f = c.check(List.of());
        assertTrue(flags(f, "before its pause ended"), f.toString());
        JsTimedChecker ok = paused();
        ok.pausedDelivery("held", 1, "a", 510 * MS);
        assertEquals(List.of(), ok.check(List.of()));
    }

    @Test
    void theMonotonicClockAndRestartsDecideWhenThePauseEnds() {
        // a monotonic jump of 400 ms shortens the pause on the server's clock: delivery at 150 ms is fine
        JsTimedChecker mono = paused();
        mono.skew(100 * MS, 0, 400 * MS);
        mono.pausedDelivery("held", 1, "a", 150 * MS);
        assertEquals(List.of(), mono.check(List.of()));

        // a restart with the wall clock 60 s ahead reads the pause as over: fine at once
        JsTimedChecker ahead = paused();
        ahead.skew(100 * MS, 60_000, 0);
        ahead.restart(300 * MS);
        ahead.pausedDelivery("held", 1, "a", 310 * MS);
        assertEquals(List.of(), ahead.check(List.of()));

        // a restart with the wall clock 60 s behind pauses again (pause_until is persisted):
        // a delivery after the original end is a delivery during the pause
        JsTimedChecker behind = paused();
        behind.skew(100 * MS, -60_000, 0);
        behind.restart(300 * MS);
        behind.pausedDelivery("held", 1, "a", 700 * MS);
        assertTrue(flags(behind.check(List.of()), "before its pause ended"), behind.check(List.of()).toString());
        assertTrue(behind.pauseEnd("held") > 60 * S, "pause end " + behind.pauseEnd("held"));
    }

    @Test
    void aDrainedPausedConsumerMustHaveDeliveredEveryStoredMessage() {
        JsTimedChecker c = paused();
        c.pausedDelivery("held", 1, "a", 600 * MS);
        c.pausedDrained("held");
        List<String> f = c.check(List.of("a", "b"));
        assertEquals(1, f.size(), f.toString());
        assertTrue(f.get(0).contains("never delivered 1 messages") && f.get(0).contains("[b]"), f.toString());
    }

    @Test
    void theTimelineIsReadFromTheNemesisHistory() {
        JsTimedChecker c = paused();
        c.timeline(List.of(new History.Entry(100 * MS, -1, History.Type.INFO, "skew", "n1 wall -60000ms mono +5ns"),
                new History.Entry(300 * MS, -1, History.Type.INFO, "restart", "n1")));
        c.pausedDelivery("held", 1, "a", 700 * MS);
        assertTrue(flags(c.check(List.of()), "before its pause ended"), c.check(List.of()).toString());
    }
}
