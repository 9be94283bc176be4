package io.weft.sim.world;

import io.weft.sim.check.KV;
import io.weft.sim.check.KeyedModel;
import io.weft.sim.check.Linearizability;
import io.weft.sim.check.Op;
import io.weft.sim.check.OpHistory;
import io.weft.sim.check.QueueChecker;
import io.weft.sim.check.RegisterModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checks of scenario {@code js-crash}, fed while the run goes (calls come from simulated
 * threads, which the scheduler runs one at a time, so the order of calls is real-time order).
 *
 * <p><b>Stream (queue) check.</b> Publishes are {@code enqueue}s: ok when a PubAck came back
 * (with the sequence it named), fail on a JSON error reply, info on timeout or disconnect. The
 * final read of the stream (every sequence, once) gives the {@code dequeue}s. {@link QueueChecker}
 * then reports lost, unexpected and duplicated messages. A publish answered with an error (for
 * a full disk, {@code 10077 No space left on device}) was not stored: serving it, to the final
 * read or to the consumer, is a failure of its own, whatever happened after (space returned, a
 * restart). A full disk never excuses a loss. An acknowledged publish missing from the
 * final read is a failure unless all of these hold:
 * <ol>
 *   <li>the run damaged a file at rest (bit flip or truncation while the node was down); crashes,
 *       lost unsynced bytes and torn writes never excuse a loss;</li>
 *   <li>the server reported the damage: a server log line at WRN or ERR level containing
 *       "corrupt" or "damaged" (any case; weft logs {@code has a damaged record (sequences N..M at
 *       FILE:OFFSET): REASON} at start-up) whose sequence range covers the lost message's acked sequence. The
 *       range is read as {@code seq N}, {@code seqs N-M}, {@code sequences N..M},
 *       {@code firstSeq=N, lastSeq=M} or {@code [N, M]}; a corruption line naming no sequence (or
 *       sequence 0: "could not be known") covers every sequence.</li>
 * </ol>
 * So a message that sat in a bit-flipped record may be missing, but only if the server said so;
 * everything else, before and after it, must be there. Independently of losses, a message served
 * (by the final read or by a consumer during the run) must never be wrong: its payload must be
 * one a publisher sent, and if that publish was acknowledged, at the sequence the ack named.
 * Reorders are counted, not failed: a publish blackholed by a partition may land after the
 * publisher's later ones.
 *
 * <p><b>Consumer check.</b> The durable pull consumer acks everything it is given and pulls
 * until it has nothing more after the last fault; every message of the final read must have
 * been delivered to it at least once (redeliveries are fine).
 *
 * <p><b>KV check.</b> Reads and compare-and-set writes per key form a keyed register history;
 * it must be linearizable ({@link Linearizability} with {@link KeyedModel} of {@link RegisterModel}).
 * KV files are never damaged at rest (the nemesis aims at the queue stream), so no KV loss is
 * excusable.
 */
public final class JsCrashChecker {
    private static final Pattern[] RANGES = {
            Pattern.compile("firstSeq=(\\d+), *lastSeq=(\\d+)"),
            Pattern.compile("(?i)seq(?:uence)?s? *:? *(\\d+) *(?:-|\\.\\.|to) *(\\d+)"),
            Pattern.compile("(?i)seq(?:uence)?s? *:? *\\[(\\d+), *(\\d+)\\]"),
            Pattern.compile("(?i)seq(?:uence)? *:? *(\\d+)()"),
            Pattern.compile("\\[(\\d+), *(\\d+)\\]"),
    };

