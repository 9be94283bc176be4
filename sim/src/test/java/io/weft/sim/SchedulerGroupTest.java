package io.weft.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pause and kill of a scheduler group (a node's threads). */
@Timeout(20)
class SchedulerGroupTest {

    @Test
    void aPausedGroupIsNotScheduledUntilResumed() {
        SimScheduler s = new SimScheduler(1);
        SimClock clock = new SimClock(s, "n1/", "n1");
        List<String> ran = new ArrayList<>();
        s.spawn("n1/ticker", "n1", () -> {
            for (int i = 0; i < 10; i++) {
                ran.add("tick@" + s.now() / 1_000_000);
                try {
                    clock.sleep(Duration.ofMillis(1));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        });
        s.spawn("nemesis", () -> {
            try {
                clock.sleep(Duration.ofNanos(2_500_000));
                s.pause("n1");
                clock.sleep(Duration.ofMillis(5));
                ran.add("resume@" + s.now() / 1_000_000);
                s.resume("n1");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        SimScheduler.Outcome o = s.runToCompletion();
        assertTrue(o.ok(), o.toString());
        // ticks at 0, 1, 2 ms; the one due at 3 ms waits for the resume at 7.5 ms (shown as 7)
        assertEquals(List.of("tick@0", "tick@1", "tick@2", "resume@7", "tick@7", "tick@8"), ran.subList(0, 6));
    }

    @Test
    void killedThreadsNeverRunAgainAndTheirTimersDoNotFire() {
        SimScheduler s = new SimScheduler(2);
        SimClock clock = new SimClock(s, "n1/", "n1");
        SimSpawner spawner = new SimSpawner(s, "n1/", "n1");
        List<String> ran = new ArrayList<>();
        spawner.spawn("worker", () -> {
            ran.add("worker start");
            try {
                clock.sleep(Duration.ofMillis(10));
            } catch (InterruptedException e) {
                ran.add("worker interrupted");
            }
            ran.add("worker after sleep");
        });
        clock.schedule(Duration.ofMillis(20), () -> ran.add("old timer"));
        s.spawn("nemesis", () -> {
            try {
                clock.sleep(Duration.ofMillis(1));
                assertEquals(1, s.kill("n1"));
                assertEquals(1, s.generation("n1"));
                clock.schedule(Duration.ofMillis(1), () -> ran.add("new timer"));
                clock.sleep(Duration.ofMillis(30));
                ran.add("nemesis done");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        SimScheduler.Outcome o = s.runToCompletion();
        assertTrue(o.ok(), o.toString());
        assertEquals(List.of("worker start", "new timer", "nemesis done"), ran);
        assertTrue(s.liveThreads().isEmpty(), s.liveThreads().toString());
    }
}
