package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.store.Subjects;
import io.weft.store.SubjectBytes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A stream's configuration, as nats-server 2.10 reads and writes it ({@code StreamConfig} JSON).
 * {@link #parse} reads a request body (unknown fields ignored, wrong types are "invalid JSON" as in
 * Go); {@link #withDefaults} fills what nats-server fills; {@link #toJson} writes the fields in
 * nats-server's order with its omitempty rules. Durations are nanoseconds.
 */
public record StreamConfig(
        String name,
        String description,
        List<String> subjects,
        Retention retention,
        long maxConsumers,
        long maxMsgs,
        long maxBytes,
        long maxAge,
        long maxMsgsPerSubject,
        int maxMsgSize,
        boolean discardNew,
        boolean memoryStorage,
        int replicas,
        boolean noAck,
        String templateOwner,
        long duplicateWindow,
        JsonNode placement,
        JsonNode mirror,
        JsonNode sources,
        boolean compressS2,
        long firstSeq,
        SubjectTransform subjectTransform,
        RePublish republish,
        boolean allowDirect,
        boolean mirrorDirect,
        boolean discardNewPerSubject,
        boolean sealed,
        boolean denyDelete,
        boolean denyPurge,
        boolean allowRollup,
        long consumerInactiveThreshold,
        int consumerMaxAckPending,
        Map<String, String> metadata,
        boolean allowMsgTtl,
        long subjectDeleteMarkerTtl,
        boolean allowMsgCounter,
        boolean allowAtomic,
        boolean allowMsgSchedules,
        boolean allowBatched,
        boolean persistAsync) {

    /** nats-server's default duplicate window: two minutes. */
    public static final long DEFAULT_DUPLICATE_WINDOW = 120_000_000_000L;
    /** The smallest non-zero max_age and duplicate_window nats-server 2.15 accepts: 100 ms. */
    public static final long MIN_DURATION = 100_000_000L;
    /** nats-server's largest replica count. */
    public static final int MAX_REPLICAS = 5;

    public StreamConfig {
        subjects = subjects == null ? List.of() : List.copyOf(subjects);
        metadata = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(metadata));
        description = description == null ? "" : description;
        templateOwner = templateOwner == null ? "" : templateOwner;
        retention = retention == null ? Retention.LIMITS : retention;
    }

    /** {@code subject_transform}: rewrite matching incoming subjects before storing. */
    public record SubjectTransform(String src, String dest) {
    }

    /** {@code republish}: after storing, publish matching messages to {@code dest}. */
    public record RePublish(String src, String dest, boolean headersOnly) {
    }

    // ------------------------------------------------------------------ parsing

    /** nats-server 2.15's {@code StreamConfigRequest} as Go decodes it (what {@link #decodeProblem} checks). */
    public static final GoDecode.Struct SHAPE = shape();

    private static GoDecode.Struct shape() {
        Map<String, GoDecode.Shape> f = new java.util.LinkedHashMap<>();
        f.put("name", GoDecode.STRING);
        f.put("description", GoDecode.STRING);
        f.put("subjects", new GoDecode.Slice(GoDecode.STRING));
        f.put("retention", GoDecode.enumOf("server.RetentionPolicy", "limits", "interest", "workqueue"));
        f.put("max_consumers", GoDecode.INT);
        f.put("max_msgs", GoDecode.INT64);
        f.put("max_bytes", GoDecode.INT64);
        f.put("max_age", GoDecode.DURATION);
        f.put("max_msgs_per_subject", GoDecode.INT64);
        f.put("max_msg_size", GoDecode.INT32);
        f.put("discard", GoDecode.enumOf("server.DiscardPolicy", "old", "new"));
        f.put("storage", GoDecode.enumOf("server.StorageType", "file", "memory"));
        f.put("num_replicas", GoDecode.INT);
        f.put("no_ack", GoDecode.BOOL);
        f.put("duplicate_window", GoDecode.DURATION);
        f.put("placement", new GoDecode.Any("*server.Placement"));
        f.put("mirror", new GoDecode.Any("*server.StreamSource"));
        f.put("sources", new GoDecode.Any("[]*server.StreamSource"));
        f.put("compression", new GoDecode.Enum("server.StoreCompression", Set.of("\"s2\"", "\"none\""),
                "unknown compression algorithm"));
        f.put("first_seq", GoDecode.UINT64);
        f.put("subject_transform", new GoDecode.Struct("SubjectTransformConfig",
                Map.of("src", GoDecode.STRING, "dest", GoDecode.STRING)));
        f.put("republish", new GoDecode.Struct("RePublish",
                Map.of("src", GoDecode.STRING, "dest", GoDecode.STRING, "headers_only", GoDecode.BOOL)));
        for (String b : List.of("allow_direct", "mirror_direct", "discard_new_per_subject", "sealed", "deny_delete",
                "deny_purge", "allow_rollup_hdrs", "allow_msg_ttl", "allow_msg_counter", "allow_atomic",
                "allow_msg_schedules", "allow_batched", "pedantic")) {
            f.put(b, GoDecode.BOOL);
        }
        f.put("consumer_limits", new GoDecode.Struct("StreamConsumerLimits",
                Map.of("inactive_threshold", GoDecode.DURATION, "max_ack_pending", GoDecode.INT)));
        f.put("subject_delete_marker_ttl", GoDecode.DURATION);
        f.put("persist_mode", GoDecode.enumOf("server.PersistModeType", "", "default", "async"));
        f.put("metadata", new GoDecode.MapOf(GoDecode.STRING));
        return new GoDecode.Struct("StreamConfigRequest", f);
    }

    /**
     * Decodes a create or update body as nats-server 2.15 does: an empty body (or {@code null}) is
     * a zero config; a body Go cannot decode is "invalid JSON: " and Go's words (400/10025).
     */
    public static StreamConfig decode(byte[] body, com.fasterxml.jackson.databind.ObjectMapper mapper) throws JsApiException {
        String problem = GoDecode.problem(body, SHAPE);
        if (problem != null) {
            throw JsErrors.INVALID_JSON.withDetail(problem).exception();
        }
        JsonNode n;
        try {
            n = GoDecode.merged(body, mapper);
        } catch (java.io.IOException e) {
            throw JsErrors.INVALID_JSON.exception();
        }
        return parse(n);
    }

    /** Reads a request body. Throws "invalid JSON" (400/10025) for bad JSON or wrong field types. */
    public static StreamConfig parse(JsonNode n) throws JsApiException {
        if (n == null || !n.isObject()) {
            throw JsErrors.INVALID_JSON.exception();
        }
        SubjectTransform st = null;
        JsonNode stn = n.get("subject_transform");
        if (present(stn)) {
            obj(stn);
            st = new SubjectTransform(str(stn, "src"), str(stn, "dest"));
        }
        RePublish rp = null;
        JsonNode rpn = n.get("republish");
        if (present(rpn)) {
            obj(rpn);
            rp = new RePublish(str(rpn, "src"), str(rpn, "dest"), bool(rpn, "headers_only"));
        }
        long cInactive = 0;
        int cMaxAck = 0;
        JsonNode cl = n.get("consumer_limits");
        if (present(cl)) {
            obj(cl);
            cInactive = lng(cl, "inactive_threshold");
            cMaxAck = saturated(lng(cl, "max_ack_pending"));
        }
        Map<String, String> md = new TreeMap<>();
        JsonNode mdn = n.get("metadata");
        if (present(mdn)) {
            obj(mdn);
            for (Iterator<Map.Entry<String, JsonNode>> it = mdn.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual() && !e.getValue().isNull()) {
                    throw JsErrors.INVALID_JSON.exception();
                }
                md.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText());
            }
        }
        String retention = str(n, "retention");
        Retention ret;
        switch (retention) {
            case "", "limits" -> ret = Retention.LIMITS;
            case "interest" -> ret = Retention.INTEREST;
            case "workqueue" -> ret = Retention.WORKQUEUE;
            default -> throw JsErrors.INVALID_JSON.exception();
        }
        boolean discardNew = switch (str(n, "discard")) {
            case "", "old" -> false;
            case "new" -> true;
            default -> throw JsErrors.INVALID_JSON.exception();
        };
        boolean memory = switch (str(n, "storage")) {
            case "", "file" -> false;
            case "memory" -> true;
            default -> throw JsErrors.INVALID_JSON.exception();
        };
        boolean s2 = switch (str(n, "compression")) {
            case "", "none" -> false;
            case "s2" -> true;
            default -> throw JsErrors.INVALID_JSON.exception();
        };
        return new StreamConfig(str(n, "name"), str(n, "description"), strings(n, "subjects"), ret,
                lng(n, "max_consumers"), lng(n, "max_msgs"), lng(n, "max_bytes"), lng(n, "max_age"),
                lng(n, "max_msgs_per_subject"), integer(n, "max_msg_size"), discardNew, memory,
                saturated(lng(n, "num_replicas")), bool(n, "no_ack"), str(n, "template_owner"), lng(n, "duplicate_window"),
                raw(n, "placement"), raw(n, "mirror"), raw(n, "sources"), s2, unsigned(n, "first_seq"), st, rp,
                bool(n, "allow_direct"), bool(n, "mirror_direct"), bool(n, "discard_new_per_subject"),
                bool(n, "sealed"), bool(n, "deny_delete"), bool(n, "deny_purge"), bool(n, "allow_rollup_hdrs"),
                cInactive, cMaxAck, md, bool(n, "allow_msg_ttl"), lng(n, "subject_delete_marker_ttl"),
                bool(n, "allow_msg_counter"), bool(n, "allow_atomic"), bool(n, "allow_msg_schedules"),
                bool(n, "allow_batched"), "async".equals(str(n, "persist_mode")));
    }

    private static boolean present(JsonNode v) {
        return v != null && !v.isNull();
    }

    private static void obj(JsonNode v) throws JsApiException {
        if (!v.isObject()) {
            throw JsErrors.INVALID_JSON.exception();
        }
    }

    private static JsonNode raw(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (!present(v) || (v.isArray() && v.isEmpty())) {
            return null;
        }
        return v;
    }

    static String str(JsonNode n, String key) throws JsApiException {
        JsonNode v = n.get(key);
        if (!present(v)) {
            return "";
        }
        if (!v.isTextual()) {
            throw JsErrors.INVALID_JSON.exception();
        }
        return v.asText();
    }

    static boolean bool(JsonNode n, String key) throws JsApiException {
        JsonNode v = n.get(key);
        if (!present(v)) {
            return false;
        }
        if (!v.isBoolean()) {
            throw JsErrors.INVALID_JSON.exception();
        }
        return v.asBoolean();
    }

    static long lng(JsonNode n, String key) throws JsApiException {
        JsonNode v = n.get(key);
        if (!present(v)) {
            return 0;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw JsErrors.INVALID_JSON.exception();
        }
        return v.asLong();
    }

    static long unsigned(JsonNode n, String key) throws JsApiException {
        long l = lng(n, key);
        if (l < 0) {
            throw JsErrors.INVALID_JSON.exception();
        }
        return l;
    }

    /** A Go int read into a Java int: values beyond its range become its ends (checked against small limits only). */
    static int saturated(long l) {
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, l));
    }

    static int integer(JsonNode n, String key) throws JsApiException {
        long l = lng(n, key);
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw JsErrors.INVALID_JSON.exception();
        }
        return (int) l;
    }

    static List<String> strings(JsonNode n, String key) throws JsApiException {
        JsonNode v = n.get(key);
        if (!present(v)) {
            return List.of();
        }
        if (!v.isArray()) {
            throw JsErrors.INVALID_JSON.exception();
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw JsErrors.INVALID_JSON.exception();
            }
            out.add(e.asText());
        }
        return out;
    }

    // ------------------------------------------------------------------ defaults and validation

    /** The config with nats-server's defaults filled in (what replies and the meta file show). */
    public StreamConfig withDefaults() {
        List<String> subj = subjects;
        if (subj.isEmpty() && mirror == null && sources == null && !name.isEmpty()) {
            subj = List.of(name);
        }
        long dup = duplicateWindow;
        if (dup == 0) {
            // as nats-server: any non-zero max_age below the default window (even a negative one) is taken
            dup = maxAge != 0 && maxAge < DEFAULT_DUPLICATE_WINDOW ? maxAge : DEFAULT_DUPLICATE_WINDOW;
        }
        // sealing freezes the stream as nats-server does: no expiry, no removal, nothing new
        boolean seal = sealed;
        // as nats-server 2.15: 0 and anything below -1 mean "unlimited", stored as -1
        return new StreamConfig(name, description, subj, retention, unlimited(maxConsumers),
                unlimited(maxMsgs), unlimited(maxBytes), seal ? 0 : maxAge,
                unlimited(maxMsgsPerSubject), (int) unlimited(maxMsgSize), discardNew || seal,
                memoryStorage, replicas == 0 ? 1 : replicas, noAck, templateOwner, dup, placement, mirror, sources,
                compressS2, firstSeq, subjectTransform, republish, allowDirect, mirrorDirect, discardNewPerSubject,
                sealed, denyDelete || seal, (denyPurge && !(allowMsgSchedules && !allowRollup)) || seal,
                // as nats-server 2.15: message schedules switch on rollups (and purges) too
                (allowRollup || subjectDeleteMarkerTtl > 0 || allowMsgSchedules) && !seal,
                consumerInactiveThreshold,
                consumerMaxAckPending, withoutServerKeys(metadata),
                // as nats-server 2.15: subject delete markers switch on per-message TTL and rollups
                allowMsgTtl || subjectDeleteMarkerTtl > 0, subjectDeleteMarkerTtl, allowMsgCounter, allowAtomic,
                allowMsgSchedules, allowBatched, persistAsync);
    }

    /** A client's metadata without the {@code _nats.*} keys the server sets itself (ADR-44), as nats-server drops them. */
    private static Map<String, String> withoutServerKeys(Map<String, String> metadata) {
        if (metadata.keySet().stream().noneMatch(k -> k.startsWith("_nats."))) {
            return metadata;
        }
        Map<String, String> md = new TreeMap<>(metadata);
        md.keySet().removeIf(k -> k.startsWith("_nats."));
        return md;
    }

    private static long unlimited(long limit) {
        return limit == 0 || limit < -1 ? -1 : limit;
    }

    /** True if a stream name is acceptable (no path separators is checked separately, first). */
    public static boolean validName(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.' || c == '*' || c == '>' || c == '/' || c == '\\' || Character.isWhitespace(c)) {
                return false;
            }
        }
        // a name is a directory name: bytes that are not UTF-8 have no file name of their own
        return !SubjectBytes.hasInvalidUtf8(name);
    }

    static void checkName(String name) throws JsApiException {
        if (name != null && (name.indexOf('/') >= 0 || name.indexOf('\\') >= 0)) {
            throw JsErrors.STREAM_NAME_PATH_SEPARATORS.exception();
        }
        checkAssetName(name);
    }

    /** Subject spaces a stream may capture only with {@code no_ack} (its acks would answer them). */
    private static final List<String> API_NAMESPACES = List.of("$JS.>", "$JSC.>", "$NRG.>");

    /**
     * nats-server's refusal of an acking stream on the JetStream, Raft or system API subjects
     * ({@code $JS.EVENT.>} and {@code $SYS.ACCOUNT.>} stay allowed, as they were in older servers).
     */
    private static void checkApiNamespaces(String s) throws JsApiException {
        for (String ns : API_NAMESPACES) {
            if (Subjects.tokensOverlap(s, ns) && !Subjects.isSubsetMatch(s, "$JS.EVENT.>")) {
                throw JsErrors.invalidConfig("subjects that overlap with jetstream api require no-ack to be true");
            }
        }
        if (Subjects.tokensOverlap(s, "$SYS.>") && !Subjects.isSubsetMatch(s, "$SYS.ACCOUNT.>")) {
            throw JsErrors.invalidConfig("subjects that overlap with system api require no-ack to be true");
        }
    }

    /** nats-server 2.15's name rule inside its config check (path separators included, 10052). */
    static void checkAssetName(String name) throws JsApiException {
        if (!validName(name)) {
            throw JsErrors.invalidConfig("stream name is required and can not contain '.', '*', '>', '\\', '/'");
        }
        if (name.length() > 255) {
            throw JsErrors.invalidConfig("stream name is too long, maximum allowed is 255");
        }
    }

    /**
     * The checks nats-server makes on a defaulted config before create or update (not the ones that
     * need other streams), in nats-server 2.15's order. {@code maxPayload} (the server's
     * max_payload) is no longer compared with max_msg_size: 2.15 accepts any positive int32.
     */
    public void validate(long maxPayload) throws JsApiException {
        validate(maxPayload, false);
    }

    /**
     * As {@link #validate(long)}; {@code clustered}: the server is a member of a meta group, so
     * replicas above 1 (up to {@link #MAX_REPLICAS}) are allowed, as nats-server refuses them
     * (10074) only in single-server mode.
     */
    public void validate(long maxPayload, boolean clustered) throws JsApiException {
        checkAssetName(name);
        if (description.length() > 4096) {
            throw JsErrors.invalidConfig("stream description is too long, maximum allowed is 4096");
        }
        if (metadata.entrySet().stream().mapToInt(e -> e.getKey().length() + e.getValue().length()).sum() > 128 * 1024) {
            throw JsErrors.invalidConfig("stream metadata exceeds maximum size of 131072 bytes");
        }
        if (replicas > MAX_REPLICAS) {
            throw JsErrors.invalidConfig("maximum replicas is " + MAX_REPLICAS);
        }
        if (replicas < 0) {
            throw new JsApiError(400, 10133, "replicas count cannot be negative").exception();
        }
        checkDurations();
        if (allowRollup && denyPurge) {
            throw JsErrors.invalidConfig("roll-ups require the purge permission");
        }
        if (allowMsgCounter) {
            // as nats-server 2.12+ (ADR-49)
            if (discardNew) {
                throw JsErrors.invalidConfig("counter stream cannot use discard new");
            }
            if (allowMsgTtl) {
                throw JsErrors.invalidConfig("counter stream cannot use message TTLs");
            }
            if (allowMsgSchedules) {
                throw JsErrors.invalidConfig("counter stream cannot use message schedules");
            }
            if (retention != Retention.LIMITS) {
                throw JsErrors.invalidConfig("counter stream can only use limits retention");
            }
        }
        if (discardNewPerSubject) {
            if (!discardNew) {
                throw JsErrors.invalidConfig("discard new per subject requires discard new policy to be set");
            }
            if (maxMsgsPerSubject <= 0) {
                throw JsErrors.invalidConfig("discard new per subject requires max msgs per subject > 0");
            }
        }
        // nats-server 2.12+ rules for features weft refuses (below) come first, in nats-server's
        // order, so a config that breaks one gets nats-server's error; then weft refuses rather
        // than ignores what it does not implement
        if (allowMsgSchedules && discardNew) {
            throw JsErrors.invalidConfig("message scheduling cannot use discard new");
        }
        if (persistAsync) {
            if (memoryStorage) {
                throw JsErrors.invalidConfig("async persist mode is only supported on file storage");
            }
            if (replicas > 1) {
                throw JsErrors.invalidConfig("async persist mode is not supported on replicated streams");
            }
            if (allowAtomic) {
                throw JsErrors.invalidConfig("async persist mode is not supported with atomic batch publish");
            }
        }
        if (mirror != null) {
            // nats-server's mirror pre-checks, in its order
            if (firstSeq > 0) {
                throw JsErrors.MIRROR_WITH_FIRST_SEQ.exception();
            }
            if (!subjects.isEmpty()) {
                throw JsErrors.MIRROR_WITH_SUBJECTS.exception();
            }
            if (sources != null && sources.isArray() && !sources.isEmpty()) {
                throw JsErrors.MIRROR_WITH_SOURCES.exception();
            }
            if (allowMsgCounter) {
                throw JsErrors.MIRROR_WITH_COUNTERS.exception();
            }
            if (allowAtomic) {
                throw JsErrors.MIRROR_WITH_ATOMIC.exception();
            }
            if (allowBatched) {
                throw JsErrors.MIRROR_WITH_BATCH.exception();
            }
            if (allowMsgSchedules) {
                throw JsErrors.MIRROR_WITH_SCHEDULES.exception();
            }
        }
        if (mirror != null || sources != null) {
            throw JsErrors.invalidConfig("stream mirrors and sources are not supported by weft yet");
        }
        if (allowBatched) {
            throw JsErrors.invalidConfig("fast batch publish (allow_batched) is not supported by weft yet");
        }
        // nats-server's order, subject by subject: valid, not a duplicate of an earlier one, not
        // capturing everything, not in an API namespace, then not overlapping a later subject
        OverlapIndex.Pair clash = OverlapIndex.firstOverlappingPair(subjects);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < subjects.size(); i++) {
            String s = subjects.get(i);
            if (!Subjects.isValidSubject(s)) {
                throw JsErrors.invalidConfig("invalid subject");
            }
            if (!seen.add(s)) {
                throw JsErrors.invalidConfig("duplicate subjects detected");
            }
            if (s.equals(">")) {
                if (!noAck) {
                    throw JsErrors.invalidConfig("capturing all subjects requires no-ack to be true");
                }
                if (replicas != 1) {
                    throw JsErrors.invalidConfig("capturing all subjects requires replicas of 1");
                }
            }
            if (!noAck) {
                checkApiNamespaces(s);
            }
            if (clash != null && clash.first() == i) {
                throw JsErrors.invalidConfig("subject \"" + s + "\" overlaps with \""
                        + subjects.get(clash.second()) + "\"");
            }
        }
        if (subjectTransform != null) {
            String src = subjectTransform.src().isEmpty() ? ">" : subjectTransform.src();
            if (!Subjects.isValidSubject(src)) {
                throw JsErrors.STREAM_TRANSFORM_INVALID_SOURCE.with("invalid subject").exception();
            }
            if (subjectTransform.dest().isEmpty() || !Subjects.isValidSubject(subjectTransform.dest())) {
                throw JsErrors.STREAM_TRANSFORM_INVALID_DEST.with("invalid subject").exception();
            }
            if (SubjectTransformer.of(src, subjectTransform.dest()) == null) {
                throw JsErrors.STREAM_TRANSFORM_INVALID_DEST.with("invalid subject transform destination").exception();
            }
        }
        if (republish != null) {
            // descriptions as nats-server 2.9.10 words them
            String src = republish.src().isEmpty() ? ">" : republish.src();
            if (republish.dest().isEmpty() || !Subjects.isValidSubject(src) || !Subjects.isValidSubject(republish.dest())) {
                throw JsErrors.invalidConfig("stream configuration for republish not valid");
            }
            boolean subset = false;
            for (String s : subjects) {
                if (Subjects.tokensSubset(src, s) || Subjects.tokensSubset(s, src)) {
                    subset = true;
                }
                if (Subjects.tokensOverlap(republish.dest(), s)) {
                    throw JsErrors.invalidConfig("stream configuration for republish destination forms a cycle");
                }
            }
            if (!subset && !subjects.isEmpty()) {
                throw JsErrors.invalidConfig("stream configuration for republish source is not valid subset of subjects");
            }
            if (SubjectTransformer.of(src, republish.dest()) == null) {
                throw JsErrors.invalidConfig("stream configuration for republish with transform from '" + src
                        + "' to '" + republish.dest() + "' not valid");
            }
        }
        if (replicas > 1 && !clustered) {
            throw JsErrors.STREAM_REPLICAS_NOT_SUPPORTED.exception();
        }
    }

    /**
     * nats-server 2.15's checks of max_age and duplicate_window, in its order, on a defaulted
     * config. The 100 ms floors also bound how often the expiry and dedup-pruning timers can fire.
     */
    private void checkDurations() throws JsApiException {
        if (maxAge < 0) {
            throw JsErrors.invalidConfig("max age can not be negative");
        }
        if (maxAge != 0 && maxAge < MIN_DURATION) {
            throw JsErrors.invalidConfig("max age needs to be >= 100ms");
        }
        if (duplicateWindow < 0) {
            throw JsErrors.invalidConfig("duplicates window can not be negative");
        }
        if (maxAge != 0 && duplicateWindow > maxAge) {
            throw JsErrors.invalidConfig("duplicates window can not be larger then max age");
        }
        if (duplicateWindow > 0 && duplicateWindow < MIN_DURATION) {
            throw JsErrors.invalidConfig("duplicates window needs to be >= 100ms");
        }
        if (subjectDeleteMarkerTtl < 0) {
            throw JsErrors.invalidConfig("subject delete marker TTL must not be negative");
        }
        if (subjectDeleteMarkerTtl > 0 && subjectDeleteMarkerTtl < 1_000_000_000L) {
            throw JsErrors.invalidConfig("subject delete marker TTL must be at least 1 second");
        }
    }

    /** The editable-field rules of a stream update, checked on defaulted configs. */
    public void checkUpdate(StreamConfig old) throws JsApiException {
        if (memoryStorage != old.memoryStorage) {
            throw JsErrors.invalidConfig("stream configuration update can not change storage type");
        }
        // as nats-server 2.15: limits <-> interest may change, nothing to or from a work queue
        if (retention != old.retention && (retention == Retention.WORKQUEUE || old.retention == Retention.WORKQUEUE)) {
            throw JsErrors.invalidConfig("stream configuration update can not change retention policy to/from workqueue");
        }
        // max_consumers may change (nats-server 2.12.5+): consumers above a lowered limit stay, new ones are refused
        if (!java.util.Objects.equals(mirror, old.mirror)) {
            throw JsErrors.STREAM_MIRROR_NOT_UPDATABLE.exception();
        }
        if (old.sealed && !sealed) {
            throw JsErrors.invalidConfig("stream configuration update can not unseal a sealed stream");
        }
        if (old.denyDelete && !denyDelete) {
            throw JsErrors.invalidConfig("stream configuration update can not cancel deny message deletes");
        }
        if (old.denyPurge && !denyPurge) {
            throw JsErrors.invalidConfig("stream configuration update can not cancel deny purge");
        }
        if (!templateOwner.equals(old.templateOwner)) {
            throw JsErrors.invalidConfig("stream configuration update can not change template ownership");
        }
        // compression may change (as nats-server 2.15): every stored record says whether it is
        // compressed, so records of both kinds are read; the file store applies the new setting to
        // what it writes once it is next opened (see docs/jetstream-streams.md)
        if (old.allowMsgCounter != allowMsgCounter) {
            throw JsErrors.invalidConfig("stream configuration update can not change message counter setting");
        }
        if (old.allowMsgTtl && !allowMsgTtl) {
            throw JsErrors.invalidConfig("message TTL status can not be disabled");
        }
        if (old.allowMsgSchedules && !allowMsgSchedules) {
            throw JsErrors.invalidConfig("message schedules can not be disabled");
        }
        if (old.persistAsync != persistAsync) {
            throw JsErrors.invalidConfig("stream configuration update can not change persist mode");
        }
        if (firstSeq != old.firstSeq && firstSeq != 0) {
            throw JsErrors.invalidConfig("stream configuration update can not change first sequence");
        }
    }

    // ------------------------------------------------------------------ writing

    /** The config as nats-server 2.10 marshals it. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("name", name);
        if (!description.isEmpty()) {
            o.put("description", description);
        }
        if (!subjects.isEmpty()) {
            ArrayNode a = o.putArray("subjects");
            subjects.forEach(a::add);
        }
        o.put("retention", retention.json());
        o.put("max_consumers", maxConsumers);
        o.put("max_msgs", maxMsgs);
        o.put("max_bytes", maxBytes);
        o.put("max_age", maxAge);
        o.put("max_msgs_per_subject", maxMsgsPerSubject);
        if (maxMsgSize != 0) {
            o.put("max_msg_size", maxMsgSize);
        }
        o.put("discard", discardNew ? "new" : "old");
        o.put("storage", memoryStorage ? "memory" : "file");
        o.put("num_replicas", replicas);
        if (noAck) {
            o.put("no_ack", true);
        }
        if (!templateOwner.isEmpty()) {
            o.put("template_owner", templateOwner);
        }
        if (duplicateWindow != 0) {
            o.put("duplicate_window", duplicateWindow);
        }
        if (placement != null) {
            o.set("placement", placement);
        }
        if (mirror != null) {
            o.set("mirror", mirror);
        }
        if (sources != null) {
            o.set("sources", sources);
        }
        o.put("compression", compressS2 ? "s2" : "none");
        if (firstSeq != 0) {
            o.put("first_seq", firstSeq);
        }
        if (subjectTransform != null) {
            ObjectNode t = o.putObject("subject_transform");
            t.put("src", subjectTransform.src());
            t.put("dest", subjectTransform.dest());
        }
        if (republish != null) {
            ObjectNode r = o.putObject("republish");
            r.put("src", republish.src());
            r.put("dest", republish.dest());
            if (republish.headersOnly()) {
                r.put("headers_only", true);
            }
        }
        o.put("allow_direct", allowDirect);
        o.put("mirror_direct", mirrorDirect);
        if (discardNewPerSubject) {
            o.put("discard_new_per_subject", true);
        }
        o.put("sealed", sealed);
        o.put("deny_delete", denyDelete);
        o.put("deny_purge", denyPurge);
        o.put("allow_rollup_hdrs", allowRollup);
        ObjectNode cl = o.putObject("consumer_limits");
        if (consumerInactiveThreshold != 0) {
            cl.put("inactive_threshold", consumerInactiveThreshold);
        }
        if (consumerMaxAckPending != 0) {
            cl.put("max_ack_pending", consumerMaxAckPending);
        }
        o.put("allow_msg_ttl", allowMsgTtl); // no omitempty in nats-server 2.11+: false is written too
        if (subjectDeleteMarkerTtl != 0) {
            o.put("subject_delete_marker_ttl", subjectDeleteMarkerTtl);
        }
        if (allowMsgCounter) {
            o.put("allow_msg_counter", true);
        }
        if (allowAtomic) {
            o.put("allow_atomic", true);
        }
        if (allowMsgSchedules) {
            o.put("allow_msg_schedules", true);
        }
        if (persistAsync) {
            o.put("persist_mode", "async");
        }
        if (!metadata.isEmpty()) {
            ObjectNode m = o.putObject("metadata");
            metadata.forEach(m::put);
        }
        return o;
    }
}