    private final OpHistory queue = new OpHistory();
    private final OpHistory kv = new OpHistory();
    private final Map<String, Long> ackedSeq = new HashMap<>();
    private final Map<String, Boolean> attempted = new HashMap<>();
    /** Publishes answered with an error reply: never stored, never to be served. */
    private final java.util.Set<String> failed = new java.util.HashSet<>();
    /** Publishes refused with 10077 and the error's description. */
    private final Map<String, String> refused = new HashMap<>();
    private final Map<String, String> subjects = new HashMap<>();
    private final Map<Long, String> ackedAt = new TreeMap<>();
    private final List<long[]> reported = new ArrayList<>();
    private final List<String> reports = new ArrayList<>();
    private final List<String> damage = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private int reads;
    private final java.util.Set<String> consumed = new java.util.HashSet<>();
    private final List<String> inStream = new ArrayList<>();
    private boolean drained;
    private long time;

    private long tick(long now) {
        time = Math.max(time, now);
        return time;
    }

    // ------------------------------------------------------------------ stream publishes and reads

    public void publishInvoked(int process, String subject, String payload, long now) {
        attempted.put(payload, Boolean.TRUE);
        subjects.put(payload, subject);
        queue.add(new Op(process, Op.Type.INVOKE, "enqueue", payload, tick(now)));
    }

    public void publishAcked(int process, String payload, long seq, long now) {
        queue.add(new Op(process, Op.Type.OK, "enqueue", payload, tick(now)));
        ackedSeq.put(payload, seq);
        String before = ackedAt.putIfAbsent(seq, payload);
        if (before != null) {
            failures.add("sequence " + seq + " acknowledged twice: for " + before + " and for " + payload);
        }
    }

    public void publishFailed(int process, String payload, long now) {
        failed.add(payload);
        queue.add(new Op(process, Op.Type.FAIL, "enqueue", payload, tick(now)));
    }

    /**
     * The publish of {@code payload} was refused with 10077 (the store could not write it, a full
     * disk): like any refused publish it must never be served, after space returns or a restart.
     */
    public void publishRefused(String payload, String description) {
        refused.put(payload, description);
    }

    public void publishIndeterminate(int process, String payload, long now) {
        queue.add(new Op(process, Op.Type.INFO, "enqueue", payload, tick(now)));
    }

    /**
     * A message the server served at {@code seq} ({@code where}: the final read or a consumer);
     * {@code subject} null when the delivery did not carry the original subject.
     */
    public void served(String where, long seq, String subject, String payload) {
        if (!attempted.containsKey(payload)) {
            failures.add(where + " served seq " + seq + " with payload " + payload + " that no publisher sent");
            return;
        }
        if (failed.contains(payload)) {
            String why = refused.containsKey(payload) ? "refused with 10077 (" + refused.get(payload) + ")"
                    : "answered with an error";
            failures.add(where + " served seq " + seq + " with payload " + payload + " whose publish was " + why);
        }
        if (subject != null && !subjects.get(payload).equals(subject)) {
            failures.add(where + " served " + payload + " (seq " + seq + ") on subject " + subject + ", published on "
                    + subjects.get(payload));
        }
        Long acked = ackedSeq.get(payload);
        if (acked != null && acked != seq) {
            failures.add(where + " served " + payload + " at seq " + seq + " but its publish was acknowledged at seq " + acked);
        }
    }

    /** The pull consumer was given {@code payload} at stream sequence {@code seq}. */
    public void delivered(String where, long seq, String subject, String payload) {
        served(where, seq, subject, payload);
        consumed.add(payload);
    }

    /** The consumer pulled until it had nothing more: every message in the stream must have reached it. */
    public void consumerDrained() {
        drained = true;
    }

    /** The final read found {@code payload} at {@code seq} (each sequence read once). */
    public void finalRead(int process, long seq, String subject, String payload, long now) {
        served("final read", seq, subject, payload);
        reads++;
        inStream.add(payload);
        queue.add(new Op(process, Op.Type.INVOKE, "dequeue", null, tick(now)));
        queue.add(new Op(process, Op.Type.OK, "dequeue", payload, tick(now)));
    }

