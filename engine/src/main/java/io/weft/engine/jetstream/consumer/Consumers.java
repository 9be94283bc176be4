package io.weft.engine.jetstream.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.jetstream.ApiReply;
import io.weft.engine.jetstream.ConsumerManager;
import io.weft.engine.jetstream.ConsumerSource;
import io.weft.engine.jetstream.GoDecode;
import io.weft.engine.jetstream.JsApiException;
import io.weft.engine.jetstream.JsIds;
import io.weft.engine.jetstream.StreamConsumer;
import io.weft.engine.json.GoJson;
import io.weft.engine.server.Account;
import io.weft.net.Disk;
import io.weft.store.SubjectBytes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The consumer side of JetStream: answers every {@code $JS.API.CONSUMER.*} request, creates,
 * updates and deletes {@link Consumer}s (registering them with their stream), and recreates the
 * durable consumers of file streams at start-up.
 */
public final class Consumers implements ConsumerManager {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final GoJson JSON = new GoJson();
    static final String PREFIX = "$JS.API.CONSUMER.";
    static final int NAMES_LIMIT = 1024;
    static final int LIST_LIMIT = 256;

    public Consumers() {
    }

    // ------------------------------------------------------------------ API

    @Override
    public ApiReply api(String subject, String reply, byte[] body, Function<String, ConsumerSource> streams,
                        Account account) {
        return api(subject, reply, body, streams, account, false);
    }

    /** nats-server's check of a request's required API level, right after its subject is matched. */
    private static void level(boolean levelNotMet) throws JsApiException {
        if (levelNotMet) {
            throw io.weft.engine.jetstream.JsErrors.REQUIRED_API_LEVEL.exception();
        }
    }

