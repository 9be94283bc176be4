package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.protocol.Headers;
import io.weft.engine.server.Account;
import io.weft.engine.server.InternalHandler;
import io.weft.store.StoredMessage;
import io.weft.store.SubjectBytes;
import io.weft.store.Subjects;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@code $JS.API} of one server: internal subscriptions in every account (enabled accounts get
 * the real handlers, others the "not enabled for account" error). A request is handed to its
 * account's {@link ApiLanes}, so publishers never wait on API work: requests naming the same
 * stream are answered one at a time in arrival order, while account-wide requests ({@code INFO},
 * {@code STREAM.NAMES/LIST}), requests on other streams and other accounts go ahead alongside a
 * slow one (nats-server, too, answers requests of different clients side by side).
 */
final class JsApi {
    static final String PREFIX = "$JS.API.";
    private static final String TYPE = "io.nats.jetstream.api.v1.";
    private static final int NAMES_LIMIT = 1024;
    private static final int LIST_LIMIT = 256;
    private static final int SUBJECTS_LIMIT = 100_000;
    private static final byte[] EMPTY = new byte[0];
    /** Threads per account answering requests on streams at once (account-wide requests always get one). */
    private static final int LANE_THREADS = 16;

    /** The API subjects (after {@code $JS.API.}) this server answers for an enabled account. */
    private static final List<String> OPS = List.of("INFO", "STREAM.CREATE.*", "STREAM.UPDATE.*", "STREAM.INFO.*",
            "STREAM.DELETE.*", "STREAM.PURGE.*", "STREAM.NAMES", "STREAM.LIST", "STREAM.MSG.GET.*",
            "STREAM.MSG.DELETE.*", "CONSUMER.>");

    private final JetStream js;
    private final ReentrantLock lock = new ReentrantLock();
    /** Per account: the lanes its requests run in. */
    private final java.util.Map<String, ApiLanes<Request>> lanes = new java.util.TreeMap<>();
    /** Per account: how to undo its API subscriptions, and whether it is served as enabled. */
    private final java.util.Map<String, List<Runnable>> accountSubs = new java.util.TreeMap<>();
    private final java.util.Map<String, Boolean> servedAs = new java.util.TreeMap<>();
    private boolean stopped;

    private record Request(JsAccount jsa, Account account, String subject, String reply, byte[] body, Stream direct) {
    }

    JsApi(JetStream js) {
        this.js = js;
    }

    void start() {
        subscribeAccounts();
    }

    /**
     * Subscribes the API in every account not yet served: the real handlers where JetStream is
     * enabled, the "not enabled for account" answer elsewhere. An account that became enabled (a
     * reload) trades the second for the first. Called at start and after a reload.
     */
    void subscribeAccounts() {
        lock.lock();
        try {
            for (Account a : js.host().accounts()) {
                JsAccount jsa = js.account(a.name());
                Boolean served = servedAs.get(a.name());
                if (served != null && (served || jsa == null)) {
                    continue;
                }
                List<Runnable> subs = new ArrayList<>();
                if (served != null) {
                    accountSubs.remove(a.name()).forEach(Runnable::run);
                }
                if (jsa == null) {
                    var sub = a.subscribe("$JS.API.>", null, handler(null, a, null));
                    subs.add(() -> a.unsubscribe(sub));
                } else {
                    for (String op : OPS) {
                        var sub = a.subscribe(PREFIX + op, null, handler(jsa, a, null));
                        subs.add(() -> a.unsubscribe(sub));
                    }
                    // everything else under $JS.API goes unanswered, as nats-server (no "no responders" status)
                    var all = a.subscribe("$JS.API.>", null, (subject, reply, data, off, hdrLen, totalLen) -> { });
                    subs.add(() -> a.unsubscribe(all));
                    String domain = js.domain();
                    if (!domain.isEmpty()) {
                        // clients configured with the domain use $JS.<domain>.API.> (nats-server maps it to $JS.API.>)
                        var sub = a.subscribe("$JS." + domain + ".API.>", null, handler(jsa, a, null));
                        subs.add(() -> a.unsubscribe(sub));
                    }
                }
                accountSubs.put(a.name(), subs);
                servedAs.put(a.name(), jsa != null);
            }
        } finally {
            lock.unlock();
        }
    }