    /** A server log line ({@code "LVL message"}); corruption reports are kept. */
    public void serverLog(String line) {
        if (!(line.startsWith("ERR ") || line.startsWith("WRN ") || line.startsWith("FTL "))
                || !(line.toLowerCase(Locale.ROOT).contains("corrupt") || line.toLowerCase(Locale.ROOT).contains("damaged"))) {
            return;
        }
        reports.add(line);
        for (Pattern p : RANGES) {
            Matcher m = p.matcher(line);
            if (m.find()) {
                long first = Long.parseLong(m.group(1));
                long last = m.group(2).isEmpty() ? first : Long.parseLong(m.group(2));
                reported.add(first == 0 ? new long[] {0, Long.MAX_VALUE} : new long[] {first, Math.max(first, last)});
                return;
            }
        }
        reported.add(new long[] {0, Long.MAX_VALUE}); // a corruption the server could not place
    }

    /** The nemesis damaged a file at rest. */
    public void damagedAtRest(String what) {
        damage.add(what);
    }

    // ------------------------------------------------------------------ KV

    public void kvInvoke(int process, String f, String key, Object value, long now) {
        kv.add(new Op(process, Op.Type.INVOKE, f, new KV(key, value), tick(now)));
    }

    public void kvOk(int process, String f, String key, Object value, long now) {
        kv.add(new Op(process, Op.Type.OK, f, new KV(key, value), tick(now)));
    }

    public void kvFail(int process, String f, String key, Object value, long now) {
        kv.add(new Op(process, Op.Type.FAIL, f, new KV(key, value), tick(now)));
    }

    public void kvInfo(int process, String f, String key, Object value, long now) {
        kv.add(new Op(process, Op.Type.INFO, f, new KV(key, value), tick(now)));
    }

    // ------------------------------------------------------------------ verdict

    /** Records a failure found by the scenario itself (e.g. the final read could not finish). */
    public void fail(String why) {
        failures.add(why);
    }

    /** The payloads the final read found in the stream. */
    public List<String> storedPayloads() {
        return List.copyOf(inStream);
    }

    public int finalReads() {
        return reads;
    }

    public List<String> corruptionReports() {
        return List.copyOf(reports);
    }

    public OpHistory queueHistory() {
        return queue;
    }

    public OpHistory kvHistory() {
        return kv;
    }

    /** Every failed check, empty when the run passed. */
    public List<String> check() {
        List<String> out = new ArrayList<>(failures);
        QueueChecker.Report r = QueueChecker.check(queue);
        List<Object> lost = new ArrayList<>();
        List<Object> excused = new ArrayList<>();
        for (Object v : r.lost()) {
            Long seq = ackedSeq.get(String.valueOf(v));
            if (seq != null && excusable(seq)) {
                excused.add(v + "@" + seq);
            } else {
                lost.add(v + "@" + seq);
            }
        }
        if (!lost.isEmpty()) {
            out.add(lost.size() + " acknowledged publishes lost (payload@acked seq): " + lost
                    + (excused.isEmpty() ? "" : "; excused as reported corrupt: " + excused)
                    + "; damage at rest: " + damage + "; corruption reports: " + reports);
        }
        if (!r.unexpected().isEmpty()) {
            out.add("unexpected messages (never published): " + r.unexpected());
        }
        if (!r.duplicated().isEmpty()) {
            out.add("messages stored more than once: " + r.duplicated());
        }
        if (drained) {
            List<String> missed = new ArrayList<>();
            for (String p : inStream) {
                if (!consumed.contains(p)) {
                    missed.add(p);
                }
            }
            if (!missed.isEmpty()) {
                out.add("the drained consumer never delivered " + missed.size() + " messages of the stream: " + missed);
            }
        }
        Linearizability.Result lin = Linearizability.check(new KeyedModel<>(new RegisterModel()), kv);
        if (!lin.linearizable()) {
            out.add("KV history " + lin.verdict() + ": " + lin.describe());
        }
        return out;
    }

    private boolean excusable(long seq) {
        if (damage.isEmpty()) {
            return false;
        }
        for (long[] range : reported) {
            if (seq >= range[0] && seq <= range[1]) {
                return true;
            }
        }
        return false;
    }
}
