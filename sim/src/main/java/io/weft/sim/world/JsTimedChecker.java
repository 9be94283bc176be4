package io.weft.sim.world;

import io.weft.sim.SimClock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The time-based checks of scenario {@code js-crash-ttl}: per-message TTL on stream {@code T} and
 * paused durable consumers on stream {@code Q}, judged on the <b>server's</b> clocks, not the
 * world's. Everything is recorded in world (virtual) time and turned into the node's wall and
 * monotonic readings afterwards with the clock timeline ({@link #skew}): the node's wall clock is
 * {@code EPOCH + world + S(t)} (milliseconds) and its monotonic clock {@code world + M(t)}, where the
 * wall skew {@code S} and the monotonic offset {@code M} change only at the nemesis's skew faults.
 *
 * <p><b>TTL rules</b> (the server stores a message at its wall time {@code ts}, its due time is
 * {@code ts + ttl}; it removes it when a timer fires and its wall clock is past the due time):
 * <ol>
 *   <li><i>Not served after expiry</i>: a read (direct get or {@code STREAM.MSG.GET}) sent when the
 *       node's wall clock is past {@code ts + ttl + }{@link #TTL_TOLERANCE_NS} must not return the
 *       message ({@code ts} and the TTL are the ones the server returned with it). Judged only for
 *       reads sent at or after {@link #judgeFrom()} = quiet + max TTL + the sum of the backward wall
 *       skews + tolerance: the expiry timer is monotonic (armed for {@code due - wall now}), so a
 *       forward wall jump legitimately leaves a message in place until the timer armed before it
 *       fires, and a backward jump before a timer is armed lengthens it by the jump; after that
 *       bound every timer armed during the faults has fired and the clocks move together.</li>
 *   <li><i>Not lost before its TTL</i>: an acknowledged message with a finite TTL that a read did
 *       not find is a failure unless the node's wall clock was at some moment between the publish
 *       and the read's answer at or past {@code tsLow + ttl - }{@link #LOSS_TOLERANCE_NS}, where
 *       {@code tsLow} is the lowest wall reading the node had while the publish was in flight
 *       (the store happened then). A clock stepped back after the expiry does not bring the
 *       message back, which this allows.</li>
 *   <li><i>No TTL, or {@code never}</i>: an acknowledged message without a TTL or with
 *       {@code Nats-TTL: never} must be found by every read (the stream is never damaged at rest).</li>
 *   <li>Everything served was published (not refused), at the acknowledged sequence, with the
 *       {@code Nats-TTL} header it was sent with.</li>
 * </ol>
 *
 * <p><b>Pause rules</b> (a consumer's {@code pause_until} {@code P} is wall time; the server turns
 * it into a monotonic deadline {@code N(a) + P - W(a)} when it arms the pause: at the create or
 * {@code CONSUMER.PAUSE} reply during setup, and at every restart, when it reads the persisted
 * {@code pause_until} back):
 * <ol>
 *   <li><i>Nothing during the pause</i>: a message of a paused consumer that reaches the client at
 *       world time {@code t} is a failure when the node's monotonic reading at {@code t} is still
 *       before the deadline of the latest arm at or before {@code t} minus
 *       {@link #PAUSE_TOLERANCE_NS} (a crash resets every connection, so what arrives at {@code t}
 *       came from the incarnation alive at {@code t}).</li>
 *   <li><i>Everything after it</i>: after the faults and the last arm's deadline the consumer must
 *       drain (the scenario fails it otherwise) and must have delivered every message of the final
 *       read of {@code Q}.</li>
 * </ol>
 */
public final class JsTimedChecker {
    /** How late (server wall clock) a served message may be after {@code ts + ttl}. */
    public static final long TTL_TOLERANCE_NS = 20_000_000L;
    /** Millisecond rounding of the wall readings in the loss rule. */
    public static final long LOSS_TOLERANCE_NS = 2_000_000L;
    /** How early (server monotonic clock) a paused consumer's first delivery may reach the client. */
    public static final long PAUSE_TOLERANCE_NS = 5_000_000L;
    public static final long NEVER = -1;
    public static final long NONE = 0;

    private static final long EPOCH_NS = SimClock.EPOCH_MILLIS * 1_000_000L;

    /** A TTL publish: ttl in ns, or {@link #NONE} / {@link #NEVER}; header as sent (null for none). */
    private static final class Pub {
        final String payload;
        final String header;
        final long ttl;
        final long invoked;
        long done = -1;
        long seq;
        boolean failed;

        Pub(String payload, String header, long ttl, long invoked) {
            this.payload = payload;
            this.header = header;
            this.ttl = ttl;
            this.invoked = invoked;
        }
    }

    private record Served(String how, long seq, String payload, String header, long ts, long sent, long received) {
    }

    private record Missing(String how, long seq, long sent, long received) {
    }

    private record Arm(long time, long wallSkewMillis, long monoOffset) {
    }

    private record Delivery(String consumer, long seq, String payload, long at) {
    }

    /** Skew events in history order: {world time, wall skew after (ms), monotonic offset after (ns)}. */
    private final List<long[]> skews = new ArrayList<>();
    private final Map<String, Pub> pubs = new LinkedHashMap<>();
    private final Map<Long, Pub> bySeq = new HashMap<>();
    private final List<Served> served = new ArrayList<>();
    private final List<Missing> missing = new ArrayList<>();
    /** Per paused consumer: {@code pause_until} in wall ns, and its arms. */
    private final Map<String, Long> pauseUntil = new LinkedHashMap<>();
    private final Map<String, List<Arm>> arms = new LinkedHashMap<>();
    private final List<Long> restarts = new ArrayList<>();
    private final List<Delivery> deliveries = new ArrayList<>();
    private final Map<String, Set<String>> consumed = new HashMap<>();
    private final Map<String, Boolean> drained = new HashMap<>();
    private final List<String> failures = new ArrayList<>();
    private long quiet = -1;
    private long maxTtl;

    // ------------------------------------------------------------------ the node's clocks

    /**
     * A skew fault at world time {@code world} left the node's wall skew at {@code wallSkewMillis}
     * and its monotonic offset at {@code monoOffset} (cumulative values; in history order).
     */
    public void skew(long world, long wallSkewMillis, long monoOffset) {
        skews.add(new long[] {world, wallSkewMillis, monoOffset});
    }

    /**
     * The node restarted at world time {@code world}: every paused consumer's pause is armed again
     * (from the persisted {@code pause_until}) with the clocks as the skews so far left them (call
     * in history order with {@link #skew}).
     */
    public void restart(long world) {
        long[] s = skews.isEmpty() ? new long[] {0, 0, 0} : skews.get(skews.size() - 1);
        for (Map.Entry<String, List<Arm>> e : arms.entrySet()) {
            e.getValue().add(new Arm(world, s[1], s[2]));
        }
        restarts.add(world);
    }

    /**
     * Reads the nemesis's skew and restart entries (process -1) from a history, once, in order:
     * {@code skew} values are {@code HOST wall Xms mono +Yns} (a jump of X ms, an offset growing by
     * Y ns), {@code restart} re-arms the pauses.
     */
    public void timeline(List<History.Entry> entries) {
        if (timelineRead) {
            return;
        }
        timelineRead = true;
        long wall = 0;
        long mono = 0;
        for (History.Entry e : entries) {
            if (e.process() != -1) {
                continue;
            }
            if (e.op().equals("skew")) {
                java.util.regex.Matcher m = SKEW.matcher(e.value());
                if (!m.find()) {
                    failures.add("cannot read skew entry " + e.value());
                    continue;
                }
                wall += Long.parseLong(m.group(1));
                mono += Long.parseLong(m.group(2));
                skew(e.time(), wall, mono);
            } else if (e.op().equals("restart")) {
                restart(e.time());
            }
        }
    }

    private static final java.util.regex.Pattern SKEW = java.util.regex.Pattern.compile("wall (-?\\d+)ms mono \\+(\\d+)ns");
    private boolean timelineRead;

    /** Skew and offset after every event at or before {@code world}. */
    private long[] stateAt(long world) {
        long s = 0;
        long m = 0;
        for (long[] e : skews) {
            if (e[0] > world) {
                break;
            }
            s = e[1];
            m = e[2];
        }
        return new long[] {s, m};
    }

    /** The node's wall clock in ns (millisecond resolution) at {@code world}, after its events. */
    long wallAt(long world) {
        return EPOCH_NS + (world / 1_000_000L + stateAt(world)[0]) * 1_000_000L;
    }

    /** The node's monotonic clock at {@code world}, after its events. */
    long monoAt(long world) {
        return world + stateAt(world)[1];
    }

    /** The lowest (or highest) wall reading the node could have had during [from, to]. */
    private long wallBound(long from, long to, boolean highest) {
        long[] before = stateBefore(from);
        long s = before[0];
        long best = s;
        for (long[] e : skews) {
            if (e[0] >= from && e[0] <= to) {
                best = highest ? Math.max(best, e[1]) : Math.min(best, e[1]);
            }
        }
        long skewNs = best * 1_000_000L;
        long at = highest ? to : from;
        return EPOCH_NS + (at / 1_000_000L) * 1_000_000L + skewNs;
    }

    /** Skew and offset in effect before any event at {@code world}. */
    private long[] stateBefore(long world) {
        long s = 0;
        long m = 0;
        for (long[] e : skews) {
            if (e[0] >= world) {
                break;
            }
            s = e[1];
            m = e[2];
        }
        return new long[] {s, m};
    }

    /** The sum of the backward wall jumps, in ns. */
    long backwardSkewNanos() {
        long sum = 0;
        long prev = 0;
        for (long[] e : skews) {
            if (e[1] < prev) {
                sum += (prev - e[1]) * 1_000_000L;
            }
            prev = e[1];
        }
        return sum;
    }

    // ------------------------------------------------------------------ TTL stream

    public void ttlPublishInvoked(String payload, String header, long ttl, long now) {
        pubs.put(payload, new Pub(payload, header, ttl, now));
        if (ttl > maxTtl) {
            maxTtl = ttl;
        }
    }

    public void ttlPublishAcked(String payload, long seq, long now) {
        Pub p = pubs.get(payload);
        p.done = now;
        p.seq = seq;
        Pub before = bySeq.putIfAbsent(seq, p);
        if (before != null) {
            failures.add("TTL stream: sequence " + seq + " acknowledged twice: for " + before.payload + " and " + payload);
        }
    }

    public void ttlPublishFailed(String payload, long now) {
        Pub p = pubs.get(payload);
        p.done = now;
        p.failed = true;
    }

    public void ttlPublishIndeterminate(String payload, long now) {
        pubs.get(payload).done = now;
    }

    /** The highest acknowledged sequence of the TTL stream (0 if none). */
    public long maxAckedSeq() {
        return bySeq.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** The faults are over (the nemesis finished) at world time {@code now}. */
    public void quiet(long now) {
        quiet = now;
    }

    /** From when reads are judged by the expiry rule (world time); {@code Long.MAX_VALUE} before {@link #quiet}. */
    public long judgeFrom() {
        return quiet < 0 ? Long.MAX_VALUE : quiet + maxTtl + backwardSkewNanos() + TTL_TOLERANCE_NS;
    }

    /** A read sent at {@code sent} returned {@code payload} at {@code seq}, stored at {@code ts} (server wall ns). */
    public void ttlServed(String how, long seq, String payload, String header, long ts, long sent, long received) {
        served.add(new Served(how, seq, payload, header, ts, sent, received));
    }

    /** A read of {@code seq} sent at {@code sent} found nothing (answered at {@code received}). */
    public void ttlMissing(String how, long seq, long sent, long received) {
        missing.add(new Missing(how, seq, sent, received));
    }

    /** Parses the values the scenario sends: {@code never}, {@code Ns}, or whole seconds. */
    static long parseTtl(String header) {
        if (header == null || header.isEmpty()) {
            return NONE;
        }
        if (header.equals("never")) {
            return NEVER;
        }
        String digits = header.endsWith("s") ? header.substring(0, header.length() - 1) : header;
        return Long.parseLong(digits) * 1_000_000_000L;
    }

    // ------------------------------------------------------------------ paused consumers

    /**
     * Consumer {@code name} was paused until {@code untilWallNanos}, armed at world time
     * {@code armed} (the reply to its create or PAUSE request).
     */
    public void paused(String name, long untilWallNanos, long armed) {
        pauseUntil.put(name, untilWallNanos);
        long[] s = stateAt(armed);
        List<Arm> l = new ArrayList<>();
        l.add(new Arm(armed, s[0], s[1]));
        arms.put(name, l);
        consumed.put(name, new java.util.HashSet<>());
    }

    /** The monotonic deadline (node ns) the server sets when it arms {@code a}. */
    private long deadline(String name, Arm a) {
        long wall = EPOCH_NS + (a.time() / 1_000_000L + a.wallSkewMillis()) * 1_000_000L;
        long mono = a.time() + a.monoOffset();
        return mono + (pauseUntil.get(name) - wall);
    }

    private Arm latestArm(String name, long at) {
        Arm latest = null;
        for (Arm a : arms.get(name)) {
            if (a.time() <= at) {
                latest = a;
            }
        }
        return latest;
    }

    /**
     * World time from which the server may deliver for {@code name} by its last arm so far (call
     * after the faults); the first arm's before the first restart.
     */
    public long pauseEnd(String name) {
        List<Arm> l = arms.get(name);
        Arm last = l.get(l.size() - 1);
        long[] now = stateAt(Long.MAX_VALUE);
        return deadline(name, last) - now[1] + PAUSE_TOLERANCE_NS;
    }

    public void pausedDelivery(String name, long seq, String payload, long at) {
        deliveries.add(new Delivery(name, seq, payload, at));
        consumed.get(name).add(payload);
    }

    public void pausedDrained(String name) {
        drained.put(name, true);
    }

    public void fail(String why) {
        failures.add(why);
    }

    // ------------------------------------------------------------------ verdict

    /** Every failed check; {@code inQueue}: the payloads of the final read of {@code Q}. */
    public List<String> check(List<String> inQueue) {
        List<String> out = new ArrayList<>(failures);
        long from = judgeFrom();
        for (Served s : served) {
            Pub p = pubs.get(s.payload());
            if (p == null) {
                out.add("TTL stream: " + s.how() + " served seq " + s.seq() + " with payload " + s.payload()
                        + " that no publisher sent");
                continue;
            }
            if (p.failed) {
                out.add("TTL stream: " + s.how() + " served " + s.payload() + " (seq " + s.seq()
                        + ") whose publish was answered with an error");
            }
            if (p.seq > 0 && p.seq != s.seq()) {
                out.add("TTL stream: " + s.how() + " served " + s.payload() + " at seq " + s.seq()
                        + " but its publish was acknowledged at seq " + p.seq);
            }
            if (!java.util.Objects.equals(p.header, s.header())) {
                out.add("TTL stream: " + s.how() + " served " + s.payload() + " with Nats-TTL " + s.header()
                        + ", published with " + p.header);
            }
            long ttl = parseTtl(s.header());
            if (ttl > 0 && s.sent() >= from) {
                long wall = wallAt(s.sent());
                long late = wall - (s.ts() + ttl);
                if (late > TTL_TOLERANCE_NS) {
                    out.add("TTL stream: " + s.how() + " served " + s.payload() + " (seq " + s.seq() + ", Nats-TTL "
                            + s.header() + ", stored at " + java.time.Instant.ofEpochSecond(0, s.ts())
                            + ") to a read sent at node wall " + java.time.Instant.ofEpochSecond(0, wall) + ", "
                            + late / 1_000_000 + " ms after its expiry (tolerance " + TTL_TOLERANCE_NS / 1_000_000
                            + " ms; world time " + s.sent() + ")");
                }
            }
        }
        for (Missing m : missing) {
            Pub p = bySeq.get(m.seq());
            if (p == null) {
                continue; // nothing acknowledged there
            }
            if (p.ttl == NONE || p.ttl == NEVER) {
                out.add("TTL stream: acknowledged " + p.payload + " (seq " + m.seq() + ", "
                        + (p.ttl == NEVER ? "Nats-TTL never" : "no TTL") + ") is gone (" + m.how() + " at world "
                        + m.received() + ")");
                continue;
            }
            long tsLow = wallBound(p.invoked, p.done, false);
            long highest = wallBound(p.invoked, m.received(), true);
            if (highest < tsLow + p.ttl - LOSS_TOLERANCE_NS) {
                out.add("TTL stream: acknowledged " + p.payload + " (seq " + m.seq() + ", Nats-TTL " + p.header
                        + ") is gone before its TTL: stored no earlier than node wall "
                        + java.time.Instant.ofEpochSecond(0, tsLow) + ", the node's wall clock never passed "
                        + java.time.Instant.ofEpochSecond(0, highest) + " before " + m.how() + " answered");
            }
        }
        for (Delivery d : deliveries) {
            Arm a = latestArm(d.consumer(), d.at());
            if (a == null) {
                continue;
            }
            long mono = monoAt(d.at());
            long dl = deadline(d.consumer(), a);
            if (mono < dl - PAUSE_TOLERANCE_NS) {
                out.add("consumer " + d.consumer() + " delivered " + d.payload() + " (seq " + d.seq() + ") "
                        + (dl - mono) / 1_000_000 + " ms before its pause ended by the server's monotonic clock"
                        + " (pause_until " + java.time.Instant.ofEpochSecond(0, pauseUntil.get(d.consumer()))
                        + ", armed at world " + a.time() + " with wall skew " + a.wallSkewMillis()
                        + " ms; delivered at world " + d.at() + ")");
            }
        }
        for (String name : pauseUntil.keySet()) {
            if (!drained.getOrDefault(name, false)) {
                continue; // the scenario reported why it did not drain
            }
            List<String> never = new ArrayList<>();
            for (String p : inQueue) {
                if (!consumed.get(name).contains(p)) {
                    never.add(p);
                }
            }
            if (!never.isEmpty()) {
                out.add("paused consumer " + name + " never delivered " + never.size() + " messages of the stream after"
                        + " its pause: " + never);
            }
        }
        return out;
    }

    /**
     * One line for the trace: reads that served a message with a finite TTL, reads that found a
     * sequence gone, reads judged by the expiry rule, paused-consumer deliveries, and restarts that
     * re-armed a pause before it ended.
     */
    public String summary() {
        long from = judgeFrom();
        long ttlServed = served.stream().filter(x -> parseTtl(x.header()) > 0).count();
        long judged = served.stream().filter(x -> x.sent() >= from).count()
                + missing.stream().filter(x -> x.sent() >= from).count();
        long rearmed = 0;
        for (String name : arms.keySet()) {
            List<Arm> l = arms.get(name);
            for (int i = 1; i < l.size(); i++) {
                if (monoAt(l.get(i).time()) < deadline(name, l.get(i - 1))) {
                    rearmed++;
                }
            }
        }
        return "ttl-summary served-with-ttl=" + ttlServed + " missing=" + missing.size() + " judged=" + judged
                + " paused-deliveries=" + deliveries.size() + " rearmed-during-pause=" + rearmed;
    }

    /** Deliveries of {@code name} (for tests and the scenario's statistics). */
    public long deliveries(String name) {
        return deliveries.stream().filter(d -> d.consumer().equals(name)).count();
    }

    /** Sequences the TTL reads found missing, for statistics. */
    public Set<Long> missingSeqs() {
        Set<Long> s = new TreeSet<>();
        missing.forEach(m -> s.add(m.seq()));
        return s;
    }

    public int reads() {
        return served.size() + missing.size();
    }

    public List<Long> restarts() {
        return List.copyOf(restarts);
    }
}