    void stop() {
        lock.lock();
        try {
            accountSubs.values().forEach(l -> l.forEach(Runnable::run));
            accountSubs.clear();
            stopped = true;
            lanes.values().forEach(ApiLanes::stop);
        } finally {
            lock.unlock();
        }
    }

    InternalHandler directHandler(Stream s) {
        JsAccount jsa = js.account(s.account().name());
        return handler(jsa, s.account(), s);
    }

    private InternalHandler handler(JsAccount jsa, Account account, Stream direct) {
        ApiLanes<Request> l = lanes(account.name());
        return (subject, reply, data, off, hdrLen, totalLen) -> {
            if (reply == null || reply.isEmpty() || l == null) {
                return; // nats-server ignores API requests nobody can hear the answer to
            }
            byte[] body = java.util.Arrays.copyOfRange(data, off + hdrLen, off + totalLen);
            l.submit(laneKey(subject, js.domain()), new Request(jsa, account, subject, reply, body, direct));
        };
    }

    /** The lanes of {@code account}, made on first use; null once stopped. */
    private ApiLanes<Request> lanes(String account) {
        lock.lock();
        try {
            if (stopped) {
                return null;
            }
            return lanes.computeIfAbsent(account, a -> new ApiLanes<>(js.env().spawner(), "jetstream-api-" + a,
                    LANE_THREADS, "", this::serve));
        } finally {
            lock.unlock();
        }
    }

    /**
     * The lane of a request: the stream its subject names (so requests on one stream keep their
     * order), or the empty key for account-wide requests and anything else.
     */
    static String laneKey(String subject, String domain) {
        String op;
        String domainPrefix = "$JS." + domain + ".API.";
        if (subject.startsWith(PREFIX)) {
            op = subject.substring(PREFIX.length());
        } else if (!domain.isEmpty() && subject.startsWith(domainPrefix)) {
            op = subject.substring(domainPrefix.length());
        } else {
            return "";
        }
        String[] t = op.split("\\.", 5);
        if (t.length < 3) {
            return "";
        }
        int at = switch (t[0]) {
            case "STREAM" -> t[1].equals("MSG") ? 3 : t[1].equals("NAMES") || t[1].equals("LIST") ? -1 : 2;
            case "DIRECT" -> 2;
            case "CONSUMER" -> t[1].equals("DURABLE") || t[1].equals("MSG") || t[1].equals("LEADER") ? 3 : 2;
            default -> -1;
        };
        return at < 0 || at >= t.length ? "" : t[at];
    }

    /** Answers one request on its lane's thread; a failure answers "internal error" and stays in its request. */
    private void serve(Request r) {
        try {
            handle(r);
        } catch (RuntimeException e) {
            js.log().error("JetStream API request on " + r.subject() + " failed: " + e);
            reply(r, errorReply("io.nats.jetstream.api.v1.error_response",
                    JsErrors.STREAM_GENERAL.with("internal error")));
        }
    }

    // ------------------------------------------------------------------ dispatch