    @Override
    public ApiReply api(String subject, String reply, byte[] body, Function<String, ConsumerSource> streams,
                        Account account, boolean levelNotMet) {
        if (!subject.startsWith(PREFIX)) {
            return ApiReply.error("io.nats.jetstream.api.v1.consumer_create_response", ConsumerErrors.BAD_REQUEST);
        }
        String[] t = subject.substring(PREFIX.length()).split("\\.");
        String op = t[0];
        String type = "io.nats.jetstream.api.v1.consumer_create_response";
        try {
            switch (op) {
                case "CREATE" -> {
                    if (t.length < 2) {
                        throw new NoReply();
                    }
                    level(levelNotMet);
                    String name = t.length >= 3 ? t[2] : null;
                    String filter = t.length >= 4 ? String.join(".", java.util.Arrays.copyOfRange(t, 3, t.length)) : null;
                    JsonNode req = createRequest(body, t[1]);
                    return ApiReply.ok(create(stream(streams, t[1]), req, name, filter, false));
                }
                case "DURABLE" -> {
                    if (t.length != 4 || !t[1].equals("CREATE")) {
                        throw new NoReply();
                    }
                    level(levelNotMet);
                    JsonNode req = createRequest(body, t[2]);
                    return ApiReply.ok(create(stream(streams, t[2]), req, t[3], null, true));
                }
                case "INFO" -> {
                    type = "io.nats.jetstream.api.v1.consumer_info_response";
                    need(t, 3);
                    level(levelNotMet);
                    return ApiReply.ok(find(stream(streams, t[1]), t[2]).info(type));
                }
                case "DELETE" -> {
                    type = "io.nats.jetstream.api.v1.consumer_delete_response";
                    need(t, 3);
                    level(levelNotMet);
                    ConsumerSource s = stream(streams, t[1]);
                    delete(s, find(s, t[2]));
                    ObjectNode o = JsonNodeFactory.instance.objectNode();
                    o.put("type", type);
                    o.put("success", true);
                    return ApiReply.ok(o);
                }
                case "NAMES", "LIST" -> {
                    type = op.equals("NAMES") ? "io.nats.jetstream.api.v1.consumer_names_response"
                            : "io.nats.jetstream.api.v1.consumer_list_response";
                    need(t, 2);
                    try {
                        level(levelNotMet);
                        // nats-server decodes the body before it looks the stream up
                        int off = offset(body);
                        ConsumerSource s = stream(streams, t[1]);
                        return ApiReply.ok(op.equals("NAMES") ? names(s, off, type) : list(s, off, type));
                    } catch (JsApiException e) {
                        return ApiReply.pagedError(type, e.error(), "consumers", ApiReply.EmptyList.EMPTY);
                    }
                }
                case "PAUSE" -> {
                    need(t, 3);
                    return pause(streams, t[1], t[2], body, levelNotMet);
                }
                case "RESET" -> {
                    need(t, 3);
                    return reset(streams, t[1], t[2], subject, reply, body, account, levelNotMet);
                }
                case "UNPIN" -> {
                    type = UNPIN_TYPE;
                    need(t, 3);
                    level(levelNotMet);
                    return unpin(streams, t[1], t[2], body);
                }
                case "LEADER" -> {
                    type = "io.nats.jetstream.api.v1.consumer_leader_stepdown_response";
                    if (t.length != 4 || !t[1].equals("STEPDOWN")) {
                        throw new NoReply();
                    }
                    // a server that is not clustered says so whatever the names (nats-server 2.15);
                    // a clustered one's JsApi answers before this (the stream group's leader steps down)
                    throw ConsumerErrors.CLUSTER_REQUIRED.exception();
                }
                case "MSG" -> {
                    if (t.length != 4 || !t[1].equals("NEXT")) {
                        throw new NoReply();
                    }
                    ConsumerSource s = streams.apply(t[2]);
                    StreamConsumer sc = s == null ? null : s.consumer(t[3]);
                    if (!(sc instanceof Consumer c) || c.isStopped()) {
                        // nats-server has no subscription for a consumer it does not know: the request
                        // has no responders, so a client that asked for them gets the 503 at once
                        Account acc = account != null ? account : s != null ? s.account() : null;
                        if (acc != null) {
                            acc.answerNoResponders(subject, reply);
                        }
                        return null;
                    }
                    c.pull(reply, Consumer.PullRequestSpec.parse(body == null ? "" : new String(body, StandardCharsets.UTF_8)),
                            levelNotMet);
                    return null;
                }
                default -> throw new NoReply();
            }
        } catch (JsApiException e) {
            return ApiReply.error(type, e.error());
        } catch (NoReply e) {
            return null;
        } catch (RuntimeException e) {
            return ApiReply.error(type, ConsumerErrors.CREATE.with(String.valueOf(e.getMessage())));
        }
    }

    /** nats-server has no subscription for a malformed API subject: such requests get no reply. */
    private static final class NoReply extends RuntimeException {
        NoReply() {
            super(null, null, false, false);
        }
    }

    private static void need(String[] t, int n) {
        if (t.length != n) {
            throw new NoReply();
        }
    }

    private static ConsumerSource stream(Function<String, ConsumerSource> streams, String name) throws JsApiException {
        ConsumerSource s = streams.apply(name);
        if (s == null) {
            throw ConsumerErrors.STREAM_NOT_FOUND.exception();
        }
        return s;
    }

    private static Consumer find(ConsumerSource s, String name) throws JsApiException {
        StreamConsumer sc = s.consumer(name);
        if (sc instanceof Consumer c && !c.isStopped()) {
            return c;
        }
        throw ConsumerErrors.NOT_FOUND.exception();
    }

