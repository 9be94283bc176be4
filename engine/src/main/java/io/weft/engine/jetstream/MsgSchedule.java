package io.weft.engine.jetstream;

import io.weft.engine.protocol.Headers;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The values of message schedules (nats-server 2.12, ADR-51): the {@code Nats-Schedule} patterns
 * ({@code @at <RFC 3339>}, {@code @every <Go duration>} of at least a second, six-field cron
 * expressions and the {@code @hourly}-style names, with {@code Nats-Schedule-Time-Zone} for cron
 * only) and the message a schedule publishes when it fires. Pure functions of their arguments:
 * every time is given, none is read.
 */
final class MsgSchedule {
    static final String PATTERN = "Nats-Schedule";
    static final String TIME_ZONE = "Nats-Schedule-Time-Zone";
    static final String TTL = "Nats-Schedule-TTL";
    static final String ROLLUP = "Nats-Schedule-Rollup";
    static final String TARGET = "Nats-Schedule-Target";
    static final String SOURCE = "Nats-Schedule-Source";
    static final String SCHEDULER = "Nats-Scheduler";
    static final String NEXT = "Nats-Schedule-Next";
    static final String PURGE = "purge";

    private static final long SECOND = 1_000_000_000L;
    private static final Pattern RFC3339 = Pattern.compile(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d)");

    private MsgSchedule() {
    }

    /** When a schedule fires: nanoseconds since the epoch, and whether it fires again after. */
    record When(long atNanos, boolean repeats) {
    }

    /** A pattern that does not parse, or a time zone where none may be. */
    static final When INVALID = new When(-1, false);

    /** The time zone header as given: null without one, {@link #BAD_ZONE} if it names no zone. */
    static ZoneId zone(Headers h) {
        String tz = h == null ? null : h.first(TIME_ZONE);
        if (tz == null) {
            return null;
        }
        if (tz.equals("UTC")) {
            return ZoneOffset.UTC;
        }
        if (tz.isEmpty() || !ZoneId.getAvailableZoneIds().contains(tz)) {
            return BAD_ZONE;
        }
        return ZoneId.of(tz);
    }

    /** Marks a {@code Nats-Schedule-Time-Zone} that names no zone. */
    static final ZoneId BAD_ZONE = ZoneOffset.ofHours(18);

