package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.protocol.Headers;
import io.weft.engine.jetstream.meta.MetaGroup;
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

    /** How an operation's typed error becomes its reply (see {@link ApiReply}). */
    enum ErrorShape {
        /** {@code {type, error}}. */
        PLAIN,
        /** paging fields after the error, no list (stream info). */
        PAGED,
        /** paging fields and {@code "streams": null} (stream names). */
        PAGED_STREAMS,
        /** paging fields and {@code "streams": []} (stream list: nats-server 2.15 starts it empty). */
        PAGED_STREAM_LIST,
        /** {@code purged: 0} after the error (stream purge). */
        PURGED
    }

    /** Answers one request of an operation: a reply, or a typed error the operation's shape turns into one. */
    @FunctionalInterface
    interface Handler {
        /** {@code arg}: what the pattern's wildcard matched (a stream name), or "" for a literal pattern. */
        ApiReply answer(JsApi api, Request r, String arg) throws JsApiException;
    }

    /**
     * One row of the API table: the subject pattern after {@code $JS.API.} (one subscription each),
     * the reply type its errors carry, their shape, and the handler.
     */
    record Op(String pattern, String type, ErrorShape shape, Handler handler) {
        ApiReply error(JsApiError e) {
            return switch (shape) {
                case PLAIN -> ApiReply.error(type, e);
                case PAGED -> ApiReply.pagedError(type, e, "", ApiReply.EmptyList.NONE);
                case PAGED_STREAMS -> ApiReply.pagedError(type, e, "streams", ApiReply.EmptyList.NULL);
                case PAGED_STREAM_LIST -> ApiReply.pagedError(type, e, "streams", ApiReply.EmptyList.EMPTY);
                case PURGED -> ApiReply.error(type, e, o -> o.put("purged", 0));
            };
        }

        /** What the pattern's trailing wildcard matched in {@code op}, or "" for a literal pattern. */
        String arg(String op) {
            int star = pattern.indexOf('*');
            return star < 0 ? "" : op.substring(star);
        }
    }

    /**
     * The operations this server answers for an enabled account, in the order they are matched
     * (patterns do not overlap). Every other {@code $JS.API} subject goes unanswered.
     */
    static final List<Op> TABLE = List.of(
            new Op("INFO", TYPE + "account_info_response", ErrorShape.PLAIN, (a, r, x) -> a.accountInfo(r.jsa())),
            new Op("STREAM.CREATE.*", TYPE + "stream_create_response", ErrorShape.PLAIN,
                    (a, r, x) -> a.createOrUpdate(r, x, true)),
            new Op("STREAM.UPDATE.*", TYPE + "stream_update_response", ErrorShape.PLAIN,
                    (a, r, x) -> a.createOrUpdate(r, x, false)),
            new Op("STREAM.INFO.*", TYPE + "stream_info_response", ErrorShape.PAGED, JsApi::info),
            new Op("STREAM.DELETE.*", TYPE + "stream_delete_response", ErrorShape.PLAIN, JsApi::delete),
            new Op("STREAM.PURGE.*", TYPE + "stream_purge_response", ErrorShape.PURGED, JsApi::purge),
            new Op("STREAM.NAMES", TYPE + "stream_names_response", ErrorShape.PAGED_STREAMS,
                    (a, r, x) -> a.names(r, false)),
            new Op("STREAM.LIST", TYPE + "stream_list_response", ErrorShape.PAGED_STREAM_LIST,
                    (a, r, x) -> a.names(r, true)),
            new Op("STREAM.MSG.GET.*", TYPE + "stream_msg_get_response", ErrorShape.PLAIN, JsApi::msgGet),
            new Op("STREAM.MSG.DELETE.*", TYPE + "stream_msg_delete_response", ErrorShape.PLAIN, JsApi::msgDelete),
            new Op("STREAM.LEADER.STEPDOWN.*", TYPE + "stream_leader_stepdown_response", ErrorShape.PLAIN,
                    JsApi::stepDown),
            new Op("STREAM.PEER.REMOVE.*", TYPE + "stream_remove_peer_response", ErrorShape.PLAIN,
                    JsApi::peerRemove),
            // every consumer operation is answered (and its errors shaped) by the ConsumerManager
            new Op("CONSUMER.>", TYPE + "consumer_create_response", ErrorShape.PLAIN,
                    (a, r, x) -> {
                        // a replicated stream's consumers run on its leader: the other replicas stay silent
                        String stream = consumerStream(r.subject());
                        if (r.subject().startsWith(PREFIX + "CONSUMER.LEADER.STEPDOWN.")) {
                            return a.consumerStepDown(r);
                        }
                        if (stream != null && ownSubscription(r.subject())) {
                            // a pull request is the consumer's alone: nobody else answers it, not even 10008,
                            // which would land among the client's messages (nats-server's pull requests
                            // reach only the consumer's own subscription); unanswered, it expires
                            Stream s = r.jsa().stream(stream);
                            if (s != null && s.replicated() && !s.leading()) {
                                return null;
                            }
                        } else if (stream != null && answeredByLeader(r, stream)) {
                            return null;
                        }
                        return a.js.consumerManager().api(r.subject(), r.reply(), r.body(), r.jsa()::stream,
                                r.account(), levelNotMet(r.requiredLevel()));
                    }));

    /**
     * The consumer requests nats-server serves on the consumer's own subscription (its leader's):
     * pull requests and resets. No other server answers them, not even with an error.
     */
    static boolean ownSubscription(String subject) {
        return subject.startsWith(PREFIX + "CONSUMER.MSG.NEXT.") || subject.startsWith(PREFIX + "CONSUMER.RESET.");
    }

    /** The stream a {@code $JS.API.CONSUMER.*} subject names, or null if it names none. */
    static String consumerStream(String subject) {
        String[] t = subject.split("\\.");
        // $JS API CONSUMER OP ...
        if (t.length < 5) {
            return null;
        }
        return switch (t[3]) {
            case "DURABLE", "MSG", "LEADER" -> t.length >= 6 ? t[5] : null;
            default -> t[4];
        };
    }

    /** The operation of {@code op} (the subject after {@code $JS.API.}), or null when none answers it. */
    static Op operation(String op) {
        for (Op o : TABLE) {
            if (Subjects.matchesFilter(o.pattern(), op)) {
                return o;
            }
        }
        return null;
    }

    private final JetStream js;
    private final ReentrantLock lock = new ReentrantLock();
    /** Per account: the lanes its requests run in. */
    private final java.util.Map<String, ApiLanes<Request>> lanes = new java.util.TreeMap<>();
    /** Per account: how to undo its API subscriptions, and whether it is served as enabled. */
    private final java.util.Map<String, List<Runnable>> accountSubs = new java.util.TreeMap<>();
    private final java.util.Map<String, Boolean> servedAs = new java.util.TreeMap<>();
    private boolean stopped;

    /**
     * One API request. {@code requiredLevel} is its {@code Nats-Required-Api-Level} header as sent
     * (null: none), which nats-server 2.12+ checks before anything else.
     */
    record Request(JsAccount jsa, Account account, String subject, String reply, byte[] body, Stream direct,
                   String requiredLevel) {
    }

    /** The request header naming the API level a request needs (ADR-44). */
    static final String REQUIRED_LEVEL_HEADER = "Nats-Required-Api-Level";

    /**
     * True when a request's required level is one weft does not reach, or not a number: nats-server
     * then answers 412/10185 instead of serving it. An empty value requires nothing.
     */
    static boolean levelNotMet(String required) {
        if (required == null || required.isEmpty()) {
            return false;
        }
        try {
            return Integer.parseInt(required) > ApiLevel.LEVEL;
        } catch (NumberFormatException e) {
            return true;
        }
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
                    // the system account's, clustered, announced too: META.LEADER.STEPDOWN reaches the meta leader
                    boolean sys = js.clusterConfigured() && a.name().equals(js.options().effectiveSystemAccount());
                    var sub = sys ? a.subscribeAnnounced("$JS.API.>", null, handler(null, a, null))
                            : a.subscribe("$JS.API.>", null, handler(null, a, null));
                    subs.add(() -> a.unsubscribe(sub));
                } else {
                    // clustered: announced, so every server hears each request and the one that decides
                    // answers (the meta leader, the stream's leader), as nats-server's $SYS handlers
                    boolean announce = js.clusterConfigured();
                    for (Op op : TABLE) {
                        var sub = announce ? a.subscribeAnnounced(PREFIX + op.pattern(), null, handler(jsa, a, null))
                                : a.subscribe(PREFIX + op.pattern(), null, handler(jsa, a, null));
                        subs.add(() -> a.unsubscribe(sub));
                    }
                    // everything else under $JS.API goes unanswered, as nats-server; but a direct get
                    // that no stream serves has no responders there, and a client that asked hears so
                    var all = a.subscribe("$JS.API.>", null, (subject, reply, data, off, hdrLen, totalLen) -> {
                        if (subject.startsWith(PREFIX + "DIRECT.GET") && directStream(jsa, subject) == null
                                && !heldElsewhere(a, subject)) {
                            a.answerNoResponders(subject, reply);
                        }
                    });
                    subs.add(() -> a.unsubscribe(all));
                    String domain = js.domain();
                    if (!domain.isEmpty()) {
                        // clients configured with the domain use $JS.<domain>.API.> (nats-server maps it to $JS.API.>)
                        var sub = announce ? a.subscribeAnnounced("$JS." + domain + ".API.>", null, handler(jsa, a, null))
                                : a.subscribe("$JS." + domain + ".API.>", null, handler(jsa, a, null));
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

    /**
     * The stream that answers the direct get on {@code subject} ({@code $JS.API.DIRECT.GET.<stream>}
     * or {@code ...<stream>.<last-by-subject>}), or null when none does: no such stream, or one
     * without {@code allow_direct}.
     */
    private static Stream directStream(JsAccount jsa, String subject) {
        String base = PREFIX + "DIRECT.GET.";
        if (jsa == null || !subject.startsWith(base) || subject.length() == base.length()) {
            return null;
        }
        String rest = subject.substring(base.length());
        int dot = rest.indexOf('.');
        Stream s = jsa.stream(dot < 0 ? rest : rest.substring(0, dot));
        return s != null && s.config().allowDirect() ? s : null;
    }

    /**
     * True when a clustered server's meta group assigns the stream a direct get names to another
     * server: that server answers (its direct subscription is announced), so this one says nothing.
     */
    private boolean heldElsewhere(Account a, String subject) {
        String base = PREFIX + "DIRECT.GET.";
        if (!(js.catalog() instanceof ClusteredStreamCatalog cc) || subject.length() <= base.length()) {
            return false;
        }
        String rest = subject.substring(base.length());
        int dot = rest.indexOf('.');
        return cc.assigned(a.name(), dot < 0 ? rest : rest.substring(0, dot));
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
            String level = hdrLen > 0 ? Headers.parse(data, off, hdrLen).first(REQUIRED_LEVEL_HEADER) : null;
            l.submit(laneKey(subject, js.domain()), new Request(jsa, account, subject, reply, body, direct,
                    level == null ? null : level.trim()));
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
            case "STREAM" -> t[1].equals("MSG") || t[1].equals("LEADER") || t[1].equals("PEER") ? 3
                    : t[1].equals("NAMES") || t[1].equals("LIST") ? -1 : 2;
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
            reply(r, ApiReply.error(TYPE + "error_response", JsErrors.STREAM_GENERAL.with("internal error")));
        }
    }

    // ------------------------------------------------------------------ dispatch

    void handle(Request r) {
        if (r.subject().equals(PREFIX + "META.LEADER.STEPDOWN")
                && r.account().name().equals(js.options().effectiveSystemAccount()) && js.meta() != null) {
            metaStepDown(r);
            return;
        }
        if (r.subject().equals(PREFIX + "SERVER.REMOVE")
                && r.account().name().equals(js.options().effectiveSystemAccount()) && js.meta() != null) {
            serverRemove(r);
            return;
        }
        String domainPrefix = "$JS." + js.domain() + ".API.";
        if (!js.domain().isEmpty() && r.subject().startsWith(domainPrefix)) {
            String local = PREFIX + r.subject().substring(domainPrefix.length());
            Stream direct = null;
            if (local.startsWith(PREFIX + "DIRECT.GET") && r.jsa() != null) {
                Stream s = directStream(r.jsa(), local);
                if (s == null) {
                    r.account().answerNoResponders(r.subject(), r.reply());
                    return;
                }
                direct = s;
            } else {
                String op = local.substring(PREFIX.length());
                if (operation(op) == null) {
                    return;
                }
            }
            handle(new Request(r.jsa(), r.account(), local, r.reply(), r.body(), direct, r.requiredLevel()));
            return;
        }
        if (r.direct() != null) {
            direct(r);
            return;
        }
        String op = r.subject().substring(PREFIX.length());
        if (r.jsa() == null) {
            String type = TYPE + disabledType(op);
            // as before the table: names, list and stream info errors carry the paging fields
            boolean paged = type.endsWith("names_response") || type.endsWith("list_response")
                    || type.endsWith("info_response") && type.contains("stream_");
            boolean names = type.endsWith("stream_names_response");
            boolean list = type.endsWith("stream_list_response");
            // nats-server checks the required level before whether the account has JetStream
            JsApiError e = levelNotMet(r.requiredLevel()) ? JsErrors.REQUIRED_API_LEVEL : JsErrors.NOT_ENABLED_FOR_ACCOUNT;
            boolean consumers = type.endsWith("consumer_names_response") || type.endsWith("consumer_list_response");
            reply(r, paged ? ApiReply.pagedError(type, e, consumers ? "consumers" : "streams",
                    names ? ApiReply.EmptyList.NULL : list || consumers ? ApiReply.EmptyList.EMPTY : ApiReply.EmptyList.NONE)
                    : ApiReply.error(type, e));
            return;
        }
        Op o = operation(op);
        if (o == null) {
            return;
        }
        ApiReply out;
        Route where = route(r, op);
        if (where == Route.UNAVAILABLE && ownSubscription(PREFIX + op)) {
            where = Route.SILENT; // as above: only the consumer answers a pull request
        }
        switch (where) {
            case SILENT -> {
                return; // another server answers (the meta leader, or the one holding the stream)
            }
            case UNAVAILABLE -> out = o.error(JsErrors.CLUSTER_NOT_AVAILABLE);
            default -> {
                if (levelNotMet(r.requiredLevel()) && !op.startsWith("CONSUMER.")) {
                    out = o.error(JsErrors.REQUIRED_API_LEVEL); // consumer requests check it themselves (shapes, 412 status)
                } else {
                    try {
                        out = o.handler().answer(this, r, o.arg(op));
                    } catch (JsApiException e) {
                        out = o.error(e.error());
                    }
                }
            }
        }
        // counted after the answer is built, so INFO reports the requests before itself (as nats-server)
        r.jsa().apiTotal.incrementAndGet();
        js.apiTotal.incrementAndGet();
        if (out != null) { // null: the operation answered by itself (MSG.NEXT) or not at all
            if (out.error()) {
                r.jsa().apiErrors.incrementAndGet();
                js.apiErrors.incrementAndGet();
            }
            reply(r, out);
        }
    }

    static final GoDecode.Struct SERVER_REMOVE_REQUEST = struct("JSApiMetaServerRemoveRequest",
            "peer", GoDecode.STRING, "peer_id", GoDecode.STRING);

    /**
     * {@code $JS.API.SERVER.REMOVE} from the system account ({@code {"peer":"<server name>"}} or
     * {@code {"peer_id":"<peer id>"}}), answered by the meta leader alone once the server's stream
     * replicas have replacements and its removal from the meta group is committed
     * ({@link ClusteredStreamCatalog#removeServer}). 10003 for an empty request, 10025 for bad
     * JSON, 10044 for a server that is not a member, 10202 while another removal runs.
     */
    private void serverRemove(Request r) {
        MetaGroup m = js.meta();
        if (!m.isLeader() || !(js.catalog() instanceof ClusteredStreamCatalog cc)) {
            return;
        }
        String type = TYPE + "meta_server_remove_response";
        ApiReply out;
        if (!serverRemoving.compareAndSet(false, true)) {
            reply(r, ApiReply.error(type, JsErrors.CLUSTER_MEMBER_CHANGE_INFLIGHT));
            return;
        }
        try {
            if (r.body().length == 0 || isBlank(r.body())) {
                throw JsErrors.BAD_REQUEST.exception();
            }
            decodable(r.body(), SERVER_REMOVE_REQUEST);
            JsonNode n = js.readJson(r.body());
            String name = n == null ? "" : n.path("peer").asText("");
            String id = n == null ? "" : n.path("peer_id").asText("");
            long victim = 0;
            for (long p : m.voters()) {
                boolean match = !id.isEmpty() ? io.weft.engine.cluster.PeerIds.hex(p).equalsIgnoreCase(id)
                        : !name.isEmpty() && m.nameOf(p).equals(name);
                if (match) {
                    victim = p;
                }
            }
            if (victim == 0) {
                throw JsErrors.CLUSTER_SERVER_NOT_MEMBER.exception();
            }
            cc.removeServer(victim);
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("type", type);
            o.put("success", true);
            out = ApiReply.ok(o);
        } catch (JsApiException e) {
            out = ApiReply.error(type, e.error());
        } finally {
            serverRemoving.set(false);
        }
        reply(r, out);
    }

    private final java.util.concurrent.atomic.AtomicBoolean serverRemoving = new java.util.concurrent.atomic.AtomicBoolean();

    static final GoDecode.Struct STEPDOWN_REQUEST = struct("JSApiLeaderStepdownRequest",
            "placement", new GoDecode.Any("*server.Placement"));

    /**
     * {@code $JS.API.META.LEADER.STEPDOWN} from the system account, answered by the meta leader
     * alone (others stay silent): leadership moves to {@code placement.preferred} if named (10005
     * "preferred server ... not known" / "... is already leader"), else to a connected member
     * matching {@code placement.cluster} and {@code placement.tags} (10005 "no replacement peer
     * connected" when none does), chosen at random among the caught-up ones.
     */
    private void metaStepDown(Request r) {
        MetaGroup m = js.meta();
        if (!m.isLeader()) {
            return;
        }
        String type = TYPE + "meta_leader_stepdown_response";
        ApiReply out;
        try {
            long target = stepDownTarget(m, r.body());
            String refused = m.transferTo(target);
            if (refused != null) {
                throw JsErrors.RAFT_GENERAL.with(refused).exception();
            }
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("type", type);
            o.put("success", true);
            out = ApiReply.ok(o);
            js.log().notice("JetStream meta leader stepping down, handing over to " + m.nameOf(target));
        } catch (JsApiException e) {
            out = ApiReply.error(type, e.error());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        reply(r, out);
    }

    private long stepDownTarget(MetaGroup m, byte[] body) throws JsApiException {
        JsonNode placement = null;
        int i = 0;
        while (i < body.length && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n')) {
            i++;
        }
        if (i < body.length && (body[i] == '{' || body[i] == '[')) {
            decodable(body, STEPDOWN_REQUEST);
            JsonNode n = js.readJson(body);
            placement = n.get("placement");
        }
        List<io.weft.engine.jetstream.meta.Placement.Candidate> all = m.candidates();
        String preferred = placement == null ? "" : placement.path("preferred").asText("");
        if (!preferred.isEmpty()) {
            for (var c : all) {
                if (c.name().equals(preferred)) {
                    if (c.peer() == m.self()) {
                        throw JsErrors.CLUSTER_NO_PEERS.with("preferred server \"" + preferred + "\" is already leader").exception();
                    }
                    return c.peer();
                }
            }
            throw JsErrors.CLUSTER_NO_PEERS.with("preferred server \"" + preferred + "\" not known").exception();
        }
        String cluster = placement == null ? "" : placement.path("cluster").asText("");
        List<String> tags = new ArrayList<>();
        if (placement != null) {
            placement.path("tags").forEach(t -> tags.add(t.asText()));
        }
        java.util.Map<Long, MetaGroup.Replica> replicas = new java.util.TreeMap<>();
        m.replicas().forEach(x -> replicas.put(x.peer(), x));
        List<Long> current = new ArrayList<>();
        List<Long> online = new ArrayList<>();
        for (var c : all) {
            MetaGroup.Replica rep = replicas.get(c.peer());
            if (c.peer() == m.self() || rep == null || rep.offline()) {
                continue;
            }
            if (!cluster.isEmpty() && !cluster.equals(c.cluster())) {
                continue;
            }
            if (!tags.stream().allMatch(t -> c.tags().stream().anyMatch(x -> x.equalsIgnoreCase(t)))) {
                continue;
            }
            online.add(c.peer());
            if (rep.current()) {
                current.add(c.peer());
            }
        }
        List<Long> pick = current.isEmpty() ? online : current;
        if (pick.isEmpty()) {
            throw JsErrors.CLUSTER_NO_PEERS.with("no replacement peer connected").exception();
        }
        return pick.get(js.env().entropy().nextInt(pick.size()));
    }

    /** Who answers a request in a cluster. */
    enum Route {
        /** This server. */
        ANSWER,
        /** Another one: this server stays silent, as nats-server's non-leaders do. */
        SILENT,
        /** Nobody can: the meta group has no leader (503/10008). */
        UNAVAILABLE
    }

    /**
     * Who answers {@code op} (the subject after {@code $JS.API.}) in a cluster, as nats-server:
     * requests that change or list the account's streams only the meta leader, requests on one
     * stream the server holding it; a stream nobody holds is "not found" from the meta leader;
     * while the meta group has no leader, whatever no local stream can answer gets 10008. A
     * single server answers everything.
     */
    Route route(Request r, String op) {
        MetaGroup m = js.meta();
        if (m == null) {
            // a clustered server whose meta group has not formed yet decides nothing alone
            if (!js.metaPending()) {
                return Route.ANSWER;
            }
            return js.metaPendingPastGrace() ? Route.UNAVAILABLE : Route.SILENT;
        }
        String stream = streamScoped(op);
        if (stream == null) {
            if (m.isLeader()) {
                return Route.ANSWER;
            }
            return m.leaderless() ? Route.UNAVAILABLE : Route.SILENT;
        }
        if (r.jsa().stream(stream) != null) {
            return Route.ANSWER;
        }
        if (m.leaderless()) {
            return Route.UNAVAILABLE;
        }
        if (m.isLeader() && m.assignments().stream(r.account().name(), stream) == null) {
            return Route.ANSWER;
        }
        return Route.SILENT;
    }

    /** The stream a stream-scoped operation names, or null for the account-wide ones the meta leader answers. */
    static String streamScoped(String op) {
        if (op.equals("INFO") || op.startsWith("STREAM.CREATE.") || op.startsWith("STREAM.UPDATE.")
                || op.startsWith("STREAM.DELETE.") || op.equals("STREAM.NAMES") || op.equals("STREAM.LIST")
                || op.startsWith("STREAM.PEER.REMOVE.")) {
            return null;
        }
        String k = laneKey(PREFIX + op, "");
        return k.isEmpty() ? null : k;
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

    private void reply(Request r, ApiReply out) {
        r.account().publish(r.reply(), null, null, out.json());
    }

    // ------------------------------------------------------------------ shapes

    /** The error object of a reply; {@link ApiReply#errorNode} (kept for the PubAck's error). */
    static ObjectNode errorNode(JsApiError e) {
        return ApiReply.errorNode(e);
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
        ApiLevel.annotate(config, s.config().metadata(),
                s.config().allowMsgCounter() || s.config().allowAtomic() || s.config().allowMsgSchedules()
                        || s.config().persistAsync() ? 2
                        : s.config().allowMsgTtl() ? 1 : 0,
                listed); // counters, atomic batches and message schedules: level 2
        o.set("config", config);
        o.put("created", JsTime.format(s.createdNanos()));
        o.set("state", s.stateJson(deletedDetails, subjectsFilter));
        ObjectNode cluster = ClusterInfo.of(js, s);
        if (cluster != null) {
            o.set("cluster", cluster);
        }
        o.put("ts", JsTime.format(js.env().clock().currentTimeMillis() * 1_000_000L));
    }

    /**
     * {@code STREAM.LEADER.STEPDOWN.<stream>}: the leader hands leadership to a caught-up member and
     * answers {@code {"success":true}}; followers stay silent (the leader answers); on a server that
     * is not clustered, 10010; a single-replica stream on a clustered server has nothing to hand over
     * and answers success (as nats-server).
     */
    private ApiReply stepDown(Request r, String name) throws JsApiException {
        Stream s = r.jsa().stream(name);
        if (!s_clustered(s)) {
            throw JsErrors.CLUSTER_REQUIRED.exception();
        }
        if (s == null) {
            throw JsErrors.STREAM_NOT_FOUND.exception();
        }
        if (s.replicated()) {
            if (!s.leading() && s.group().leaderless()) {
                throw JsErrors.CLUSTER_NOT_AVAILABLE.exception();
            }
            if (!s.leading()) {
                return null; // the leader answers
            }
        }
        return handOver(s, r.body(), typed("stream_leader_stepdown_response"));
    }

    static final GoDecode.Struct PEER_REMOVE_REQUEST = struct("JSApiStreamRemovePeerRequest", "peer", GoDecode.STRING);

    /**
     * {@code STREAM.PEER.REMOVE.<stream>} {@code {"peer":"<server name or peer id>"}}, answered by
     * the meta leader alone once the stream's new peer group is committed in the meta log
     * ({@link ClusteredStreamCatalog#removePeer}). 10010 on a single server, 10003 for an empty
     * request or peer, 10025 for bad JSON.
     */
    private ApiReply peerRemove(Request r, String name) throws JsApiException {
        if (!(js.catalog() instanceof ClusteredStreamCatalog cc)) {
            throw JsErrors.CLUSTER_REQUIRED.exception();
        }
        if (r.body().length == 0 || isBlank(r.body())) {
            throw JsErrors.BAD_REQUEST.exception();
        }
        decodable(r.body(), PEER_REMOVE_REQUEST);
        JsonNode n = js.readJson(r.body());
        String peer = n == null ? "" : n.path("peer").asText("");
        if (peer.isEmpty()) {
            throw JsErrors.BAD_REQUEST.exception();
        }
        cc.removePeer(r.jsa(), name, peer);
        ObjectNode o = typed("stream_remove_peer_response");
        o.put("success", true);
        return ApiReply.ok(o);
    }

    /**
     * {@code CONSUMER.LEADER.STEPDOWN.<stream>.<consumer>}. A consumer of a replicated stream lives
     * in the stream's Raft group and runs on its leader (docs/dev/replicated-consumers.md), so its
     * leader steps down by handing the stream group's leadership over: the stream and all its
     * consumers move together. The checks and answers are nats-server's, in its order: 10010 on a
     * server that is not clustered (whatever the names), 10059 for an unknown stream (from the meta
     * leader), 10185 for an unmet API level, 10014 for an unknown consumer (from the stream's leader,
     * the other replicas staying silent; from every replica while the group has no leader), 10008
     * while the group has no leader, success for an R1
     * stream's consumer (nothing to hand over), then the body's {@code placement} as for
     * STREAM.LEADER.STEPDOWN. A malformed subject gets no reply.
     */
    private ApiReply consumerStepDown(Request r) throws JsApiException {
        String[] t = r.subject().split("\\.");
        if (t.length != 7) {
            return null; // $JS API CONSUMER LEADER STEPDOWN <stream> <consumer>
        }
        String type = "consumer_leader_stepdown_response";
        try {
            Stream s = r.jsa().stream(t[5]);
            if (!s_clustered(s)) {
                throw JsErrors.CLUSTER_REQUIRED.exception();
            }
            if (s == null) {
                throw JsErrors.STREAM_NOT_FOUND.exception();
            }
            if (levelNotMet(r.requiredLevel())) {
                throw JsErrors.REQUIRED_API_LEVEL.exception();
            }
            if (s.replicated() && !s.leading() && s.group().leaderless()) {
                // leaderless: as nats-server, an unknown consumer first (every replica holds the
                // records; an ephemeral ended with the last leadership), then 10008
                ConsumerRecords records = s.consumerRecords();
                if (records != null && records.get(t[6]) == null) {
                    throw JsErrors.CONSUMER_NOT_FOUND.exception();
                }
                throw JsErrors.CLUSTER_NOT_AVAILABLE.exception();
            }
            if (answeredByLeader(r, t[5])) {
                return null; // the leader answers
            }
            StreamConsumer c = s.consumer(t[6]);
            if (c == null) {
                throw JsErrors.CONSUMER_NOT_FOUND.exception();
            }
            return handOver(s, r.body(), typed(type));
        } catch (JsApiException e) {
            return ApiReply.error(TYPE + type, e.error());
        }
    }

    /**
     * Hands stream {@code s}'s group leadership over (this replica leads it) and answers
     * {@code o} with {@code success}: to {@code placement.preferred} if the body names it (10005
     * "... not known" / "... is already leader"), else to a member matching {@code placement.cluster}
     * and {@code placement.tags} (10005 "no replacement peer connected" when none does), else to the
     * most caught-up member. A stream without a group has nothing to hand over: success.
     */
    private ApiReply handOver(Stream s, byte[] body, ObjectNode o) throws JsApiException {
        JsonNode placement = null;
        if (isJsonObjectOrArray(body)) {
            decodable(body, STEPDOWN_REQUEST);
            placement = js.readJson(body).get("placement");
            if (placement != null && placement.isNull()) {
                placement = null;
            }
        }
        if (!s.replicated()) {
            o.put("success", true);
            return ApiReply.ok(o);
        }
        long target = placement == null ? 0 : groupTarget(s, placement);
        String failed = s.group().stepDown(target).join();
        if (failed != null) {
            throw JsErrors.RAFT_GENERAL.with(failed).exception();
        }
        o.put("success", true);
        return ApiReply.ok(o);
    }

    private static boolean isJsonObjectOrArray(byte[] body) {
        int i = 0;
        while (i < body.length && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n')) {
            i++;
        }
        return i < body.length && (body[i] == '{' || body[i] == '[');
    }

    /** The member of {@code s}'s group a stepdown's {@code placement} picks (this replica leads). */
    private long groupTarget(Stream s, JsonNode placement) throws JsApiException {
        GroupLog.ClusterView v = s.group().clusterView().join();
        Stream.Replication rep = s.replication();
        String preferred = placement.path("preferred").asText("");
        if (!preferred.isEmpty()) {
            if (preferred.equals(ClusterInfo.serverName(rep, v.self()))) {
                throw JsErrors.CLUSTER_NO_PEERS.with("preferred server \"" + preferred + "\" is already leader").exception();
            }
            for (GroupLog.Member m : v.members()) {
                if (preferred.equals(ClusterInfo.serverName(rep, m.peer()))) {
                    return m.peer();
                }
            }
            throw JsErrors.CLUSTER_NO_PEERS.with("preferred server \"" + preferred + "\" not known").exception();
        }
        String cluster = placement.path("cluster").asText("");
        List<String> tags = new ArrayList<>();
        placement.path("tags").forEach(x -> tags.add(x.asText()));
        java.util.Map<Long, io.weft.engine.jetstream.meta.Placement.Candidate> known = new java.util.TreeMap<>();
        if (js.meta() != null) {
            js.meta().candidates().forEach(c -> known.put(c.peer(), c));
        }
        List<Long> pick = new ArrayList<>();
        for (GroupLog.Member m : v.members()) {
            if (m.peer() == v.self() || m.offline()) {
                continue;
            }
            var c = known.get(m.peer());
            String memberCluster = c != null ? c.cluster() : rep.clusterName();
            List<String> memberTags = c != null ? c.tags() : List.of();
            if (!cluster.isEmpty() && !cluster.equals(memberCluster)) {
                continue;
            }
            if (!tags.stream().allMatch(x -> memberTags.stream().anyMatch(y -> y.equalsIgnoreCase(x)))) {
                continue;
            }
            pick.add(m.peer());
        }
        if (pick.isEmpty()) {
            throw JsErrors.CLUSTER_NO_PEERS.with("no replacement peer connected").exception();
        }
        return pick.get(js.env().entropy().nextInt(pick.size()));
    }

    /** True when this server is clustered (routes configured, or the stream is replicated). */
    private boolean s_clustered(Stream s) {
        return js.options().clusterPort >= 0 || s != null && s.replicated();
    }

    /** The Go structs nats-server decodes these requests into (their names appear in its errors). */
    static final GoDecode.Struct INFO_REQUEST = paged("JSApiStreamInfoRequest",
            "deleted_details", GoDecode.BOOL, "subjects_filter", GoDecode.STRING);
    static final GoDecode.Struct NAMES_REQUEST = paged("JSApiStreamNamesRequest", "subject", GoDecode.STRING);
    static final GoDecode.Struct LIST_REQUEST = paged("JSApiStreamListRequest", "subject", GoDecode.STRING);
    static final GoDecode.Struct PURGE_REQUEST = struct("JSApiStreamPurgeRequest",
            "seq", GoDecode.UINT64, "filter", GoDecode.STRING, "keep", GoDecode.UINT64);
    static final GoDecode.Struct MSG_GET_REQUEST = struct("JSApiMsgGetRequest",
            "seq", GoDecode.UINT64, "last_by_subj", GoDecode.STRING, "next_by_subj", GoDecode.STRING,
            "batch", GoDecode.INT, "max_bytes", GoDecode.INT, "start_time", new GoDecode.Any("*time.Time"),
            "multi_last", new GoDecode.Slice(GoDecode.STRING), "up_to_seq", GoDecode.UINT64,
            "up_to_time", new GoDecode.Any("*time.Time"), "no_hdr", GoDecode.BOOL);
    static final GoDecode.Struct MSG_DELETE_REQUEST = struct("JSApiMsgDeleteRequest",
            "seq", GoDecode.UINT64, "no_erase", GoDecode.BOOL);

    private static GoDecode.Struct paged(String go, Object... more) {
        Object[] all = new Object[more.length + 2];
        all[0] = "offset";
        all[1] = GoDecode.INT;
        System.arraycopy(more, 0, all, 2, more.length);
        return struct(go, all);
    }

    private static GoDecode.Struct struct(String go, Object... fields) {
        java.util.Map<String, GoDecode.Shape> f = new java.util.LinkedHashMap<>();
        for (int i = 0; i < fields.length; i += 2) {
            f.put((String) fields[i], (GoDecode.Shape) fields[i + 1]);
        }
        return new GoDecode.Struct(go, f);
    }

    /** nats-server's "invalid JSON: " and Go's words, when {@code body} does not decode into {@code shape}. */
    private static void decodable(byte[] body, GoDecode.Struct shape) throws JsApiException {
        String problem = GoDecode.problem(body, shape);
        if (problem != null) {
            throw JsErrors.INVALID_JSON.withDetail(problem).exception();
        }
    }

    private JsonNode optionalBody(byte[] body, GoDecode.Struct shape) throws JsApiException {
        if (body.length == 0 || isBlank(body)) {
            return JsonNodeFactory.instance.objectNode();
        }
        decodable(body, shape);
        JsonNode n = js.readJson(body);
        if (!n.isObject()) {
            throw JsErrors.INVALID_JSON.exception();
        }
        return n;
    }

    /** A body that must be there: empty is "bad request" (as nats-server), malformed "invalid JSON". */
    private JsonNode requiredBody(byte[] body, GoDecode.Struct shape) throws JsApiException {
        if (body.length == 0) {
            throw JsErrors.BAD_REQUEST.exception();
        }
        decodable(body, shape);
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

    private ApiReply accountInfo(JsAccount jsa) {
        ObjectNode o = typed("account_info_response");
        o.put("memory", jsa.used(true));
        o.put("storage", jsa.used(false));
        // what the account's streams reserve: the sum of their max_bytes, by storage type
        long reservedMemory = 0;
        long reservedStorage = 0;
        for (Stream s : jsa.streams()) {
            long max = s.config().maxBytes();
            if (max > 0) {
                if (s.config().memoryStorage()) {
                    reservedMemory += max;
                } else {
                    reservedStorage += max;
                }
            }
        }
        o.put("reserved_memory", reservedMemory);
        o.put("reserved_storage", reservedStorage);
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
        return ApiReply.ok(o);
    }

    private ApiReply createOrUpdate(Request r, String name, boolean create) throws JsApiException {
        StreamConfig req = StreamConfig.decode(r.body(), js.mapper());
        StreamCatalog.Change c = js.catalog().createOrUpdate(r.jsa(), name, req, create);
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", TYPE + (create ? "stream_create_response" : "stream_update_response"));
        if (c.stream() != null) {
            streamInfo(o, c.stream(), false, null);
        } else {
            placedInfo(o, c.placed(), false);
        }
        if (create) {
            o.put("did_create", true); // nats-server 2.9.10 says so for an identical re-create too
        }
        if (c.changed()) {
            streamAdvisory(r.account(), create ? "CREATED" : "UPDATED", create ? "create" : "modify", name);
        }
        return ApiReply.ok(o);
    }

    private ApiReply info(Request r, String name) throws JsApiException {
        if (answeredByLeader(r, name)) {
            return null;
        }
        String type = TYPE + "stream_info_response";
        JsonNode n = optionalBody(r.body(), INFO_REQUEST);
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
                filter.isEmpty() ? java.util.Map.of() : subjectsOf(s, filter);
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
        return ApiReply.ok(o);
    }

    /**
     * True when another server answers a request on stream {@code name}: it is replicated and this
     * replica does not lead (nats-server checks this before it reads the request). A group without
     * a leader is 503/10008 from every member, as nats-server.
     */
    /** How long a leader's read waits for its read index (a heartbeat round to a quorum). */
    private static final java.time.Duration READ_CONFIRM = java.time.Duration.ofSeconds(2);

    /**
     * True when {@code s}'s replica still leads and has applied everything committed when the read
     * came ({@link GroupLog#confirmRead}): a leader paused or cut off while another was elected
     * must not answer from its old state.
     */
    private static boolean confirmedLeader(Stream s) {
        try {
            return s.group().confirmRead(READ_CONFIRM);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean answeredByLeader(Request r, String name) throws JsApiException {
        Stream s = r.jsa().stream(name);
        if (s == null || !s.replicated() || s.leading()) {
            return false;
        }
        if (s.group().leaderless()) {
            throw JsErrors.CLUSTER_NOT_AVAILABLE.exception();
        }
        return true;
    }

    /** The subjects matching {@code filter}, read under the stream's lock (a replica's store is read only so). */
    private static java.util.Map<String, io.weft.store.SubjectState> subjectsOf(Stream s, String filter) {
        try {
            return s.read(st -> st.subjects(filter));
        } catch (IOException e) {
            return java.util.Map.of();
        }
    }

    /**
     * The info of a stream held by another server (clustered): its configuration and creation, the
     * state of a stream no server has reported yet (this server does not hold it), and the
     * {@code cluster} block naming where it lives.
     */
    private void placedInfo(ObjectNode o, StreamCatalog.Placed p, boolean listed) {
        ObjectNode config = p.config().toJson();
        ApiLevel.annotate(config, p.config().metadata(),
                p.config().allowMsgCounter() || p.config().allowAtomic() || p.config().allowMsgSchedules()
                        || p.config().persistAsync() ? 2
                        : p.config().allowMsgTtl() ? 1 : 0, listed);
        o.set("config", config);
        o.put("created", JsTime.format(p.createdNanos()));
        ObjectNode st = o.putObject("state");
        st.put("messages", 0);
        st.put("bytes", 0);
        st.put("first_seq", 0);
        st.put("first_ts", JsTime.format(0));
        st.put("last_seq", 0);
        st.put("last_ts", JsTime.format(0));
        st.put("consumer_count", 0);
        MetaGroup m = js.meta();
        ObjectNode cl = o.putObject("cluster");
        if (m != null) {
            cl.put("name", m.cluster());
        }
        cl.put("leader", p.server());
        o.put("ts", JsTime.format(js.env().clock().currentTimeMillis() * 1_000_000L));
    }

    /** One entry of a names or list reply: a stream held here, or one held elsewhere. */
    private record Listed(String name, Stream local, StreamCatalog.Placed placed) {
    }

    private ApiReply names(Request r, boolean list) throws JsApiException {
        String type = TYPE + (list ? "stream_list_response" : "stream_names_response");
        JsonNode n = optionalBody(r.body(), list ? LIST_REQUEST : NAMES_REQUEST);
        long offset = Math.max(0, StreamConfig.lng(n, "offset"));
        String subject = StreamConfig.str(n, "subject");
        List<Listed> matching = new ArrayList<>();
        for (Stream s : js.catalog().list(r.jsa(), subject)) {
            matching.add(new Listed(s.name(), s, null));
        }
        for (StreamCatalog.Placed p : js.catalog().elsewhere(r.jsa(), subject)) {
            matching.add(new Listed(p.config().name(), null, p));
        }
        matching.sort(java.util.Comparator.comparing(Listed::name));
        int limit = list ? LIST_LIMIT : NAMES_LIMIT;
        offset = Math.min(offset, matching.size());
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", type);
        o.put("total", matching.size());
        o.put("offset", offset);
        o.put("limit", limit);
        ArrayNode a = o.putArray("streams");
        for (int i = (int) offset; i < matching.size() && a.size() < limit; i++) {
            Listed s = matching.get(i);
            if (list) {
                ObjectNode e = a.addObject();
                if (s.local() != null) {
                    streamInfo(e, s.local(), false, null, true);
                } else {
                    placedInfo(e, s.placed(), true);
                }
            } else {
                a.add(s.name());
            }
        }
        if (!list && a.isEmpty()) {
            o.putNull("streams"); // Go's nil slice
        }
        return ApiReply.ok(o);
    }

    private ApiReply delete(Request r, String name) throws JsApiException {
        js.catalog().delete(r.jsa(), name);
        ObjectNode o = typed("stream_delete_response");
        o.put("success", true);
        streamAdvisory(r.account(), "DELETED", "delete", name);
        return ApiReply.ok(o);
    }

    private ApiReply purge(Request r, String name) throws JsApiException {
        if (answeredByLeader(r, name)) {
            return null;
        }
        JsonNode n = optionalBody(r.body(), PURGE_REQUEST);
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
        return ApiReply.ok(o);
    }

    private ApiReply msgDelete(Request r, String name) throws JsApiException {
        if (answeredByLeader(r, name)) {
            return null;
        }
        JsonNode n = requiredBody(r.body(), MSG_DELETE_REQUEST);
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
        return ApiReply.ok(o);
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

    private ApiReply msgGet(Request r, String name) throws JsApiException {
        if (answeredByLeader(r, name)) {
            return null;
        }
        JsonNode n = requiredBody(r.body(), MSG_GET_REQUEST);
        Stream s = r.jsa().stream(name);
        if (s == null) {
            throw JsErrors.STREAM_NOT_FOUND.exception();
        }
        if (s.replicated() && !confirmedLeader(s)) {
            return null; // deposed meanwhile: the leader answers (a stale answer from here would not be linearizable)
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
        return ApiReply.ok(o);
    }

    private void direct(Request r) {
        if (levelNotMet(r.requiredLevel())) {
            status(r, 412, "Required Api Level"); // before anything else, as nats-server 2.12+
            return;
        }
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
                if (DirectBatch.applies(n)) {
                    // batch, multi_last, start_time, up_to_*, no_hdr, max_bytes (ADR-31)
                    for (DirectBatch.Out o : DirectBatch.answer(s, n)) {
                        r.account().publish(r.reply(), null, o.headers(), o.data());
                    }
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