    private static JsonNode parseBody(byte[] body) throws JsApiException {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            JsonNode n = MAPPER.readTree(SubjectBytes.decode(body)); // as JetStream.readJson
            if (n != null && !n.isObject() && !n.isMissingNode()) {
                throw ConsumerErrors.INVALID_JSON.exception();
            }
            return n == null || n.isMissingNode() ? null : n;
        } catch (IOException e) {
            throw ConsumerErrors.INVALID_JSON.exception();
        }
    }

    // ------------------------------------------------------------------ create / update

    /**
     * Decodes a create request in nats-server's order: the body must be a JSON object whose config (if
     * any) is an object, and its stream_name must equal the stream in the subject (a missing one does
     * not); only then is the stream looked up.
     */
    static JsonNode createRequest(byte[] body, String subjectStream) throws JsApiException {
        byte[] b = body == null ? new byte[0] : body;
        String problem = GoDecode.problem(b, ConsumerConfig.REQUEST_SHAPE);
        if (problem != null) {
            throw ConsumerErrors.INVALID_JSON.withDetail(problem).exception();
        }
        // an empty body or null is a zero request (Go decodes nothing into it)
        JsonNode req;
        try {
            req = GoDecode.merged(b, MAPPER);
        } catch (IOException e) {
            throw ConsumerErrors.INVALID_JSON.exception();
        }
        try {
            PauseTime.decode(req.path("config").get("pause_until"), "ConsumerConfig", "pause_until");
        } catch (PauseTime.Invalid e) {
            throw ConsumerErrors.INVALID_JSON.withDetail(e.getMessage()).exception();
        }
        JsonNode sn = req.get("stream_name");
        if (sn == null || sn.isNull() || !sn.asText().equals(subjectStream)) {
            throw ConsumerErrors.STREAM_MISMATCH.exception();
        }
        return req;
    }

    /** Creates or updates a consumer as {@code $JS.API.CONSUMER.(DURABLE.)CREATE} does. */
    ObjectNode create(ConsumerSource stream, JsonNode req, String subjectName, String subjectFilter, boolean durableApi)
            throws JsApiException {
        JsonNode cn = req.get("config");
        if (cn == null || cn.isNull()) {
            // nats-server decodes the request into a zero config: a missing config is an empty one
            cn = JsonNodeFactory.instance.objectNode();
        }
        String action = req.path("action").asText("");
        io.weft.engine.jetstream.ApiLevel.stripReserved(cn); // the server's own keys; it sets them itself
        ConsumerConfig cfg = ConsumerConfig.fromJson(cn);
        if (cfg.durableName() != null && cfg.name() != null && !cfg.durableName().equals(cfg.name())) {
            throw ConsumerErrors.DURABLE_AND_NAME_MISMATCH.exception();
        }
        if (durableApi) {
            if (cfg.durableName() == null) {
                throw ConsumerErrors.DURABLE_NOT_SET.exception();
            }
            if (!cfg.durableName().equals(subjectName)) {
                throw ConsumerErrors.DURABLE_NOT_MATCH_SUBJECT.exception();
            }
        } else if (subjectName != null) {
            if (cfg.durableName() != null && !cfg.durableName().equals(subjectName)) {
                throw ConsumerErrors.DURABLE_NOT_MATCH_SUBJECT.exception();
            }
            if (cfg.name() != null && !cfg.name().equals(subjectName)) {
                throw ConsumerErrors.DURABLE_NOT_MATCH_SUBJECT.exception();
            }
            if (subjectFilter != null) {
                if (!cfg.filterSubjects().isEmpty()) {
                    throw ConsumerErrors.MULTIPLE_FILTERS_NOT_ALLOWED.exception();
                }
                // as nats-server 2.15: the config must name the same filter (a config without one
                // does not match either; it must not silently become an unfiltered consumer)
                if (!subjectFilter.equals(cfg.filterSubject())) {
                    throw ConsumerErrors.CREATE_FILTER_MISMATCH.exception();
                }
            }
            cfg = cfg.named(subjectName);
        } else if (cfg.durableName() != null) {
            throw ConsumerErrors.EPHEMERAL_WITH_DURABLE.exception();
        }
        // as nats-server 2.15: defaults (negative limits normalised) first, then the checks
        cfg = cfg.withDefaults(stream.consumerLimitInactiveThresholdNanos(), stream.consumerLimitMaxAckPending());
        cfg.validate(stream.retention(), stream.consumerLimitInactiveThresholdNanos(), stream.consumerLimitMaxAckPending());
        checkAgainstStreamSubjects(cfg, stream.subjects());
        // nats-server 2.15 compares an "action: create" request with the existing config before the
        // ephemeral inactive-threshold default is applied: re-creating an ephemeral that got that
        // default is a different config (10148), while a durable with the same config is fine.
        ConsumerConfig requested = cfg;
        cfg = cfg.withEphemeralDefault();

        String name = cfg.name();
        if (name != null) {
            StreamConsumer existing = stream.consumer(name);
            if (existing instanceof Consumer ex && !ex.isStopped()) {
                ConsumerConfig old;
                ex.lock.lock();
                try {
                    old = ex.cfg;
                } finally {
                    ex.lock.unlock();
                }
                // nats-server keeps a consumer's pause_until over an update (the request's is not
                // applied) and advises the pause state when either names one
                boolean advisePause = ex.pauseUntil() != null || cn.hasNonNull("pause_until");
                if (action.equals("create") && !old.toJson().equals(requested.toJson())) {
                    throw ConsumerErrors.ALREADY_EXISTS.exception();
                }
                if (action.equals("create") || old.toJson().equals(cfg.toJson())) {
                    if (advisePause) {
                        ex.publish(List.of(ex.pauseAdvisoryNow()));
                    }
                    return ex.info("io.nats.jetstream.api.v1.consumer_create_response");
                }
                String problem = old.updateProblem(cfg);
                if (problem != null) {
                    throw ConsumerErrors.CREATE.with(problem).exception();
                }
                ex.update(cfg);
                ConsumerPersistence p = persistenceFor(stream, cfg, name);
                if (p != null) {
                    try {
                        p.writeMeta(cfg, ex.createdNanos, ex.pauseUntil());
                    } catch (IOException e) {
                        throw ConsumerErrors.STORE_FAILED.with(e.getMessage()).exception();
                    }
                }
                if (advisePause) {
                    ex.publish(List.of(ex.pauseAdvisoryNow()));
                }
                return ex.info("io.nats.jetstream.api.v1.consumer_create_response");
            }
        }
        if (action.equals("update")) {
            throw ConsumerErrors.DOES_NOT_EXIST.exception();
        }
        if (name == null) {
            do {
                name = randomName(stream, 8);
            } while (stream.consumer(name) != null);
            cfg = cfg.named(name);
        }
        long created = stream.env().clock().currentTimeMillis() * 1_000_000L;
        ConsumerPersistence p = persistenceFor(stream, cfg, name);
        Consumer c = new Consumer(this, stream, cfg, created, p);
        PauseTime pause;
        try {
            pause = PauseTime.decode(cn.get("pause_until"), "ConsumerConfig", "pause_until");
        } catch (PauseTime.Invalid e) {
            throw ConsumerErrors.INVALID_JSON.withDetail(e.getMessage()).exception();
        }
        Outbound pauseAdvisory = c.setPause(pause);
        try {
            c.initPosition();
        } catch (IOException e) {
            throw ConsumerErrors.CREATE.with(e.getMessage()).exception();
        }
        stream.attach(c, cfg.filters().toArray(new String[0]));
        if (p != null) {
            try {
                p.writeMeta(cfg, created, pause);
                c.persistState();
            } catch (IOException e) {
                stream.detach(c);
                throw ConsumerErrors.STORE_FAILED.with(e.getMessage()).exception();
            }
        }
        c.start();
        actionAdvisory(c, "CREATED", "create");
        if (c.isPaused()) {
            c.publish(List.of(pauseAdvisory)); // after CREATED, as nats-server
        }
        return c.info("io.nats.jetstream.api.v1.consumer_create_response");
    }

    /**
     * A deliver subject the stream would capture forms a cycle. Filters are not checked against the
     * stream's subjects: nats-server 2.15 accepts a filter that matches none of them (the consumer
     * simply sees nothing until the stream's subjects change).
     */
    static void checkAgainstStreamSubjects(ConsumerConfig cfg, List<String> subjects) throws JsApiException {
        if (subjects == null || subjects.isEmpty() || !cfg.isPush()) {
            return;
        }
        for (String s : subjects) {
            if (io.weft.store.Subjects.matchesFilter(s, cfg.deliverSubject())) {
                throw ConsumerErrors.DELIVER_CYCLE.exception();
            }
        }
    }

    private static ConsumerPersistence persistenceFor(ConsumerSource stream, ConsumerConfig cfg, String name) {
        io.weft.engine.jetstream.ConsumerRecords records = stream.consumerRecords();
        if (records != null) {
            // a replicated stream: durable consumers live in its log whatever the storage (the log is on disk)
            return cfg.isDurable() ? new ConsumerPersistence(records, name) : null;
        }
        if (!cfg.isDurable() || stream.memoryStorage() || cfg.memStorage()) {
            return null;
        }
        String dir = stream.consumerDir(name);
        return dir == null ? null : new ConsumerPersistence(stream.env().disk(), dir);
    }

    // ------------------------------------------------------------------ pause

    static final String PAUSE_TYPE = "io.nats.jetstream.api.v1.consumer_pause_response";
    static final GoDecode.Struct PAUSE_SHAPE = new GoDecode.Struct("JSApiConsumerPauseRequest",
            java.util.Map.of("pause_until", new GoDecode.Any("*time.Time")));

    /**
     * {@code $JS.API.CONSUMER.PAUSE.<stream>.<consumer>} with {@code {"pause_until": RFC 3339}}:
     * pauses delivery until then (a time already passed, or an empty body, null or Go's zero time:
     * resumes). The reply is {@code {type, paused, pause_until (UTC), pause_remaining}} as nats-server
     * 2.15 gives it; the new pause_until is persisted with the consumer's config.
     */
    private ApiReply pause(Function<String, ConsumerSource> streams, String streamName, String consumer, byte[] body,
                           boolean levelNotMet) {
        byte[] b = body == null ? new byte[0] : body;
        PauseTime until;
        try {
            level(levelNotMet);
            String problem = GoDecode.problem(b, PAUSE_SHAPE);
            if (problem != null) {
                throw ConsumerErrors.INVALID_JSON.withDetail(problem).exception();
            }
            try {
                until = PauseTime.decode(GoDecode.merged(b, MAPPER).get("pause_until"), "JSApiConsumerPauseRequest",
                        "pause_until");
            } catch (PauseTime.Invalid e) {
                throw ConsumerErrors.INVALID_JSON.withDetail(e.getMessage()).exception();
            } catch (IOException e) {
                throw ConsumerErrors.INVALID_JSON.exception();
            }
            ConsumerSource s = stream(streams, streamName);
            Consumer c = find(s, consumer);
            if (until != null && until.zero()) {
                until = null; // Go's zero time resumes, as no time at all
            }
            // as nats-server: advised when a time is set, or when a pause ends; a resume of a
            // consumer that was not paused says nothing
            boolean wasPaused = c.isPaused();
            Outbound advisory = c.setPause(until);
            boolean advise = until != null || wasPaused;
            ConsumerPersistence p = persistenceFor(s, c.cfg(), c.name);
            if (p != null) {
                try {
                    p.writeMeta(c.cfg(), c.createdNanos, until);
                } catch (IOException e) {
                    throw ConsumerErrors.STORE_FAILED.with(e.getMessage()).exception();
                }
            }
            if (advise) {
                c.publish(List.of(advisory));
            }
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("type", PAUSE_TYPE);
            c.lock.lock();
            try {
                o.put("paused", c.pausedLocked());
                o.put("pause_until", until == null ? PauseTime.ZERO : until.utc());
                if (c.pausedLocked()) {
                    o.put("pause_remaining", c.pauseRemainingLocked());
                }
            } finally {
                c.lock.unlock();
            }
            return ApiReply.ok(o);
        } catch (JsApiException e) {
            return ApiReply.error(PAUSE_TYPE, e.error(), o -> {
                o.put("paused", false);
                o.put("pause_until", PauseTime.ZERO);
            });
        }
    }

    // ------------------------------------------------------------------ reset

    static final String RESET_TYPE = "io.nats.jetstream.api.v1.consumer_reset_response";
    static final GoDecode.Struct RESET_SHAPE = new GoDecode.Struct("JSApiConsumerResetRequest",
            java.util.Map.of("seq", GoDecode.UINT64));

    /**
     * {@code $JS.API.CONSUMER.RESET.<stream>.<consumer>} (nats-server 2.14+), with an empty body
     * (back to just above the ack floor) or {@code {"seq": N}}: see {@link Consumer#reset}. As in
     * nats-server only the consumer itself answers (on a replicated stream its leader): a consumer
     * this server does not run gets no answer. The reply is the consumer's info after the reset
     * with {@code reset_seq}, sent once the new state is durable (on a replicated stream: committed
     * by its group; a replica that stopped leading meanwhile does not answer).
     */
    private ApiReply reset(Function<String, ConsumerSource> streams, String streamName, String consumer, String subject,
                           String reply, byte[] body, Account account, boolean levelNotMet) {
        ConsumerSource s = streams.apply(streamName);
        StreamConsumer sc = s == null ? null : s.consumer(consumer);
        if (!(sc instanceof Consumer c) || c.isStopped()) {
            // nats-server 2.15.1 leaves it unanswered: its JetStream API subscription is interest,
            // so the requester sees no 503 either
            return null;
        }
        if (reply == null || reply.isEmpty()) {
            return null; // nats-server ignores a reset nobody waits for
        }
        try {
            level(levelNotMet);
            byte[] b = body == null ? new byte[0] : body;
            long requested = 0;
            if (b.length > 0) {
                // nats-server reads this body with json.Unmarshal, not its strict decoder
                String problem = GoDecode.unmarshalProblem(b, RESET_SHAPE);
                if (problem != null) {
                    throw ConsumerErrors.INVALID_JSON.withDetail(problem).exception();
                }
                try {
                    JsonNode n = GoDecode.merged(b, MAPPER).get("seq");
                    if (n != null && n.isNumber()) {
                        // a uint64 past Java's long is beyond any stream: the largest long does as well
                        requested = n.bigIntegerValue().min(java.math.BigInteger.valueOf(Long.MAX_VALUE)).longValue();
                    }
                } catch (IOException e) {
                    throw ConsumerErrors.INVALID_JSON.exception();
                }
            }
            long seq = c.reset(requested);
            try {
                c.persistState();
            } catch (ConsumerPersistence.NotLeader e) {
                return null;
            } catch (IOException e) {
                throw ConsumerErrors.STORE_FAILED.with(e.getMessage()).exception();
            }
            s.interestMayHaveGone();
            ObjectNode o = c.info(RESET_TYPE);
            o.put("reset_seq", seq);
            return ApiReply.ok(o);
        } catch (JsApiException e) {
            return ApiReply.error(RESET_TYPE, e.error(), o -> o.put("reset_seq", 0));
        }
    }

    static final String UNPIN_TYPE = "io.nats.jetstream.api.v1.consumer_unpin_response";
    static final GoDecode.Struct UNPIN_SHAPE = new GoDecode.Struct("JSApiConsumerUnpinRequest",
            java.util.Map.of("group", GoDecode.STRING));

    /**
     * {@code $JS.API.CONSUMER.UNPIN.<stream>.<consumer>} with {@code {"group": G}}: the group's pin
     * goes (advisory reason "admin"), the next delivery pins the next request without an id. The
     * checks in nats-server 2.15's order: JSON, group given, group name, stream, consumer, group of
     * the consumer.
     */
    private ApiReply unpin(Function<String, ConsumerSource> streams, String streamName, String consumer, byte[] body)
            throws JsApiException {
        byte[] b = body == null ? new byte[0] : body;
        String problem = GoDecode.problem(b, UNPIN_SHAPE);
        if (problem != null) {
            throw ConsumerErrors.INVALID_JSON.withDetail(problem).exception();
        }
        String group;
        try {
            group = GoDecode.merged(b, MAPPER).path("group").asText("");
        } catch (IOException e) {
            throw ConsumerErrors.INVALID_JSON.exception();
        }
        if (group.isEmpty()) {
            throw ConsumerErrors.INVALID_JSON.withDetail("consumer group not specified").exception();
        }
        if (!ConsumerConfig.validGroupName(group)) {
            throw ConsumerErrors.INVALID_GROUP_NAME.exception();
        }
        ConsumerSource s = stream(streams, streamName);
        Consumer c = find(s, consumer);
        if (!c.cfg().priority().groups().contains(group)) {
            throw ConsumerErrors.INVALID_PRIORITY_GROUP.exception();
        }
        Outbound advisory;
        c.lock.lock();
        try {
            advisory = c.unpinLocked(group, "admin");
        } finally {
            c.lock.unlock();
        }
        if (advisory != null) {
            c.publish(List.of(advisory));
        }
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", UNPIN_TYPE);
        return ApiReply.ok(o);
    }

    private void actionAdvisory(Consumer c, String what, String action) {
        ObjectNode a = c.advisory("io.nats.jetstream.advisory.v1.consumer_action");
        a.put("action", action);
        c.publish(List.of(Consumer.json("$JS.EVENT.ADVISORY.CONSUMER." + what + "." + c.src.streamName() + "." + c.name, a)));
    }

    void delete(ConsumerSource stream, Consumer c) {
        c.stop(true);
        stream.detach(c);
        actionAdvisory(c, "DELETED", "delete");
    }

    /** Called by a consumer's own loop when its inactive threshold passed. */
    void expire(Consumer c) {
        if (c.src.consumer(c.name) == c) {
            delete(c.src, c);
        }
    }

    // ------------------------------------------------------------------ names / list

    /** The Go struct nats-server decodes a consumer names or list request into. */
    static final GoDecode.Struct CONSUMERS_REQUEST = new GoDecode.Struct("JSApiConsumersRequest",
            java.util.Map.of("offset", GoDecode.INT));

    private static int offset(byte[] body) throws JsApiException {
        if (body != null && body.length > 0) {
            String problem = GoDecode.problem(body, CONSUMERS_REQUEST);
            if (problem != null) {
                throw ConsumerErrors.INVALID_JSON.withDetail(problem).exception();
            }
        }
        JsonNode req = parseBody(body);
        if (req == null) {
            return 0;
        }
        JsonNode o = req.get("offset");
        if (o == null || o.isNull()) {
            return 0;
        }
        if (!o.isIntegralNumber() || !o.canConvertToInt()) {
            throw ConsumerErrors.INVALID_JSON.exception(); // Go cannot decode it into an int
        }
        return Math.max(0, o.asInt());
    }

    private static List<Consumer> live(ConsumerSource s) {
        List<Consumer> out = new ArrayList<>();
        for (StreamConsumer sc : s.consumers()) {
            if (sc instanceof Consumer c && !c.isStopped()) {
                out.add(c);
            }
        }
        out.sort((a, b) -> a.name.compareTo(b.name));
        return out;
    }

    private ObjectNode names(ConsumerSource s, int off, String type) {
        List<Consumer> all = live(s);
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", type);
        o.put("total", all.size());
        o.put("offset", off);
        o.put("limit", NAMES_LIMIT);
        ArrayNode a = o.putArray("consumers");
        for (int i = off; i < all.size() && i < off + NAMES_LIMIT; i++) {
            a.add(all.get(i).name);
        }
        return o;
    }

    private ObjectNode list(ConsumerSource s, int off, String type) {
        List<Consumer> all = live(s);
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", type);
        o.put("total", all.size());
        o.put("offset", off);
        o.put("limit", LIST_LIMIT);
        ArrayNode a = o.putArray("consumers");
        ObjectNode cluster = all.size() > off ? s.clusterInfo() : null; // the stream's group: once for the page
        for (int i = off; i < all.size() && i < off + LIST_LIMIT; i++) {
            a.add(all.get(i).info(null, true, cluster));
        }
        return o;
    }

    // ------------------------------------------------------------------ recovery

    @Override
    public void recover(ConsumerSource stream) throws IOException {
        if (stream.memoryStorage()) {
            return;
        }
        Disk disk = stream.env().disk();
        String parent = consumersRoot(stream);
        for (String name : ConsumerPersistence.names(disk, parent)) {
            restore(stream, name, new ConsumerPersistence(disk, parent + "/" + name));
        }
    }

    @Override
    public List<io.weft.engine.jetstream.StreamReplica.ConsumerRecord> records(ConsumerSource stream) throws IOException {
        List<io.weft.engine.jetstream.StreamReplica.ConsumerRecord> out = new ArrayList<>();
        Disk disk = stream.env().disk();
        String parent = consumersRoot(stream);
        for (String name : ConsumerPersistence.names(disk, parent)) {
            ConsumerPersistence p = new ConsumerPersistence(disk, parent + "/" + name);
            byte[] meta = p.readMetaPayload();
            byte[] state = p.readState();
            if (meta != null) {
                out.add(new io.weft.engine.jetstream.StreamReplica.ConsumerRecord(name, meta, state == null ? new byte[0] : state));
            }
        }
        return out;
    }

    @Override
    public void writeFiles(ConsumerSource stream, List<io.weft.engine.jetstream.StreamReplica.ConsumerRecord> records)
            throws IOException {
        Disk disk = stream.env().disk();
        for (io.weft.engine.jetstream.StreamReplica.ConsumerRecord r : records) {
            String dir = stream.consumerDir(r.name());
            if (dir != null) {
                new ConsumerPersistence(disk, dir).writeFiles(r.meta(), r.state());
            }
        }
    }

    /**
     * A replicated stream's replica became its ready leader: its durable consumers run here from
     * the records every replica applied, as {@link #recover} runs a local stream's from their files
     * (pending messages get a fresh ack wait; what the old leader delivered after its last committed
     * state is delivered again).
     */
    @Override
    public void resume(ConsumerSource stream) {
        io.weft.engine.jetstream.ConsumerRecords records = stream.consumerRecords();
        if (records == null) {
            return;
        }
        for (io.weft.engine.jetstream.StreamReplica.ConsumerRecord r : records.all()) {
            if (stream.consumer(r.name()) != null) {
                continue;
            }
            restore(stream, r.name(), new ConsumerPersistence(records, r.name()));
            if (stream.consumer(r.name()) != null) {
                stream.log().notice("JetStream cluster new consumer leader for '" + stream.account().name() + " > "
                        + stream.streamName() + " > " + r.name() + "'");
            }
        }
    }

    /** Builds, registers and starts the consumer {@code p} holds; logs (and skips) one that cannot be restored. */
    private void restore(ConsumerSource stream, String name, ConsumerPersistence p) {
        try {
            ConsumerPersistence.Meta meta = p.readMeta();
            if (meta == null) {
                return;
            }
            Consumer c = new Consumer(this, stream, meta.config(), meta.createdNanos(), p);
            c.setPause(meta.pauseUntil()); // the deadline is wall-clock time: a pause that ended while down is over
            byte[] state = p.readState();
            if (state != null) {
                c.lock.lock();
                try {
                    ConsumerPersistence.decodeState(c, state, stream.env().clock().nanoTime());
                } finally {
                    c.lock.unlock();
                }
                c.refreshDeliverable();
            } else {
                c.initPosition();
            }
            stream.attach(c, meta.config().filters().toArray(new String[0]));
            c.start();
        } catch (IOException | JsApiException | RuntimeException e) {
            stream.log().error("JetStream consumer '" + stream.account().name() + " > " + stream.streamName()
                    + " > " + name + "' could not be restored: " + e.getMessage());
        }
    }

    /** The directory that holds every consumer directory of a stream (the parent of consumerDir). */
    private static String consumersRoot(ConsumerSource stream) throws IOException {
        String probe = stream.consumerDir(".probe");
        if (probe == null) {
            return null;
        }
        int slash = Math.max(probe.lastIndexOf('/'), probe.lastIndexOf('\\'));
        String parent = slash < 0 ? "." : probe.substring(0, slash);
        try {
            stream.env().disk().delete(probe);
        } catch (IOException e) {
            // an empty directory left behind holds no meta.dat and is never taken for a consumer
        }
        return parent;
    }

    // ------------------------------------------------------------------ ids

    String newId(ConsumerSource s) {
        return randomName(s, JsIds.ID_LENGTH);
    }

    private static String randomName(ConsumerSource s, int len) {
        return JsIds.random(s.env().entropy(), len);
    }
}
