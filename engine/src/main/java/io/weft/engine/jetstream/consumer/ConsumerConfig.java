package io.weft.engine.jetstream.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.jetstream.GoDecode;
import io.weft.engine.json.GoJsonQuote;
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
        int numReplicas, boolean memStorage, Map<String, String> metadata, Priority priority) {

    public static final long DEFAULT_ACK_WAIT = 30_000_000_000L;
    public static final long DEFAULT_MAX_ACK_PENDING = 1000;
    public static final long DEFAULT_MAX_WAITING = 512;
    public static final long DEFAULT_EPHEMERAL_INACTIVE = 5_000_000_000L;
    public static final int MAX_NAME_LENGTH = 255;
    public static final int MAX_DESCRIPTION_LENGTH = 4096;
    public static final int MAX_METADATA_BYTES = 128 * 1024;
    /** The smallest idle heartbeat nats-server accepts: 100 ms. */
    public static final long MIN_HEARTBEAT = 100_000_000L;
    /** The smallest max_expires nats-server accepts: 1 ms. */
    public static final long MIN_MAX_EXPIRES = 1_000_000L;

    public ConsumerConfig {
        backoff = backoff == null ? List.of() : List.copyOf(backoff);
        filterSubjects = filterSubjects == null ? List.of() : List.copyOf(filterSubjects);
        metadata = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        deliverPolicy = deliverPolicy == null ? DeliverPolicy.ALL : deliverPolicy;
        ackPolicy = ackPolicy == null ? AckPolicy.NONE : ackPolicy;
        replayPolicy = replayPolicy == null ? ReplayPolicy.INSTANT : replayPolicy;
        priority = priority == null ? Priority.NONE : priority;
    }

    /** {@code priority_policy} (ADR-42). */
    public enum PriorityPolicy {
        NONE("none"), OVERFLOW("overflow"), PINNED_CLIENT("pinned_client"), PRIORITIZED("prioritized");

        final String json;

        PriorityPolicy(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }
    }

    /** nats-server's default {@code priority_timeout} of a pinned-client consumer: 2 minutes. */
    public static final long DEFAULT_PINNED_TTL = 120_000_000_000L;

    /** The priority groups of a pull consumer: {@code priority_groups}, {@code priority_policy}, {@code priority_timeout} (ns). */
    public record Priority(List<String> groups, PriorityPolicy policy, long pinnedTtl) {
        public static final Priority NONE = new Priority(List.of(), PriorityPolicy.NONE, 0);

        public Priority {
            groups = groups == null ? List.of() : java.util.Collections.unmodifiableList(new ArrayList<>(groups));
            policy = policy == null ? PriorityPolicy.NONE : policy;
        }

        /** True if the config uses any of it (such a consumer needs API level 1). */
        public boolean used() {
            return policy != PriorityPolicy.NONE || pinnedTtl != 0 || !groups.isEmpty();
        }
    }

    /** A priority group name as nats-server accepts it. */
    static boolean validGroupName(String g) {
        if (g == null || g.isEmpty() || g.length() > 16) {
            return false;
        }
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '/' || c == '_' || c == '=' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
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

    /** nats-server 2.15's {@code CreateConsumerRequest} as Go decodes it (strict: unknown fields refused). */
    public static final GoDecode.Struct REQUEST_SHAPE = requestShape();

    private static GoDecode.Struct requestShape() {
        Map<String, GoDecode.Shape> f = new LinkedHashMap<>();
        for (String k : List.of("durable_name", "name", "description", "filter_subject", "sample_freq",
                "deliver_subject", "deliver_group")) {
            f.put(k, GoDecode.STRING);
        }
        f.put("deliver_policy", GoDecode.enumOf("server.DeliverPolicy", "all", "undefined", "last", "new",
                "by_start_sequence", "by_start_time", "last_per_subject"));
        f.put("opt_start_seq", GoDecode.UINT64);
        f.put("opt_start_time", new GoDecode.Any("*time.Time"));
        f.put("ack_policy", GoDecode.enumOf("server.AckPolicy", "none", "all", "explicit", "flow_control"));
        f.put("replay_policy", GoDecode.enumOf("server.ReplayPolicy", "instant", "original"));
        for (String k : List.of("ack_wait", "max_expires", "idle_heartbeat", "inactive_threshold", "priority_timeout")) {
            f.put(k, GoDecode.DURATION);
        }
        for (String k : List.of("max_deliver", "max_waiting", "max_ack_pending", "max_batch", "max_bytes", "num_replicas")) {
            f.put(k, GoDecode.INT);
        }
        f.put("backoff", new GoDecode.Slice(GoDecode.DURATION));
        f.put("filter_subjects", new GoDecode.Slice(GoDecode.STRING));
        f.put("priority_groups", new GoDecode.Slice(GoDecode.STRING));
        f.put("rate_limit_bps", GoDecode.UINT64);
        for (String k : List.of("flow_control", "headers_only", "mem_storage", "direct", "sourcing")) {
            f.put(k, GoDecode.BOOL);
        }
        f.put("metadata", new GoDecode.MapOf(GoDecode.STRING));
        f.put("pause_until", new GoDecode.Any("*time.Time"));
        java.util.Set<String> priority = new java.util.HashSet<>();
        for (String v : List.of("none", "overflow", "pinned_client", "prioritized")) {
            priority.add("\"" + v + "\"");
        }
        f.put("priority_policy", new GoDecode.Enum("server.PriorityPolicy", priority, "unknown priority policy: %v"));
        Map<String, GoDecode.Shape> req = new LinkedHashMap<>();
        req.put("stream_name", GoDecode.STRING);
        req.put("config", new GoDecode.Struct("ConsumerConfig", f));
        req.put("action", new GoDecode.Enum("server.ConsumerAction", java.util.Set.of("\"create\"", "\"update\"", "\"\""),
                "unknown consumer action: %v"));
        req.put("pedantic", GoDecode.BOOL);
        return new GoDecode.Struct("CreateConsumerRequest", req);
    }

    /** Parses the {@code config} object of a create request; a type mismatch is a JSON error. */
    public static ConsumerConfig fromJson(JsonNode n) throws JsApiException {
        if (n == null || !n.isObject()) {
            throw ConsumerErrors.CONFIG_REQUIRED.exception();
        }
        if ("flow_control".equals(n.path("ack_policy").asText(null))) {
            // nats-server 2.14's flow-control acks (API level 4): refused, never taken for another policy
            throw ConsumerErrors.CREATE.with("ack_policy flow_control (nats-server 2.14, API level 4) is not supported by weft yet")
                    .exception();
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
                    deliver(str(n, "deliver_policy")), unsigned(n, "opt_start_seq"), str(n, "opt_start_time"),
                    ack(str(n, "ack_policy")), lng(n, "ack_wait"), lng(n, "max_deliver"), backoff,
                    str(n, "filter_subject"), filters,
                    replay(str(n, "replay_policy")), unsigned(n, "rate_limit_bps"), str(n, "sample_freq"),
                    lng(n, "max_waiting"), lng(n, "max_ack_pending"), bool(n, "flow_control"),
                    lng(n, "idle_heartbeat"), bool(n, "headers_only"), lng(n, "max_batch"),
                    lng(n, "max_expires"), lng(n, "max_bytes"), str(n, "deliver_subject"),
                    str(n, "deliver_group"), lng(n, "inactive_threshold"),
                    (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, lng(n, "num_replicas"))),
                    bool(n, "mem_storage"), md, priority(n));
        } catch (IllegalArgumentException e) {
            throw ConsumerErrors.INVALID_JSON.exception();
        }
    }

    private static Priority priority(JsonNode n) {
        List<String> groups = new ArrayList<>();
        JsonNode gn = n.get("priority_groups");
        if (gn != null && !gn.isNull()) {
            if (!gn.isArray()) {
                throw bad();
            }
            for (JsonNode g : gn) {
                groups.add(text(g));
            }
        }
        String p = str(n, "priority_policy");
        PriorityPolicy policy = PriorityPolicy.NONE;
        if (p != null) {
            boolean found = false;
            for (PriorityPolicy v : PriorityPolicy.values()) {
                if (v.json.equals(p)) {
                    policy = v;
                    found = true;
                }
            }
            if (!found) {
                throw bad();
            }
        }
        return new Priority(groups, policy, lng(n, "priority_timeout"));
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

    /** A Go uint64: what does not fit a long saturates (nats-server accepts up to 2^64-1). */
    private static long unsigned(JsonNode n, String f) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (v.isIntegralNumber() && !v.canConvertToLong() && v.bigIntegerValue().signum() > 0) {
            return Long.MAX_VALUE;
        }
        return integer(v);
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

    /**
     * Fills in what nats-server 2.15 fills in before it checks a config ({@code
     * setConsumerConfigDefaults}): negative limits become their "unset" value (-1 for max_deliver and
     * max_ack_pending, 0 for the rest), then the defaults: max_waiting 512 for pull, ack_wait 30 s
     * when acked (the first backoff value when there is a backoff), the stream's consumer limits,
     * max_ack_pending 1000 when acked. The ephemeral inactive threshold comes after the checks
     * ({@link #withEphemeralDefault}).
     */
    public ConsumerConfig withDefaults(long streamInactiveLimit, long streamMaxAckPendingLimit) {
        long md = maxDeliver == 0 || maxDeliver < -1 ? -1 : maxDeliver;
        long mw = Math.max(0, maxWaiting);
        long map = maxAckPending < -1 ? -1 : maxAckPending;
        long it = Math.max(0, inactiveThreshold);
        if (!isPush() && mw == 0) {
            mw = DEFAULT_MAX_WAITING;
        }
        long aw = ackWait;
        if (aw == 0 && ackPolicy != AckPolicy.NONE) {
            aw = DEFAULT_ACK_WAIT;
        }
        if (!backoff.isEmpty()) {
            aw = backoff.get(0);
        }
        if (map == 0) {
            map = streamMaxAckPendingLimit;
        }
        if (it == 0) {
            it = streamInactiveLimit;
        }
        if (map == 0 && ackPolicy != AckPolicy.NONE) {
            map = DEFAULT_MAX_ACK_PENDING;
        }
        String nm = name;
        if ((nm == null || nm.isEmpty()) && isDurable()) {
            nm = durableName;
        }
        return new ConsumerConfig(durableName, nm, description, deliverPolicy, optStartSeq, optStartTime,
                ackPolicy, aw, md, backoff, filterSubject, filterSubjects, replayPolicy, rateLimitBps,
                sampleFreq, mw, map, flowControl, Math.max(0, idleHeartbeat), headersOnly, Math.max(0, maxBatch),
                Math.max(0, maxExpires), Math.max(0, maxBytes), deliverSubject, deliverGroup, it, numReplicas,
                memStorage, metadata, priorityDefaults());
    }

    /** A negative priority_timeout is unset; a pinned-client consumer without one gets 2 minutes (nats-server). */
    private Priority priorityDefaults() {
        long ttl = Math.max(0, priority.pinnedTtl());
        if (priority.policy() == PriorityPolicy.PINNED_CLIENT && ttl == 0) {
            ttl = DEFAULT_PINNED_TTL;
        }
        return new Priority(priority.groups(), priority.policy(), ttl);
    }

    /** An ephemeral consumer without a positive inactive threshold gets nats-server's 5 s. */
    public ConsumerConfig withEphemeralDefault() {
        if (isDurable() || inactiveThreshold > 0) {
            return this;
        }
        return new ConsumerConfig(durableName, name, description, deliverPolicy, optStartSeq, optStartTime,
                ackPolicy, ackWait, maxDeliver, backoff, filterSubject, filterSubjects, replayPolicy, rateLimitBps,
                sampleFreq, maxWaiting, maxAckPending, flowControl, idleHeartbeat, headersOnly, maxBatch, maxExpires,
                maxBytes, deliverSubject, deliverGroup, DEFAULT_EPHEMERAL_INACTIVE, numReplicas, memStorage, metadata,
                priority);
    }

    /** The same config under another (generated) name. */
    public ConsumerConfig named(String newName) {
        return new ConsumerConfig(durableName, newName, description, deliverPolicy, optStartSeq, optStartTime,
                ackPolicy, ackWait, maxDeliver, backoff, filterSubject, filterSubjects, replayPolicy, rateLimitBps,
                sampleFreq, maxWaiting, maxAckPending, flowControl, idleHeartbeat, headersOnly, maxBatch, maxExpires,
                maxBytes, deliverSubject, deliverGroup, inactiveThreshold, numReplicas, memStorage, metadata,
                priority);
    }

    /** The start time in epoch nanoseconds; only meaningful when {@code optStartTime} is set. */
    public long optStartTimeNanos() {
        if (optStartTime == null) {
            return 0;
        }
        Instant t = Instant.parse(optStartTime);
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    /**
     * nats-server 2.15's checks of a consumer config ({@code checkConsumerCfg}, then the work-queue
     * rules), in its order, on a config that went through {@link #withDefaults}.
     */
    public void validate(Retention retention, long inactiveLimit, int maxAckPendingLimit) throws JsApiException {
        checkName(durableName);
        checkName(name);
        if (numReplicas > 1) {
            throw ConsumerErrors.REPLICAS_NOT_SUPPORTED.exception();
        }
        if (numReplicas < 0) {
            throw ConsumerErrors.REPLICAS_NEGATIVE.exception();
        }
        checkTimes();
        if (description != null && description.length() > MAX_DESCRIPTION_LENGTH) {
            throw ConsumerErrors.DESCRIPTION_TOO_LONG.with(MAX_DESCRIPTION_LENGTH).exception();
        }
        if (isPush()) {
            checkPush();
        } else {
            checkPull(retention);
        }
        if (maxAckPendingLimit > 0 && maxAckPending > maxAckPendingLimit) {
            throw ConsumerErrors.MAX_PENDING_ACK_EXCESS.with(maxAckPendingLimit).exception();
        }
        if (inactiveLimit > 0 && inactiveThreshold > inactiveLimit) {
            throw ConsumerErrors.INACTIVE_THRESHOLD_EXCESS.with(GoDuration.format(inactiveLimit)).exception();
        }
        checkFilters();
        checkDeliverPolicy();
        if (sampleFreq != null) {
            String problem = sampleProblem(sampleFreq);
            if (problem != null) {
                throw ConsumerErrors.INVALID_SAMPLING.with(problem).exception();
            }
        }
        if (flowControl && idleHeartbeat == 0) {
            throw ConsumerErrors.FC_NEEDS_HEARTBEATS.exception();
        }
        if (durableName != null && name != null && !durableName.equals(name)) {
            throw ConsumerErrors.DURABLE_AND_NAME_MISMATCH.exception();
        }
        int mdBytes = 0;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            mdBytes += e.getKey().length() + e.getValue().length();
        }
        if (mdBytes > MAX_METADATA_BYTES) {
            throw ConsumerErrors.METADATA_LENGTH.with(MAX_METADATA_BYTES / 1024 + "KB").exception();
        }
        checkPriority();
        if (retention == Retention.WORKQUEUE) {
            if (ackPolicy != AckPolicy.EXPLICIT) {
                throw ConsumerErrors.WQ_REQUIRES_EXPLICIT_ACK.exception();
            }
            if (deliverPolicy != DeliverPolicy.ALL) {
                throw ConsumerErrors.WQ_NOT_DELIVER_ALL.exception();
            }
        }
    }

    /** nats-server's priority group rules, in its order. */
    private void checkPriority() throws JsApiException {
        if (priority.policy() != PriorityPolicy.NONE) {
            if (isPush()) {
                throw ConsumerErrors.PUSH_WITH_PRIORITY_GROUP.exception();
            }
            if (priority.groups().isEmpty()) {
                throw ConsumerErrors.PRIORITY_POLICY_WITHOUT_GROUP.exception();
            }
            for (String g : priority.groups()) {
                if (g.isEmpty()) {
                    throw ConsumerErrors.EMPTY_GROUP_NAME.exception();
                }
                if (!validGroupName(g)) {
                    throw ConsumerErrors.INVALID_GROUP_NAME.exception();
                }
            }
        } else {
            if (!priority.groups().isEmpty()) {
                throw ConsumerErrors.PRIORITY_GROUP_WITH_POLICY_NONE.exception();
            }
            if (priority.pinnedTtl() > 0) {
                throw ConsumerErrors.PINNED_TTL_WITHOUT_POLICY.exception();
            }
        }
    }

    /** Negative ack waits and backoffs are refused (zero is "unset"); a backoff must fit in max_deliver. */
    private void checkTimes() throws JsApiException {
        for (long b : backoff) {
            if (b < 0) {
                throw ConsumerErrors.BACKOFF_NEGATIVE.exception();
            }
        }
        if (ackWait < 0) {
            throw ConsumerErrors.ACK_WAIT_NEGATIVE.exception();
        }
        if (!backoff.isEmpty() && maxDeliver != -1 && backoff.size() > maxDeliver) {
            throw ConsumerErrors.MAX_DELIVER_BACKOFF.exception();
        }
    }

    private void checkPush() throws JsApiException {
        String ds = deliverSubject;
        if (ds.contains("*") || ds.contains(">")) {
            throw ConsumerErrors.DELIVER_TO_WILDCARDS.exception();
        }
        if (!validSubject(ds)) {
            throw ConsumerErrors.INVALID_DELIVER_SUBJECT.exception();
        }
        if (maxWaiting != 0) {
            throw ConsumerErrors.PUSH_MAX_WAITING.exception();
        }
        if (maxAckPending > 0 && ackPolicy == AckPolicy.NONE) {
            throw ConsumerErrors.MAX_PENDING_ACK_POLICY.exception();
        }
        if (idleHeartbeat > 0 && idleHeartbeat < MIN_HEARTBEAT) {
            throw ConsumerErrors.SMALL_HEARTBEAT.exception();
        }
    }

    private void checkPull(Retention retention) throws JsApiException {
        if (ackPolicy == AckPolicy.NONE && retention == Retention.WORKQUEUE) {
            throw ConsumerErrors.PULL_REQUIRES_ACK.exception();
        }
        if (rateLimitBps > 0) {
            throw ConsumerErrors.PULL_WITH_RATE_LIMIT.exception();
        }
        if (maxWaiting < 0) {
            throw ConsumerErrors.MAX_WAITING_NEGATIVE.exception();
        }
        if (idleHeartbeat > 0) {
            throw ConsumerErrors.HB_REQUIRES_PUSH.exception();
        }
        if (flowControl) {
            throw ConsumerErrors.FC_REQUIRES_PUSH.exception();
        }
        if (maxBatch < 0) {
            throw ConsumerErrors.MAX_REQUEST_BATCH_NEGATIVE.exception();
        }
        if (maxExpires != 0 && maxExpires < MIN_MAX_EXPIRES) {
            throw ConsumerErrors.MAX_REQUEST_EXPIRES_TOO_SMALL.exception();
        }
    }

    private void checkFilters() throws JsApiException {
        if (filterSubject != null && !filterSubjects.isEmpty()) {
            throw ConsumerErrors.DUPLICATE_FILTERS.exception();
        }
        if (filterSubject != null && !validSubject(filterSubject)) {
            throw ConsumerErrors.BAD_FILTER_SUBJECT.exception();
        }
        for (String f : filterSubjects) {
            if (f == null || f.isEmpty()) {
                throw ConsumerErrors.EMPTY_FILTER.exception();
            }
        }
        List<String> fs = filters();
        for (String f : fs) {
            if (!validSubject(f)) {
                throw ConsumerErrors.BAD_FILTER_SUBJECT.exception();
            }
        }
        // overlap() is Subjects.tokensOverlap's rule; the indexed scan is not quadratic in the filters
        if (io.weft.engine.jetstream.OverlapIndex.firstOverlappingPair(fs) != null) {
            throw ConsumerErrors.OVERLAPPING_FILTERS.exception();
        }
    }

    /**
     * nats-server's reading of sample_freq: a trailing '%' dropped, then Go's {@code strconv.Atoi};
     * its error text, "&lt;nil&gt;" for a negative number (nats-server prints the nil error), else null.
     */
    static String sampleProblem(String freq) {
        String s = freq.endsWith("%") ? freq.substring(0, freq.length() - 1) : freq;
        String digits = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return "strconv.Atoi: parsing " + GoJsonQuote.go(s) + ": invalid syntax";
        }
        try {
            long v = Long.parseLong(s);
            return v < 0 ? "<nil>" : null;
        } catch (NumberFormatException e) {
            return "strconv.Atoi: parsing " + GoJsonQuote.go(s) + ": value out of range";
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
        }
        if (deliverPolicy == DeliverPolicy.LAST_PER_SUBJECT && filters().isEmpty()) {
            throw policy("consumer delivery policy is deliver last per subject, but optional filter subject is not set");
        }
        switch (deliverPolicy) {
            case ALL, LAST, NEW, LAST_PER_SUBJECT -> {
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
        // nats-server 2.15's order (checkNewConsumerConfig)
        if (deliverPolicy != next.deliverPolicy) {
            return "deliver policy can not be updated";
        }
        if (memStorage != next.memStorage) {
            return "storage type can not be updated";
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
        if (!isPush() && next.isPush()) {
            return "can not update pull consumer to push based";
        }
        if (isPush() && !next.isPush()) {
            return "can not update push consumer to pull based";
        }
        if (maxWaiting != next.maxWaiting) {
            return "max waiting can not be updated";
        }
        if (!Objects.equals(durableName, next.durableName)) {
            return "can not update durable name";
        }
        if (numReplicas != next.numReplicas && next.numReplicas > 1) {
            return "replicas > 1 not supported in non-clustered mode";
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
        if (!priority.groups().isEmpty()) {
            ArrayNode a = o.putArray("priority_groups");
            priority.groups().forEach(a::add);
        }
        if (priority.policy() != PriorityPolicy.NONE) {
            o.put("priority_policy", priority.policy().json);
        }
        if (priority.pinnedTtl() > 0) {
            o.put("priority_timeout", priority.pinnedTtl());
        }
        return o;
    }

    private static void putStr(ObjectNode o, String k, String v) {
        if (v != null && !v.isEmpty()) {
            o.put(k, v);
        }
    }
}