    /**
     * The first firing of {@code pattern} after {@code tsNanos} (cron, {@code @every}) or at its
     * time ({@code @at}); null for an empty pattern, {@link #INVALID} if it does not parse. No
     * catching up: a time before "now" is the caller's to move (see {@link #following}).
     */
    static When parse(String pattern, ZoneId zone, long tsNanos) {
        if (pattern == null || pattern.isEmpty()) {
            return null;
        }
        if (pattern.startsWith("@at ")) {
            if (zone != null) {
                return INVALID;
            }
            String t = pattern.substring(4);
            if (!RFC3339.matcher(t).matches()) {
                return INVALID;
            }
            try {
                Instant at = OffsetDateTime.parse(t, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
                return new When(at.getEpochSecond() * SECOND + at.getNano(), false);
            } catch (DateTimeException | ArithmeticException e) {
                return INVALID;
            }
        }
        if (pattern.startsWith("@every ")) {
            if (zone != null) {
                return INVALID;
            }
            long every = MsgTtl.duration(pattern.substring(7));
            if (every == MsgTtl.INVALID || every < SECOND) {
                return INVALID;
            }
            return new When(roundToSecond(tsNanos) + every, true);
        }
        Cron cron = Cron.parse(pattern);
        if (cron == null) {
            return INVALID;
        }
        long next = cron.after(tsNanos, zone == null ? ZoneOffset.UTC : zone);
        return next < 0 ? INVALID : new When(next, true);
    }

    /**
     * The firing after the one due at {@code dueNanos} of a repeating pattern, moved so that it is
     * not before {@code nowNanos} (a schedule that missed firings, say while the server was down,
     * fires once and not once per missed time); null for a one-shot pattern.
     */
    static When following(String pattern, ZoneId zone, long dueNanos, long nowNanos) {
        When w = parse(pattern, zone, dueNanos);
        if (w == null || w == INVALID || !w.repeats()) {
            return null;
        }
        if (w.atNanos() < nowNanos) {
            w = parse(pattern, zone, roundToSecond(nowNanos));
        }
        return w;
    }

    /** As Go's {@code time.Round(time.Second)}: to the nearest second, halves up. */
    static long roundToSecond(long nanos) {
        return Math.floorDiv(nanos + SECOND / 2, SECOND) * SECOND;
    }

    /** A time as {@code Nats-Schedule-Next} shows it: RFC 3339 in UTC, whole seconds. */
    static String format(long nanos) {
        return format(nanos, null);
    }

    private static final DateTimeFormatter RFC3339_SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssXXX");

    /**
     * As {@link #format(long)}, in {@code zone} when a cron schedule has one: nats-server 2.15.1
     * writes the next firing in the schedule's time zone, with its offset ({@code +01:00}).
     */
    static String format(long nanos, ZoneId zone) {
        Instant t = Instant.ofEpochSecond(Math.floorDiv(nanos, SECOND));
        return RFC3339_SECONDS.format(t.atZone(zone == null ? ZoneOffset.UTC : zone));
    }

    /** {@code Nats-Schedule-Next} as a time, or -1. */
    static long parseNext(String v) {
        if (v == null || !RFC3339.matcher(v).matches()) {
            return -1;
        }
        try {
            Instant at = OffsetDateTime.parse(v, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
            return at.getEpochSecond() * SECOND + at.getNano();
        } catch (DateTimeException | ArithmeticException e) {
            return -1;
        }
    }

    /**
     * The headers of the message a schedule publishes: those of {@code from} (the schedule, or the
     * last message of its source) without the schedule's own ({@code Nats-Schedule},
     * {@code Nats-Schedule-*}), the {@code Nats-Expected-*} ones, {@code Nats-Msg-Id},
     * {@code Nats-TTL} and {@code Nats-Rollup}; then {@code Nats-Scheduler} (the schedule's
     * subject), {@code Nats-Schedule-Next} ({@code purge} for a one-shot, else the next time), and
     * {@code Nats-TTL} / {@code Nats-Rollup} from the schedule's {@code Nats-Schedule-TTL} /
     * {@code -Rollup}: what nats-server 2.15.1 writes, in its order.
     */
    static Headers fired(Headers from, String scheduler, String next, String ttl, String rollup) {
        Headers out = new Headers();
        if (from != null) {
            for (int i = 0; i < from.size(); i++) {
                String k = from.keyAt(i);
                if (k.equals(PATTERN) || k.startsWith("Nats-Schedule-") || k.startsWith("Nats-Expected-")
                        || k.equals("Nats-Msg-Id") || k.equals("Nats-TTL") || k.equals("Nats-Rollup")) {
                    continue;
                }
                out.add(k, from.valueAt(i));
            }
        }
        out.add(SCHEDULER, scheduler);
        out.add(NEXT, next);
        if (ttl != null && !ttl.isEmpty()) {
            out.add("Nats-TTL", ttl);
        }
        if (rollup != null && !rollup.isEmpty()) {
            out.add("Nats-Rollup", rollup);
        }
        return out;
    }

    /** True if a header block may hold a schedule header (a cheap test before parsing it). */
    static boolean mentions(byte[] hdr) {
        if (hdr.length < 13) {
            return false;
        }
        outer:
        for (int i = 0; i + 10 <= hdr.length; i++) {
            for (int j = 0; j < 10; j++) {
                if (hdr[i + j] != (byte) "Nats-Sched".charAt(j)) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ cron

    /**
     * A six-field cron expression (seconds, minutes, hours, day of month, month, day of week), as
     * ADR-51 describes and nats-server 2.15.1 reads it: {@code *} or {@code ?}, numbers, names
     * ({@code jan}..{@code dec}, {@code sun}..{@code sat}, any case), ranges, lists and steps; when
     * both day fields are restricted a day matching either fires. Each field is a bit set.
     */
    record Cron(long seconds, long minutes, long hours, long days, long months, long weekdays,
                boolean anyDay, boolean anyWeekday) {
        private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                "oct", "nov", "dec"};
        private static final String[] WEEKDAYS = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

        static Cron parse(String pattern) {
            String p = switch (pattern) {
                case "@yearly", "@annually" -> "0 0 0 1 1 *";
                case "@monthly" -> "0 0 0 1 * *";
                case "@weekly" -> "0 0 0 * * 0";
                case "@daily", "@midnight" -> "0 0 0 * * *";
                case "@hourly" -> "0 0 * * * *";
                default -> pattern;
            };
            String[] f = p.trim().split("\\s+");
            if (f.length != 6) {
                return null;
            }
            long[] bits = new long[6];
            boolean[] star = new boolean[6];
            int[][] bounds = {{0, 59}, {0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 6}};
            for (int i = 0; i < 6; i++) {
                String[] names = i == 4 ? MONTHS : i == 5 ? WEEKDAYS : null;
                int base = i == 4 ? 1 : 0;
                for (String part : f[i].split(",")) {
                    if (part.isEmpty()) {
                        continue;
                    }
                    long b = range(part, bounds[i][0], bounds[i][1], names, base, star, i);
                    if (b < 0) {
                        return null;
                    }
                    bits[i] |= b;
                }
            }
            return new Cron(bits[0], bits[1], bits[2], bits[3], bits[4], bits[5], star[3], star[5]);
        }

        /** One list item's bits, or -1; sets {@code star[field]} for an unstepped {@code *}. */
        private static long range(String expr, int min, int max, String[] names, int base, boolean[] star, int field) {
            String[] stepped = expr.split("/", -1);
            if (stepped.length > 2) {
                return -1;
            }
            String[] lowHigh = stepped[0].split("-", -1);
            int lo;
            int hi;
            boolean all = false;
            if (lowHigh[0].equals("*") || lowHigh[0].equals("?")) {
                if (lowHigh.length > 1) {
                    return -1;
                }
                lo = min;
                hi = max;
                all = true;
            } else {
                if (lowHigh.length > 2) {
                    return -1;
                }
                lo = number(lowHigh[0], names, base);
                hi = lowHigh.length == 2 ? number(lowHigh[1], names, base) : lo;
                if (lo < 0 || hi < 0) {
                    return -1;
                }
            }
            int step = 1;
            if (stepped.length == 2) {
                step = number(stepped[1], null, 0);
                if (step < 0) {
                    return -1;
                }
                if (lowHigh.length == 1) {
                    hi = max;
                }
                if (step > 1) {
                    all = false;
                }
            }
            if (lo < min || hi > max || lo > hi || step == 0) {
                return -1;
            }
            if (all) {
                star[field] = true;
            }
            long bits = 0;
            for (int v = lo; v <= hi; v += step) {
                bits |= 1L << v;
            }
            return bits;
        }

        private static int number(String s, String[] names, int base) {
            if (names != null) {
                String l = s.toLowerCase(Locale.ROOT);
                for (int i = 0; i < names.length; i++) {
                    if (names[i].equals(l)) {
                        return i + base;
                    }
                }
            }
            try {
                int n = Integer.parseInt(s);
                return n < 0 ? -1 : n;
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        private boolean dayMatches(ZonedDateTime t) {
            boolean dom = (days & (1L << t.getDayOfMonth())) != 0;
            boolean dow = (weekdays & (1L << (t.getDayOfWeek().getValue() % 7))) != 0;
            return anyDay || anyWeekday ? dom && dow : dom || dow;
        }

        /**
         * The first whole second after {@code tsNanos} that matches, in {@code zone}; -1 if none
         * within five years. Each field from the month down moves the time to the next value it
         * allows, resetting the smaller fields; a move into the next year starts over.
         */
        long after(long tsNanos, ZoneId zone) {
            ZonedDateTime t = Instant.ofEpochSecond(Math.floorDiv(tsNanos, SECOND)).atZone(zone).plusSeconds(1);
            int limit = t.getYear() + 5;
            while (t.getYear() <= limit) {
                if ((months & (1L << t.getMonthValue())) == 0) {
                    t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
                    continue;
                }
                if (!dayMatches(t)) {
                    t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
                    continue;
                }
                if ((hours & (1L << t.getHour())) == 0) {
                    t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
                    continue;
                }
                if ((minutes & (1L << t.getMinute())) == 0) {
                    t = t.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
                    continue;
                }
                if ((seconds & (1L << t.getSecond())) == 0) {
                    t = t.plusSeconds(1);
                    continue;
                }
                return t.toEpochSecond() * SECOND;
            }
            return -1;
        }
    }
}
