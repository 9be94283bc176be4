package io.weft.engine.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ResponsePermitsTest {
    static final long MS = 1_000_000L;

    @Test
    void onlyGrantedReplySubjectsUpToMax() {
        ResponsePermits permits = new ResponsePermits(2, Duration.ofMinutes(1), 100);
        assertFalse(permits.tryUse("_INBOX.r1", 0), "nothing granted yet");
        permits.grant("_INBOX.r1", 0);
        assertFalse(permits.tryUse("_INBOX.r1.x", 1), "subjects below the reply are not granted");
        assertFalse(permits.tryUse("_INBOX.r2", 1));
        assertTrue(permits.tryUse("_INBOX.r1", 1));
        assertTrue(permits.tryUse("_INBOX.r1", 2));
        assertFalse(permits.tryUse("_INBOX.r1", 3), "max 2 used up");
        assertEquals(0, permits.size());
    }

    @Test
    void expiresAfterTheConfiguredTime() {
        ResponsePermits permits = new ResponsePermits(5, Duration.ofMillis(500), 100);
        permits.grant("r", 1_000 * MS);
        assertTrue(permits.tryUse("r", 1_100 * MS));
        assertTrue(permits.tryUse("r", 1_500 * MS), "exactly at the limit still valid");
        assertFalse(permits.tryUse("r", 1_501 * MS));
        assertEquals(0, permits.size());
    }

    @Test
    void regrantStartsOver() {
        ResponsePermits permits = new ResponsePermits(1, Duration.ofMillis(100), 100);
        permits.grant("r", 0);
        permits.grant("r", 80 * MS);
        assertTrue(permits.tryUse("r", 150 * MS), "second grant renewed the deadline");
        assertFalse(permits.tryUse("r", 151 * MS), "and the count is not added up");
    }

    @Test
    void defaultPermissionFromTheRecord() {
        ResponsePermits permits = new ResponsePermits(Permissions.ResponsePermission.DEFAULT);
        permits.grant("r", 0);
        assertTrue(permits.tryUse("r", Duration.ofMinutes(2).toNanos()));
        permits.grant("s", 0);
        // allow_responses: true has no time limit in nats-server 2.9 (README-facts.md)
        assertTrue(permits.tryUse("s", Duration.ofHours(5).toNanos()));
        assertFalse(permits.tryUse("s", Duration.ofHours(5).toNanos() + 1), "one response only");
    }

    @Test
    void noLimitsWhenMaxAndExpiresAreUnset() {
        ResponsePermits permits = new ResponsePermits(0, null, 100);
        permits.grant("r", 0);
        for (int i = 0; i < 10; i++) {
            assertTrue(permits.tryUse("r", Long.MAX_VALUE / 2));
        }
    }

    @Test
    void expiredEntriesArePrunedOnGrant() {
        ResponsePermits permits = new ResponsePermits(1, Duration.ofMillis(10), 1_000_000);
        for (int i = 0; i < 10_000; i++) {
            permits.grant("_INBOX." + i, i * MS);
        }
        assertTrue(permits.size() <= 11, "only the last 10ms worth of grants remain: " + permits.size());
        assertTrue(permits.tryUse("_INBOX.9999", 9_999 * MS));
        assertFalse(permits.tryUse("_INBOX.9000", 9_999 * MS));
    }

    @Test
    void capacityBoundsLivePermitsDroppingTheOldest() {
        ResponsePermits permits = new ResponsePermits(1, null, 3);
        for (int i = 0; i < 5; i++) {
            permits.grant("r" + i, i);
        }
        assertEquals(3, permits.size());
        assertFalse(permits.tryUse("r0", 10));
        assertFalse(permits.tryUse("r1", 10));
        assertTrue(permits.tryUse("r4", 10));
    }

    @Test
    void concurrentUsesNeverExceedMax() throws Exception {
        ResponsePermits permits = new ResponsePermits(100, null, 10);
        permits.grant("r", 0);
        AtomicInteger successes = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 50; i++) {
                    if (permits.tryUse("r", 1)) {
                        successes.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(100, successes.get());
    }
}