    void handle(Request r) {
        String domainPrefix = "$JS." + js.domain() + ".API.";
        if (!js.domain().isEmpty() && r.subject().startsWith(domainPrefix)) {
            String local = PREFIX + r.subject().substring(domainPrefix.length());
            Stream direct = null;
            if (local.startsWith(PREFIX + "DIRECT.GET.") && r.jsa() != null) {
                String rest = local.substring((PREFIX + "DIRECT.GET.").length());
                int dot = rest.indexOf('.');
                Stream s = r.jsa().stream(dot < 0 ? rest : rest.substring(0, dot));
                if (s == null || !s.config().allowDirect()) {
                    return;
                }
                direct = s;
            } else {
                String op = local.substring(PREFIX.length());
                if (OPS.stream().noneMatch(p -> Subjects.matchesFilter(p, op))) {
                    return;
                }
            }
            handle(new Request(r.jsa(), r.account(), local, r.reply(), r.body(), direct));
            return;
        }
        if (r.direct() != null) {
            direct(r);
            return;
        }
        String op = r.subject().substring(PREFIX.length());
        if (r.jsa() == null) {
            String type = disabledType(op);
            reply(r, type.endsWith("names_response") || type.endsWith("list_response") || type.endsWith("info_response")
                    && type.contains("stream_") ? pagedError(TYPE + type, JsErrors.NOT_ENABLED_FOR_ACCOUNT)
                    : errorReply(TYPE + type, JsErrors.NOT_ENABLED_FOR_ACCOUNT));
            return;
        }
        if (op.startsWith("CONSUMER.")) {
            JsAccount jsa = r.jsa();
            byte[] out = js.consumerManager().handleApi(r.subject(), r.reply(), r.body(), jsa::stream, r.account());
            r.jsa().apiTotal.incrementAndGet();
            js.apiTotal.incrementAndGet();
            if (out != null) {
                countError(r, out);
                r.account().publish(r.reply(), null, null, out);
            }
            return;
        }
        byte[] out;
        if (op.equals("INFO")) {
            out = accountInfo(r.jsa());
        } else if (op.equals("STREAM.NAMES")) {
            out = names(r, false);
        } else if (op.equals("STREAM.LIST")) {
            out = names(r, true);
        } else if (op.startsWith("STREAM.CREATE.")) {
            out = createOrUpdate(r, op.substring("STREAM.CREATE.".length()), true);
        } else if (op.startsWith("STREAM.UPDATE.")) {
            out = createOrUpdate(r, op.substring("STREAM.UPDATE.".length()), false);
        } else if (op.startsWith("STREAM.INFO.")) {
            out = info(r, op.substring("STREAM.INFO.".length()));
        } else if (op.startsWith("STREAM.DELETE.")) {
            out = delete(r, op.substring("STREAM.DELETE.".length()));
        } else if (op.startsWith("STREAM.PURGE.")) {
            out = purge(r, op.substring("STREAM.PURGE.".length()));
        } else if (op.startsWith("STREAM.MSG.GET.")) {
            out = msgGet(r, op.substring("STREAM.MSG.GET.".length()));
        } else if (op.startsWith("STREAM.MSG.DELETE.")) {
            out = msgDelete(r, op.substring("STREAM.MSG.DELETE.".length()));
        } else {
            return;
        }
        // counted after the answer is built, so INFO reports the requests before itself (as nats-server)
        r.jsa().apiTotal.incrementAndGet();
        js.apiTotal.incrementAndGet();
        countError(r, out);
        reply(r, out);
    }

    /** The reply type of a request in an account without JetStream. */
    private static String disabledType(String op) {
        if (op.equals("INFO")) {
            return "account_info_response";
        }
        String[] t = op.split("\\.");
        if (t.length >= 2 && t[0].equals("STREAM")) {
            return switch (t[1]) {
                case "CREATE" -> "stream_create_response";
                case "UPDATE" -> "stream_update_response";
                case "INFO" -> "stream_info_response";
                case "DELETE" -> "stream_delete_response";
                case "PURGE" -> "stream_purge_response";
                case "NAMES" -> "stream_names_response";
                case "LIST" -> "stream_list_response";
                case "MSG" -> t.length > 2 && t[2].equals("DELETE") ? "stream_msg_delete_response" : "stream_msg_get_response";
                default -> "error_response";
            };
        }
        if (t.length >= 2 && t[0].equals("CONSUMER")) {
            return switch (t[1]) {
                case "CREATE", "DURABLE" -> "consumer_create_response";
                case "INFO" -> "consumer_info_response";
                case "DELETE" -> "consumer_delete_response";
                case "NAMES" -> "consumer_names_response";
                case "LIST" -> "consumer_list_response";
                default -> "error_response";
            };
        }
        return "error_response";
    }

