package io.weft.engine.jetstream.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.jetstream.JsApiException;
import io.weft.engine.jetstream.Retention;
import io.weft.store.SubjectBytes;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A consumer's configuration, with the JSON field names, defaults and validation of nats-server
 * 2.10. Durations are nanoseconds; 0 means unset. {@code optStartTime} is kept as the RFC 3339
 * text the client sent (null when unset).
 */
public record ConsumerConfig(
        String durableName, String name, String description,
        DeliverPolicy deliverPolicy, long optStartSeq, String optStartTime,
        AckPolicy ackPolicy, long ackWait, long maxDeliver, List<Long> backoff,
        String filterSubject, List<String> filterSubjects,
        ReplayPolicy replayPolicy, long rateLimitBps, String sampleFreq,
        long maxWaiting, long maxAckPending, boolean flowControl, long idleHeartbeat,
        boolean headersOnly, long maxBatch, long maxExpires, long maxBytes,
        String deliverSubject, String deliverGroup, long inactiveThreshold,
        int numReplicas, boolean memStorage, Map<String, String> metadata) {

    public static final long DEFAULT_ACK_WAIT = 30_000_000_000L;
    public static final long DEFAULT_MAX_ACK_PENDING = 1000;
    public static final long DEFAULT_MAX_WAITING = 512;
    public static final long DEFAULT_EPHEMERAL_INACTIVE = 5_000_000_000L;
    public static final int MAX_NAME_LENGTH = 255;
    public static final int MAX_DESCRIPTION_LENGTH = 4096;
    public static final int MAX_METADATA_BYTES = 128 * 1024;

    public ConsumerConfig {
        backoff = backoff == null ? List.of() : List.copyOf(backoff);
        filterSubjects = filterSubjects == null ? List.of() : List.copyOf(filterSubjects);
        metadata = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        deliverPolicy = deliverPolicy == null ? DeliverPolicy.ALL : deliverPolicy;
        ackPolicy = ackPolicy == null ? AckPolicy.NONE : ackPolicy;
        replayPolicy = replayPolicy == null ? ReplayPolicy.INSTANT : replayPolicy;
    }

    public enum DeliverPolicy {
        ALL("all"), LAST("last"), NEW("new"), BY_START_SEQUENCE("by_start_sequence"),
        BY_START_TIME("by_start_time"), LAST_PER_SUBJECT("last_per_subject");

        final String json;

        DeliverPolicy(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }

        /** As nats-server prints it in error messages. */
        String words() {
            return json.replace('_', ' ');
        }
    }

    public enum AckPolicy {
        NONE("none"), ALL("all"), EXPLICIT("explicit");

        final String json;

        AckPolicy(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }
    }

    public enum ReplayPolicy {
        INSTANT("instant"), ORIGINAL("original");

        final String json;

        ReplayPolicy(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }
    }

    public boolean isPush() {
        return deliverSubject != null && !deliverSubject.isEmpty();
    }

    public boolean isDurable() {
        return durableName != null && !durableName.isEmpty();
    }

    /** The filters this consumer selects by; empty means every subject of the stream. */
    public List<String> filters() {
        if (filterSubject != null && !filterSubject.isEmpty()) {
            return List.of(filterSubject);
        }
        return filterSubjects;
    }

    /** The effective delivery deadline for the {@code n}-th delivery (1-based) of a message. */
    public long ackWaitFor(int deliveries) {
        if (!backoff.isEmpty()) {
            int i = Math.min(Math.max(deliveries - 1, 0), backoff.size() - 1);
            return backoff.get(i);
        }
        return ackWait;
    }

    // ---------------------------------------------------------------- JSON in

    /** Parses the {@code config} object of a create request; a type mismatch is a JSON error. */
    public static ConsumerConfig fromJson(JsonNode n) throws JsApiException {
        if (n == null || !n.isObject()) {
            throw ConsumerErrors.CONFIG_REQUIRED.exception();
        }
        try {
            Map<String, String> md = null;
            JsonNode mdn = n.get("metadata");
            if (mdn != null && !mdn.isNull()) {
                if (!mdn.isObject()) {
                    throw bad();
                }
                md = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = mdn.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    md.put(e.getKey(), text(e.getValue()));
                }
            }
            List<Long> backoff = new ArrayList<>();
            JsonNode bn = n.get("backoff");
            if (bn != null && !bn.isNull()) {
                if (!bn.isArray()) {
                    throw bad();
                }
                for (JsonNode b : bn) {
                    backoff.add(integer(b));
                }
            }
            List<String> filters = new ArrayList<>();
            JsonNode fn = n.get("filter_subjects");
            if (fn != null && !fn.isNull()) {
                if (!fn.isArray()) {
                    throw bad();
                }
                for (JsonNode f : fn) {
                    filters.add(text(f));
                }
            }
            return new ConsumerConfig(
                    str(n, "durable_name"), str(n, "name"), str(n, "description"),
                    deliver(str(n, "deliver_policy")), lng(n, "opt_start_seq"), str(n, "opt_start_time"),
                    ack(str(n, "ack_policy")), lng(n, "ack_wait"), lng(n, "max_deliver"), backoff,
                    str(n, "filter_subject"), filters,
                    replay(str(n, "replay_policy")), lng(n, "rate_limit_bps"), str(n, "sample_freq"),
                    lng(n, "max_waiting"), lng(n, "max_ack_pending"), bool(n, "flow_control"),
                    lng(n, "idle_heartbeat"), bool(n, "headers_only"), lng(n, "max_batch"),
                    lng(n, "max_expires"), lng(n, "max_bytes"), str(n, "deliver_subject"),
                    str(n, "deliver_group"), lng(n, "inactive_threshold"), (int) lng(n, "num_replicas"),
                    bool(n, "mem_storage"), md);
        } catch (IllegalArgumentException e) {
            throw ConsumerErrors.INVALID_JSON.exception();
        }
    }

    private static IllegalArgumentException bad() {
        return new IllegalArgumentException("bad type");
    }

    private static String str(JsonNode n, String f) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) {
            return null;
        }
        String s = text(v);
        return s.isEmpty() ? null : s;
    }

    private static String text(JsonNode v) {
        if (!v.isTextual()) {
            throw bad();
        }
        return v.asText();
    }

    private static long lng(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? 0 : integer(v);
    }

    private static long integer(JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw bad();
        }
        return v.asLong();
    }

    private static boolean bool(JsonNode n, String f) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw bad();
        }
        return v.asBoolean();
    }

    private static DeliverPolicy deliver(String s) {
        if (s == null) {
            return DeliverPolicy.ALL;
        }
        for (DeliverPolicy p : DeliverPolicy.values()) {
            if (p.json.equals(s) || (p == DeliverPolicy.LAST_PER_SUBJECT && s.equals("last_per_subject"))) {
                return p;
            }
        }
        if (s.equals("undefined")) {
            return DeliverPolicy.ALL;
        }
        throw bad();
    }

    private static AckPolicy ack(String s) {
        if (s == null) {
            return AckPolicy.NONE;
        }
        for (AckPolicy p : AckPolicy.values()) {
            if (p.json.equals(s)) {
                return p;
            }
        }
        throw bad();
    }

    private static ReplayPolicy replay(String s) {
        if (s == null) {
            return ReplayPolicy.INSTANT;
        }
        for (ReplayPolicy p : ReplayPolicy.values()) {
            if (p.json.equals(s)) {
                return p;
            }
        }
        throw bad();
    }

    // ---------------------------------------------------------------- defaults and checks

    /** Fills in what nats-server fills in when the client left it out. */
    public ConsumerConfig withDefaults(long streamInactiveLimit, long streamMaxAckPendingLimit) {
        long aw = ackWait;
        if (!backoff.isEmpty()) {
            aw = backoff.get(0);
        } else if (aw == 0 && ackPolicy != AckPolicy.NONE) {
            aw = DEFAULT_ACK_WAIT;
        }
        long md = maxDeliver == 0 ? -1 : maxDeliver;
        long map = maxAckPending;
        if (map == 0 && ackPolicy != AckPolicy.NONE) {
            map = streamMaxAckPendingLimit > 0 ? Math.min(DEFAULT_MAX_ACK_PENDING, streamMaxAckPendingLimit) : DEFAULT_MAX_ACK_PENDING;
        }
        long mw = maxWaiting;
        if (!isPush() && mw == 0) {
            mw = DEFAULT_MAX_WAITING;
        }
        long it = inactiveThreshold;
        if (it == 0 && !isDurable()) {
            it = streamInactiveLimit > 0 ? streamInactiveLimit : DEFAULT_EPHEMERAL_INACTIVE;
        }
        String nm = name;
        if ((nm == null || nm.isEmpty()) && isDurable()) {
            nm = durableName;
        }
        return new ConsumerConfig(durableName, nm, description, deliverPolicy, optStartSeq, optStartTime,
                ackPolicy, aw, md, backoff, filterSubject, filterSubjects, replayPolicy, rateLimitBps,
                sampleFreq, mw, map, flowControl, idleHeartbeat, headersOnly, maxBatch, maxExpires, maxBytes,
                deliverSubject, deliverGroup, it, numReplicas, memStorage, metadata);
    }

    /** The same config under another (generated) name. */
    public ConsumerConfig named(String newName) {
        return new ConsumerConfig(durableName, newName, description, deliverPolicy, optStartSeq, optStartTime,
                ackPolicy, ackWait, maxDeliver, backoff, filterSubject, filterSubjects, replayPolicy, rateLimitBps,
                sampleFreq, maxWaiting, maxAckPending, flowControl, idleHeartbeat, headersOnly, maxBatch, maxExpires,
                maxBytes, deliverSubject, deliverGroup, inactiveThreshold, numReplicas, memStorage, metadata);
    }

    /** The start time in epoch nanoseconds; only meaningful when {@code optStartTime} is set. */
    public long optStartTimeNanos() {
        if (optStartTime == null) {
            return 0;
        }
        Instant t = Instant.parse(optStartTime);
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    /** nats-server's checks of a new consumer config, before defaults are applied. */
    public void validate(Retention retention, long inactiveLimit, int maxAckPendingLimit) throws JsApiException {
        if (description != null && description.length() > MAX_DESCRIPTION_LENGTH) {
            throw ConsumerErrors.DESCRIPTION_TOO_LONG.with(MAX_DESCRIPTION_LENGTH).exception();
        }
        checkName(durableName);
        checkName(name);
        if (durableName != null && name != null && !durableName.equals(name)) {
            throw ConsumerErrors.DURABLE_AND_NAME_MISMATCH.exception();
        }
        if (numReplicas < 0) {
            throw ConsumerErrors.REPLICAS_NEGATIVE.exception();
        }
        if (numReplicas > 1) {
            throw ConsumerErrors.REPLICAS_NOT_SUPPORTED.exception();
        }
        for (long b : backoff) {
            if (b <= 0) {
                throw ConsumerErrors.BACKOFF_NEGATIVE.exception();
            }
        }
        if (!backoff.isEmpty() && maxDeliver > 0 && maxDeliver <= backoff.size()) {
            throw ConsumerErrors.MAX_DELIVER_BACKOFF.exception();
        }
        if (isPush()) {
            String ds = deliverSubject;
            if (!validSubject(ds)) {
                throw ConsumerErrors.INVALID_DELIVER_SUBJECT.exception();
            }
            if (ds.contains("*") || ds.contains(">")) {
                throw ConsumerErrors.DELIVER_TO_WILDCARDS.exception();
            }
            if (maxWaiting != 0) {
                throw ConsumerErrors.PUSH_MAX_WAITING.exception();
            }
        } else {
            if (maxWaiting < 0) {
                throw ConsumerErrors.MAX_WAITING_NEGATIVE.exception();
            }
            if (idleHeartbeat > 0) {
                throw ConsumerErrors.HB_REQUIRES_PUSH.exception();
            }
            if (flowControl) {
                throw ConsumerErrors.FC_REQUIRES_PUSH.exception();
            }
            if (rateLimitBps > 0) {
                throw ConsumerErrors.PULL_WITH_RATE_LIMIT.exception();
            }
            if (maxBatch < 0) {
                throw ConsumerErrors.MAX_REQUEST_BATCH_NEGATIVE.exception();
            }
            if (maxExpires != 0 && maxExpires < 1_000_000L) {
                throw ConsumerErrors.MAX_REQUEST_EXPIRES_TOO_SMALL.exception();
            }
        }
        if (idleHeartbeat > 0 && idleHeartbeat < 100_000_000L) {
            throw ConsumerErrors.SMALL_HEARTBEAT.exception();
        }
        if (flowControl && idleHeartbeat <= 0) {
            throw ConsumerErrors.FC_NEEDS_HEARTBEATS.exception();
        }
        checkDeliverPolicy();
        if (sampleFreq != null) {
            String s = sampleFreq.endsWith("%") ? sampleFreq.substring(0, sampleFreq.length() - 1) : sampleFreq;
            try {
                int v = Integer.parseInt(s.strip());
                if (v < 0 || v > 100) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw ConsumerErrors.INVALID_SAMPLING.with("strconv.Atoi: parsing \"" + s + "\": invalid syntax").exception();
            }
        }
        if (maxAckPendingLimit > 0 && maxAckPending > maxAckPendingLimit) {
            throw ConsumerErrors.MAX_PENDING_ACK_EXCESS.with(maxAckPendingLimit).exception();
        }
        if (inactiveLimit > 0 && inactiveThreshold > inactiveLimit) {
            throw ConsumerErrors.INACTIVE_THRESHOLD_EXCESS.with(GoDuration.format(inactiveLimit)).exception();
        }
        if (filterSubject != null && !filterSubjects.isEmpty()) {
            throw ConsumerErrors.DUPLICATE_FILTERS.exception();
        }
        for (String f : filterSubjects) {
            if (f == null || f.isEmpty()) {
                throw ConsumerErrors.EMPTY_FILTER.exception();
            }
        }
        for (String f : filters()) {
            if (!validSubject(f)) {
                throw ConsumerErrors.FILTER_NOT_SUBSET.exception();
            }
        }
        List<String> fs = filterSubjects;
        for (int i = 0; i < fs.size(); i++) {
            for (int j = i + 1; j < fs.size(); j++) {
                if (overlap(fs.get(i), fs.get(j))) {
                    throw ConsumerErrors.OVERLAPPING_FILTERS.exception();
                }
            }
        }
        int mdBytes = 0;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            mdBytes += e.getKey().length() + e.getValue().length();
        }
        if (mdBytes > MAX_METADATA_BYTES) {
            throw ConsumerErrors.METADATA_LENGTH.with(MAX_METADATA_BYTES).exception();
        }
        if (retention == Retention.WORKQUEUE) {
            // nats-server names the pull-mode problem first when a work-queue pull consumer has no acks
            if (!isPush() && ackPolicy == AckPolicy.NONE) {
                throw ConsumerErrors.PULL_REQUIRES_ACK.exception();
            }
            if (ackPolicy != AckPolicy.EXPLICIT) {
                throw ConsumerErrors.WQ_REQUIRES_EXPLICIT_ACK.exception();
            }
            if (deliverPolicy != DeliverPolicy.ALL) {
                throw ConsumerErrors.WQ_NOT_DELIVER_ALL.exception();
            }
        }
    }

    private void checkDeliverPolicy() throws JsApiException {
        switch (deliverPolicy) {
            case ALL, LAST, NEW, LAST_PER_SUBJECT -> {
                if (optStartSeq > 0) {
                    throw policy("consumer delivery policy is deliver " + deliverPolicy.words()
                            + ", but optional start sequence is also set");
                }
                if (optStartTime != null) {
                    throw policy("consumer delivery policy is deliver " + deliverPolicy.words()
                            + ", but optional start time is also set");
                }
            }
            case BY_START_SEQUENCE -> {
                if (optStartSeq <= 0) {
                    throw policy("consumer delivery policy is deliver by start sequence, but optional start sequence is not set");
                }
                if (optStartTime != null) {
                    throw policy("consumer delivery policy is deliver by start sequence, but optional start time is also set");
                }
            }
            case BY_START_TIME -> {
                if (optStartTime == null) {
                    throw policy("consumer delivery policy is deliver by start time, but optional start time is not set");
                }
                if (optStartSeq > 0) {
                    throw policy("consumer delivery policy is deliver by start time, but optional start sequence is also set");
                }
                try {
                    optStartTimeNanos();
                } catch (DateTimeParseException e) {
                    throw ConsumerErrors.INVALID_JSON.exception();
                }
            }
        }
    }

    private static JsApiException policy(String msg) {
        return ConsumerErrors.INVALID_POLICY.with(msg).exception();
    }

    private static void checkName(String n) throws JsApiException {
        if (n == null) {
            return;
        }
        if (n.length() > MAX_NAME_LENGTH) {
            throw ConsumerErrors.NAME_TOO_LONG.with(MAX_NAME_LENGTH).exception();
        }
        if (n.contains("/") || n.contains("\\")) {
            throw ConsumerErrors.NAME_PATH_SEPARATORS.exception();
        }
        for (int i = 0; i < n.length(); i++) {
            char c = n.charAt(i);
            if (c == '.' || c == '*' || c == '>' || c <= ' ') {
                throw ConsumerErrors.BAD_DURABLE_NAME.exception();
            }
        }
        if (SubjectBytes.hasInvalidUtf8(n)) {
            throw ConsumerErrors.BAD_DURABLE_NAME.exception(); // a directory name: it must be UTF-8
        }
    }

    static boolean validSubject(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        String[] t = s.split("\\.", -1);
        for (int i = 0; i < t.length; i++) {
            String tok = t[i];
            if (tok.isEmpty()) {
                return false;
            }
            for (int k = 0; k < tok.length(); k++) {
                if (tok.charAt(k) <= ' ') {
                    return false;
                }
            }
            if (tok.contains(">") && (!tok.equals(">") || i != t.length - 1)) {
                return false;
            }
            if (tok.contains("*") && !tok.equals("*")) {
                return false;
            }
        }
        return true;
    }

    /** True if some subject could match both filters. */
    static boolean overlap(String a, String b) {
        String[] x = a.split("\\.", -1);
        String[] y = b.split("\\.", -1);
        int n = Math.min(x.length, y.length);
        for (int i = 0; i < n; i++) {
            if (x[i].equals(">") || y[i].equals(">")) {
                return true;
            }
            if (!x[i].equals("*") && !y[i].equals("*") && !x[i].equals(y[i])) {
                return false;
            }
        }
        return x.length == y.length;
    }

    /**
     * nats-server's rules for updating an existing consumer: returns null if {@code next} may
     * replace this config, otherwise the reason (reported with err_code 10012).
     */
    public String updateProblem(ConsumerConfig next) {
        if (deliverPolicy != next.deliverPolicy) {
            return "deliver policy can not be updated";
        }
        if (optStartSeq != next.optStartSeq) {
            return "start sequence can not be updated";
        }
        if (!Objects.equals(optStartTime, next.optStartTime)) {
            return "start time can not be updated";
        }
        if (ackPolicy != next.ackPolicy) {
            return "ack policy can not be updated";
        }
        if (replayPolicy != next.replayPolicy) {
            return "replay policy can not be updated";
        }
        if (idleHeartbeat != next.idleHeartbeat) {
            return "heart beats can not be updated";
        }
        if (flowControl != next.flowControl) {
            return "flow control can not be updated";
        }
        if (maxWaiting != next.maxWaiting) {
            return "max waiting can not be updated";
        }
        if (isPush() && !next.isPush()) {
            return "can not update push consumer to pull based";
        }
        if (!isPush() && next.isPush()) {
            return "can not update pull consumer to push based";
        }
        if (!Objects.equals(durableName, next.durableName)) {
            return "can not update durable name";
        }
        if (numReplicas != next.numReplicas && next.numReplicas > 1) {
            return "replicas > 1 not supported in non-clustered mode";
        }
        if (memStorage != next.memStorage) {
            return "can not change mem_storage";
        }
        return null;
    }

    // ---------------------------------------------------------------- JSON out

    /** The config as nats-server prints it (zero values left out, its field order). */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        putStr(o, "durable_name", durableName);
        putStr(o, "name", name);
        putStr(o, "description", description);
        o.put("deliver_policy", deliverPolicy.json);
        if (optStartSeq > 0) {
            o.put("opt_start_seq", optStartSeq);
        }
        putStr(o, "opt_start_time", optStartTime);
        o.put("ack_policy", ackPolicy.json);
        if (ackWait > 0) {
            o.put("ack_wait", ackWait);
        }
        o.put("max_deliver", maxDeliver);
        if (!backoff.isEmpty()) {
            ArrayNode a = o.putArray("backoff");
            backoff.forEach(a::add);
        }
        putStr(o, "filter_subject", filterSubject);
        if (!filterSubjects.isEmpty()) {
            ArrayNode a = o.putArray("filter_subjects");
            filterSubjects.forEach(a::add);
        }
        o.put("replay_policy", replayPolicy.json);
        if (rateLimitBps > 0) {
            o.put("rate_limit_bps", rateLimitBps);
        }
        putStr(o, "sample_freq", sampleFreq);
        if (maxWaiting > 0) {
            o.put("max_waiting", maxWaiting);
        }
        if (maxAckPending != 0) {
            o.put("max_ack_pending", maxAckPending);
        }
        if (flowControl) {
            o.put("flow_control", true);
        }
        if (idleHeartbeat > 0) {
            o.put("idle_heartbeat", idleHeartbeat);
        }
        if (headersOnly) {
            o.put("headers_only", true);
        }
        if (maxBatch > 0) {
            o.put("max_batch", maxBatch);
        }
        if (maxExpires > 0) {
            o.put("max_expires", maxExpires);
        }
        if (maxBytes > 0) {
            o.put("max_bytes", maxBytes);
        }
        putStr(o, "deliver_subject", deliverSubject);
        putStr(o, "deliver_group", deliverGroup);
        if (inactiveThreshold > 0) {
            o.put("inactive_threshold", inactiveThreshold);
        }
        o.put("num_replicas", numReplicas);
        if (memStorage) {
            o.put("mem_storage", true);
        }
        if (!metadata.isEmpty()) {
            ObjectNode m = o.putObject("metadata");
            metadata.forEach(m::put);
        }
        return o;
    }

    private static void putStr(ObjectNode o, String k, String v) {
        if (v != null && !v.isEmpty()) {
            o.put(k, v);
        }
    }
}
