package io.weft.engine.jetstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

/** The schedule patterns of ADR-51: when each fires after a given time (no clock read). */
class MsgScheduleTest {
    private static long at(String iso) {
        Instant t = Instant.parse(iso);
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static String next(String pattern, String after) {
        MsgSchedule.When w = MsgSchedule.parse(pattern, null, at(after));
        return w == MsgSchedule.INVALID ? "invalid" : MsgSchedule.format(w.atNanos()) + (w.repeats() ? " repeats" : "");
    }

    @Test
    void patternsFireWhenAdr51Says() {
        assertEquals("2030-01-01T10:00:00Z", next("@at 2030-01-01T11:00:00+01:00", "2026-12-07T17:00:00Z"));
        assertEquals("2026-12-07T17:01:01Z repeats", next("@every 1m", "2026-12-07T17:00:00.600Z")); // rounded, then + 1m
        assertEquals("2026-12-07T18:00:00Z repeats", next("@hourly", "2026-12-07T17:00:00Z"));
        assertEquals("2026-12-08T00:00:00Z repeats", next("@daily", "2026-12-07T17:00:00Z"));
        // Saturday 2026-12-12 -> Monday 12:00
        assertEquals("2026-12-14T12:00:00Z repeats", next("0 0 12 * * mon-fri", "2026-12-12T13:00:00Z"));
        // both day fields restricted: the 1st/15th or any Friday (2026-12-11 is a Friday)
        assertEquals("2026-12-11T04:30:00Z repeats", next("0 30 4 1,15 * 5", "2026-12-08T00:00:00Z"));
        assertEquals("2026-12-15T04:30:00Z repeats", next("0 30 4 1,15 * 5", "2026-12-11T05:00:00Z"));
        assertEquals("2026-12-07T17:00:05Z repeats", next("*/5 * * * * *", "2026-12-07T17:00:00Z"));
        assertEquals("2027-01-01T00:00:00Z repeats", next("0 0 0 1 jan,jul *", "2026-12-07T17:00:00Z"));
        assertEquals("2027-02-28T00:00:00Z repeats", next("0 0 0 28 FEB *", "2026-12-07T17:00:00Z"));
        for (String bad : new String[] {"bogus", "@at 2030-01-01 10:00:00", "@at 2030-01-01T10:00Z", "@every 500ms",
                "@every 1x", "* * * * *", "61 * * * * *", "0 0 0 30 2-1 *", "0 0 0 * * 7", "*/0 * * * * *", "1-2-3 * * * * *"}) {
            assertEquals("invalid", next(bad, "2026-12-07T17:00:00Z"), bad);
        }
        assertNull(MsgSchedule.parse("", null, 0));
    }

    @Test
    void timeZonesApplyToCronOnly() {
        ZoneId ams = ZoneId.of("Europe/Amsterdam");
        MsgSchedule.When w = MsgSchedule.parse("0 0 9 * * *", ams, at("2026-12-07T00:00:00Z"));
        assertEquals("2026-12-07T08:00:00Z", MsgSchedule.format(w.atNanos())); // 09:00 CET
        assertEquals("2026-12-07T09:00:00+01:00", MsgSchedule.format(w.atNanos(), ams)); // as Nats-Schedule-Next shows it
        assertSame(MsgSchedule.INVALID, MsgSchedule.parse("@at 2030-01-01T00:00:00Z", ams, 0));
        assertSame(MsgSchedule.INVALID, MsgSchedule.parse("@every 1s", ams, 0));
    }

    @Test
    void aRepeatingScheduleThatMissedFiringsFiresOnce() {
        // due long ago (a server that was down): the next firing is after now, not the missed ones
        MsgSchedule.When w = MsgSchedule.following("@every 10s", null, at("2026-12-07T10:00:00Z"), at("2026-12-07T17:00:00Z"));
        assertEquals("2026-12-07T17:00:10Z", MsgSchedule.format(w.atNanos()));
        assertNull(MsgSchedule.following("@at 2026-12-07T10:00:00Z", null, at("2026-12-07T10:00:00Z"), 0));
        assertTrue(MsgSchedule.mentions("NATS/1.0\r\nNats-Schedule: @hourly\r\n\r\n".getBytes()));
        assertFalse(MsgSchedule.mentions("NATS/1.0\r\nNats-TTL: 1s\r\n\r\n".getBytes()));
    }
}