    private void countError(Request r, byte[] out) {
        // replies are small JSON documents; an error reply starts with type then error
        String head = new String(out, 0, Math.min(out.length, 160), StandardCharsets.UTF_8);
        if (head.contains("\"error\":{")) {
            r.jsa().apiErrors.incrementAndGet();
            js.apiErrors.incrementAndGet();
        }
    }

    private void reply(Request r, byte[] out) {
        r.account().publish(r.reply(), null, null, out);
    }

    // ------------------------------------------------------------------ shapes

    static ObjectNode errorNode(JsApiError e) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("code", e.code());
        o.put("err_code", e.errCode());
        o.put("description", e.description());
        return o;
    }

    private byte[] errorReply(String type, JsApiError e) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", type);
        o.set("error", errorNode(e));
        return js.json(o);
    }

    private byte[] pagedError(String type, JsApiError e) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", type);
        o.set("error", errorNode(e));
        o.put("total", 0);
        o.put("offset", 0);
        o.put("limit", 0);
        if (type.endsWith("stream_names_response") || type.endsWith("stream_list_response")) {
            o.putNull("streams");
        }
        return js.json(o);
    }

    private static ObjectNode typed(String type) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", TYPE + type);
        return o;
    }

    private void streamInfo(ObjectNode o, Stream s, boolean deletedDetails, String subjectsFilter) {
        streamInfo(o, s, deletedDetails, subjectsFilter, false);
    }

    /** {@code listed}: a STREAM.LIST entry, whose metadata nats-server shows as stored (no server level or version). */
    private void streamInfo(ObjectNode o, Stream s, boolean deletedDetails, String subjectsFilter, boolean listed) {
        ObjectNode config = s.config().toJson();
        // ADR-44 metadata: per-message TTL is a level 1 feature
        ApiLevel.annotate(config, s.config().metadata(), s.config().allowMsgTtl() ? 1 : 0, listed);
        o.set("config", config);
        o.put("created", JsTime.format(s.createdNanos()));
        o.set("state", s.stateJson(deletedDetails, subjectsFilter));
        o.put("ts", JsTime.format(js.env().clock().currentTimeMillis() * 1_000_000L));
    }

    private JsonNode optionalBody(byte[] body) throws JsApiException {
        if (body.length == 0 || isBlank(body)) {
            return JsonNodeFactory.instance.objectNode();
        }
        JsonNode n = js.readJson(body);
        if (!n.isObject()) {
            throw JsErrors.INVALID_JSON.exception();
        }
        return n;
    }

    /** A body that must be there: empty is "bad request" (as nats-server), malformed "invalid JSON". */
    private JsonNode requiredBody(byte[] body) throws JsApiException {
        if (body.length == 0) {
            throw JsErrors.BAD_REQUEST.exception();
        }
        JsonNode n = js.readJson(body);
        if (!n.isObject()) {
            throw JsErrors.INVALID_JSON.exception();
        }
        return n;
    }

    private static boolean isBlank(byte[] b) {
        for (byte x : b) {
            if (x != ' ' && x != '\t' && x != '\r' && x != '\n') {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ handlers

    private byte[] accountInfo(JsAccount jsa) {
        ObjectNode o = typed("account_info_response");
        o.put("memory", jsa.used(true));
        o.put("storage", jsa.used(false));
        o.put("reserved_memory", 0);
        o.put("reserved_storage", 0);
        o.put("streams", jsa.streams().size());
        o.put("consumers", jsa.consumerCount());
        ObjectNode l = o.putObject("limits");
        JsAccount.Limits lim = jsa.limits();
        l.put("max_memory", lim.maxMemory());
        l.put("max_storage", lim.maxStore());
        l.put("max_streams", lim.maxStreams());
        l.put("max_consumers", lim.maxConsumers());
        l.put("max_ack_pending", -1);
        l.put("memory_max_stream_bytes", -1);
        l.put("storage_max_stream_bytes", -1);
        l.put("max_bytes_required", false);
        if (!js.domain().isEmpty()) {
            o.put("domain", js.domain());
        }
        ObjectNode api = o.putObject("api");
        api.put("total", jsa.apiTotal());
        api.put("errors", jsa.apiErrors());
        return js.json(o);
    }

    private byte[] createOrUpdate(Request r, String name, boolean create) {
        String type = TYPE + (create ? "stream_create_response" : "stream_update_response");
        JsAccount jsa = r.jsa();
        try {
            StreamConfig req = StreamConfig.decode(r.body(), js.mapper());
            if (!create) {
                // nats-server 2.15 checks an update's config before it compares names or finds the stream
                req.withDefaults().validate(js.options().maxPayload);
            }
            if (!name.equals(req.name())) {
                throw JsErrors.STREAM_MISMATCH.exception();
            }
            StreamConfig.checkName(req.name());
            if (create && req.sealed()) {
                throw JsErrors.invalidConfig("stream configuration for create can not be sealed");
            }
            StreamConfig cfg = req.withDefaults();
            // this request's lane is the only one creating, updating or deleting this stream, so
            // what is looked up here holds until the reply; other streams change meanwhile
            Stream existing = jsa.stream(name);
            if (!create && existing == null) {
                throw JsErrors.STREAM_NOT_FOUND.exception();
            }
            cfg.validate(js.options().maxPayload);
            if (create && existing != null) {
                if (!existing.config().equals(cfg)) {
                    throw JsErrors.STREAM_NAME_EXIST.exception();
                }
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("type", type);
                streamInfo(o, existing, false, null);
                o.put("did_create", true); // nats-server 2.9.10 says so for an identical re-create too
                return js.json(o);
            }
            Stream s = create ? create(jsa, cfg) : update(jsa, existing, cfg);
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("type", type);
            streamInfo(o, s, false, null);
            if (create) {
                o.put("did_create", true);
            }
            streamAdvisory(r.account(), create ? "CREATED" : "UPDATED", create ? "create" : "modify", name);
            return js.json(o);
        } catch (JsApiException e) {
            return errorReply(type, e.error());
        }
    }

    /** Reserves the name and subjects (one short step), builds the stream outside any shared lock, publishes it. */
    private Stream create(JsAccount jsa, StreamConfig cfg) throws JsApiException {
        jsa.reserve(cfg, null);
        try {
            return js.createStream(jsa, cfg);
        } catch (IOException e) {
            throw JsErrors.STREAM_CREATE.with(e.getMessage()).exception();
        } finally {
            jsa.settle(cfg, null);
        }
    }

    private Stream update(JsAccount jsa, Stream existing, StreamConfig cfg) throws JsApiException {
        StreamConfig old = existing.config();
        jsa.reserve(cfg, old);
        try {
            existing.update(cfg);
            js.persistConfig(existing);
            return existing;
        } catch (IOException e) {
            throw JsErrors.STREAM_UPDATE.with(e.getMessage()).exception();
        } finally {
            jsa.settle(cfg, old);
        }
    }

    private byte[] info(Request r, String name) {
        String type = TYPE + "stream_info_response";
        try {
            JsonNode n = optionalBody(r.body());
            Stream s = r.jsa().stream(name);
            if (s == null) {
                throw JsErrors.STREAM_NOT_FOUND.exception();
            }
            boolean details = StreamConfig.bool(n, "deleted_details");
            String filter = StreamConfig.str(n, "subjects_filter");
            long offset = Math.max(0, StreamConfig.lng(n, "offset"));
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("type", type);
            // as nats-server 2.15: the matching subjects sorted, one page of at most SUBJECTS_LIMIT
            // from offset; total/offset/limit are set only when something matched
            java.util.Map<String, io.weft.store.SubjectState> matching =
                    filter.isEmpty() ? java.util.Map.of() : s.store().subjects(filter);
            int total = matching.size();
            o.put("total", total);
            o.put("offset", total == 0 ? 0 : offset);
            o.put("limit", total == 0 ? 0 : SUBJECTS_LIMIT);
            streamInfo(o, s, details, null);
            if (total > 0) {
                ObjectNode state = (ObjectNode) o.path("state");
                JsonNode consumerCount = state.remove("consumer_count");
                long skip = Math.min(offset, total);
                if (skip < total) {
                    ObjectNode page = state.putObject("subjects");
                    matching.entrySet().stream().skip(skip).limit(SUBJECTS_LIMIT)
                            .forEach(e -> page.put(e.getKey(), e.getValue().msgs()));
                }
                state.set("consumer_count", consumerCount);
            }
            return js.json(o);
        } catch (JsApiException e) {
            return pagedError(type, e.error());
        }
    }

    private byte[] names(Request r, boolean list) {
        String type = TYPE + (list ? "stream_list_response" : "stream_names_response");
        try {
            JsonNode n = optionalBody(r.body());
            long offset = Math.max(0, StreamConfig.lng(n, "offset"));
            String subject = StreamConfig.str(n, "subject");
            List<Stream> matching = new ArrayList<>();
            for (Stream s : r.jsa().streams()) {
                if (subject.isEmpty() || s.config().subjects().stream().anyMatch(x -> Subjects.tokensOverlap(x, subject))) {
                    matching.add(s);
                }
            }
            int limit = list ? LIST_LIMIT : NAMES_LIMIT;
            offset = Math.min(offset, matching.size());
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("type", type);
            o.put("total", matching.size());
            o.put("offset", offset);
            o.put("limit", limit);
            ArrayNode a = o.putArray("streams");
            for (int i = (int) offset; i < matching.size() && a.size() < limit; i++) {
                Stream s = matching.get(i);
                if (list) {
                    ObjectNode e = a.addObject();
                    streamInfo(e, s, false, null, true);
                } else {
                    a.add(s.name());
                }
            }
            if (!list && a.isEmpty()) {
                o.putNull("streams"); // Go's nil slice
            }
            return js.json(o);
        } catch (JsApiException e) {
            return pagedError(type, e.error());
        }
    }

    private byte[] delete(Request r, String name) {
        String type = TYPE + "stream_delete_response";
        Stream s = r.jsa().stream(name);
        if (s == null) {
            return errorReply(type, JsErrors.STREAM_NOT_FOUND);
        }
        try {
            js.deleteStream(r.jsa(), s);
        } catch (IOException e) {
            return errorReply(type, JsErrors.STREAM_DELETE.with(e.getMessage()));
        }
        ObjectNode o = typed("stream_delete_response");
        o.put("success", true);
        streamAdvisory(r.account(), "DELETED", "delete", name);
        return js.json(o);
    }

    private byte[] purge(Request r, String name) {
        String type = TYPE + "stream_purge_response";
        try {
            JsonNode n = optionalBody(r.body());
            Stream s = r.jsa().stream(name);
            if (s == null) {
                throw JsErrors.STREAM_NOT_FOUND.exception();
            }
            String filter = StreamConfig.str(n, "filter");
            long seq = StreamConfig.unsigned(n, "seq");
            long keep = StreamConfig.unsigned(n, "keep");
            if (seq > 0 && keep > 0) {
                throw JsErrors.BAD_REQUEST.exception();
            }
            if (s.config().sealed()) {
                throw JsErrors.STREAM_SEALED.exception();
            }
            if (s.config().denyPurge()) {
                throw JsErrors.STREAM_PURGE_FAILED.with("stream purge not permitted").exception();
            }
            long purged;
            try {
                purged = s.purge(filter, seq, keep);
            } catch (IOException e) {
                throw JsErrors.STREAM_PURGE_FAILED.with(e.getMessage()).exception();
            }
            ObjectNode o = typed("stream_purge_response");
            o.put("success", true);
            o.put("purged", purged);
            return js.json(o);
        } catch (JsApiException e) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("type", type);
            o.set("error", errorNode(e.error()));
            o.put("purged", 0);
            return js.json(o);
        }
    }

    private byte[] msgDelete(Request r, String name) {
        String type = TYPE + "stream_msg_delete_response";
        try {
            JsonNode n = requiredBody(r.body());
            Stream s = r.jsa().stream(name);
            if (s == null) {
                throw JsErrors.STREAM_NOT_FOUND.exception();
            }
            long seq = StreamConfig.unsigned(n, "seq");
            boolean noErase = StreamConfig.bool(n, "no_erase");
            if (s.config().sealed()) {
                throw JsErrors.STREAM_SEALED.exception();
            }
            if (s.config().denyDelete()) {
                throw JsErrors.STREAM_MSG_DELETE_FAILED.with("message delete not permitted").exception();
            }
            boolean memory = s.config().memoryStorage();
            if (seq == 0 && memory) {
                throw JsErrors.BAD_REQUEST.exception();
            }
            boolean ok;
            try {
                ok = seq > 0 && s.deleteMessage(seq, !noErase);
            } catch (IOException e) {
                throw JsErrors.STREAM_MSG_DELETE_FAILED.with(e.getMessage()).exception();
            }
            if (!ok) {
                // as nats-server 2.9.10: its file store fails below the first sequence ("no message
                // found") and past the last ("stream store EOF"); otherwise the sequence is not found
                io.weft.store.StoreState st = s.state();
                if (!memory && (seq < st.firstSeq() || seq == 0)) {
                    throw JsErrors.STREAM_MSG_DELETE_FAILED.with("no message found").exception();
                }
                if (!memory && seq > st.lastSeq()) {
                    throw JsErrors.STREAM_MSG_DELETE_FAILED.with("stream store EOF").exception();
                }
                throw JsErrors.SEQUENCE_NOT_FOUND.with(seq).exception();
            }
            ObjectNode o = typed("stream_msg_delete_response");
            o.put("success", true);
            return js.json(o);
        } catch (JsApiException e) {
            return errorReply(type, e.error());
        }
    }

    /** The message a get request names: seq, last_by_subj, or next_by_subj from seq. */
    private static StoredMessage lookup(Stream s, JsonNode n) throws JsApiException, IOException {
        long seq = StreamConfig.unsigned(n, "seq");
        String last = StreamConfig.str(n, "last_by_subj");
        String next = StreamConfig.str(n, "next_by_subj");
        if (seq > 0 && !last.isEmpty() || !last.isEmpty() && !next.isEmpty()
                || seq == 0 && last.isEmpty() && next.isEmpty()) {
            throw JsErrors.BAD_REQUEST.exception();
        }
        if (!last.isEmpty()) {
            return s.read(st -> st.loadLast(last));
        }
        if (!next.isEmpty()) {
            return s.read(st -> st.loadNext(next, Math.max(1, seq)));
        }
        return s.read(st -> st.load(seq));
    }

    private byte[] msgGet(Request r, String name) {
        String type = TYPE + "stream_msg_get_response";
        try {
            JsonNode n = requiredBody(r.body());
            Stream s = r.jsa().stream(name);
            if (s == null) {
                throw JsErrors.STREAM_NOT_FOUND.exception();
            }
            StoredMessage m;
            try {
                m = lookup(s, n);
            } catch (IOException e) {
                m = null; // a damaged record is never served
            }
            if (m == null || m.seq() > s.lastDeliverableSeq()) {
                throw JsErrors.NO_MESSAGE_FOUND.exception();
            }
            ObjectNode o = typed("stream_msg_get_response");
            ObjectNode msg = o.putObject("message");
            msg.put("subject", m.subject());
            msg.put("seq", m.seq());
            if (m.headers().length > 0) {
                msg.put("hdrs", Base64.getEncoder().encodeToString(m.headers()));
            }
            if (m.data().length > 0) {
                msg.put("data", Base64.getEncoder().encodeToString(m.data()));
            }
            msg.put("time", JsTime.format(m.timestampNanos()));
            return js.json(o);
        } catch (JsApiException e) {
            return errorReply(type, e.error());
        }
    }

    private void direct(Request r) {
        Stream s = r.direct();
        String base = PREFIX + "DIRECT.GET." + s.name();
        String rest = r.subject().length() > base.length() ? r.subject().substring(base.length() + 1) : "";
        StoredMessage m;
        try {
            if (!rest.isEmpty()) {
                if (r.body().length > 0) {
                    status(r, 408, "Bad Request");
                    return;
                }
                m = s.read(st -> st.loadLast(rest));
            } else {
                if (r.body().length == 0) {
                    status(r, 408, "Empty Request");
                    return;
                }
                JsonNode n;
                try {
                    n = js.readJson(r.body());
                    if (!n.isObject()) {
                        throw JsErrors.INVALID_JSON.exception();
                    }
                } catch (JsApiException e) {
                    status(r, 408, "Malformed Request");
                    return;
                }
                try {
                    m = lookup(s, n);
                } catch (JsApiException e) {
                    status(r, 408, "Bad Request");
                    return;
                }
            }
        } catch (IOException e) {
            m = null;
        }
        if (m == null || m.seq() > s.lastDeliverableSeq()) {
            status(r, 404, "Message Not Found");
            return;
        }
        // the stored header block goes out byte for byte (as nats-server does), then the stream's own
        String added = "Nats-Stream: " + s.name() + "\r\nNats-Subject: " + m.subject() + "\r\nNats-Sequence: "
                + m.seq() + "\r\nNats-Time-Stamp: " + JsTime.format(m.timestampNanos()) + "\r\n\r\n";
        byte[] stored = m.headers();
        byte[] head;
        int keep = stored.length;
        if (keep >= 4 && stored[keep - 2] == '\r' && stored[keep - 1] == '\n'
                && stored[keep - 4] == '\r' && stored[keep - 3] == '\n') {
            keep -= 2;
        } else {
            keep = 0; // absent or not a complete block: start a fresh one
        }
        byte[] tail = SubjectBytes.encode(added); // Nats-Subject carries the stored subject's bytes
        if (keep > 0) {
            head = new byte[keep + tail.length];
            System.arraycopy(stored, 0, head, 0, keep);
            System.arraycopy(tail, 0, head, keep, tail.length);
        } else {
            head = SubjectBytes.encode("NATS/1.0\r\n" + added);
        }
        r.account().publish(r.reply(), null, head, m.data());
    }

    /**
     * {@code $JS.EVENT.ADVISORY.STREAM.<what>.<stream>}: a stream was created, updated or deleted
     * (type {@code io.nats.jetstream.advisory.v1.stream_action}, as nats-server publishes it).
     */
    private void streamAdvisory(Account account, String what, String action, String stream) {
        ObjectNode a = JsonNodeFactory.instance.objectNode();
        a.put("type", "io.nats.jetstream.advisory.v1.stream_action");
        a.put("id", JsIds.random(js.env().entropy(), JsIds.ID_LENGTH));
        a.put("timestamp", JsTime.format(js.env().clock().currentTimeMillis() * 1_000_000L));
        a.put("stream", stream);
        a.put("action", action);
        String domain = js.domain();
        if (domain != null && !domain.isEmpty()) {
            a.put("domain", domain);
        }
        account.publish("$JS.EVENT.ADVISORY.STREAM." + what + "." + stream, null, null, js.json(a));
    }

    private void status(Request r, int code, String text) {
        byte[] hdr = ("NATS/1.0 " + code + " " + text + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        r.account().publish(r.reply(), null, hdr, EMPTY);
    }
}
