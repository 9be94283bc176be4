package io.weft.engine.sys;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.ServerOptions;
import io.weft.engine.jetstream.GoDecode;
import io.weft.engine.jetstream.JsIds;
import io.weft.engine.jetstream.JsTime;
import io.weft.engine.json.GoJson;
import io.weft.engine.monitor.Monitor;
import io.weft.engine.monitor.MonitorException;
import io.weft.engine.monitor.MonitorQuery;
import io.weft.engine.monitor.MonitorRequests;
import io.weft.engine.monitor.Varz;
import io.weft.engine.node.Node;
import io.weft.engine.server.Account;
import io.weft.engine.server.ClientConnection;
import io.weft.engine.server.InternalSubscription;
import io.weft.engine.server.Server;
import io.weft.engine.server.ServerService;
import io.weft.store.SubjectBytes;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The system account's services, as nats-server's: {@code $SYS.REQ.SERVER.PING} (every server
 * answers its statsz), {@code $SYS.REQ.SERVER.PING.<KIND>} and {@code $SYS.REQ.SERVER.<id>.<KIND>}
 * for the monitoring documents ({@code STATSZ, VARZ, CONNZ, SUBSZ, ROUTEZ, GATEWAYZ, LEAFZ,
 * ACCOUNTZ, JSZ, HEALTHZ, IDZ}), answered as {@code {"server":{...},"data":{...}}} with the same
 * documents /varz and the others serve; and the connection events
 * {@code $SYS.ACCOUNT.<account>.CONNECT} / {@code .DISCONNECT}. Only clients of the system account
 * (users configured in the account {@code system_account} names) can reach them.
 *
 * <p>A request's body holds the document's options in nats-server's JSON names plus the event
 * filter ({@code server_name, cluster, host, exact_match, tags, domain}): a server the filter does
 * not match stays silent; a body that does not decode gets {@code "error":{"code":400,...}}.
 * Requests are served on a thread of their own, never on the publisher's reader.
 */
public final class SystemServices implements ServerService {
    /** The kinds served, and the monitoring path behind each (IDZ and STATSZ are built here). */
    static final Map<String, String> KINDS = Map.ofEntries(
            Map.entry("VARZ", "/varz"), Map.entry("CONNZ", "/connz"), Map.entry("SUBSZ", "/subsz"),
            Map.entry("ROUTEZ", "/routez"), Map.entry("GATEWAYZ", "/gatewayz"), Map.entry("LEAFZ", "/leafz"),
            Map.entry("ACCOUNTZ", "/accountz"), Map.entry("JSZ", "/jsz"), Map.entry("HEALTHZ", "/healthz"),
            Map.entry("STATSZ", ""), Map.entry("IDZ", ""));

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The request body's option names (nats-server's JSON) and the query names /connz and the others take. */
    private static final Map<String, Map<String, String>> OPTION_NAMES = Map.of(
            "CONNZ", Map.ofEntries(Map.entry("sort", "sort"), Map.entry("auth", "auth"),
                    Map.entry("subscriptions", "subs"), Map.entry("subscriptions_detail", "subs=detail"),
                    Map.entry("offset", "offset"), Map.entry("limit", "limit"), Map.entry("cid", "cid"),
                    Map.entry("state", "state"), Map.entry("user", "user"), Map.entry("acc", "acc"),
                    Map.entry("filter_subject", "filter_subject")),
            "SUBSZ", Map.of("offset", "offset", "limit", "limit", "subscriptions", "subs", "account", "acc",
                    "test", "test"),
            "ROUTEZ", Map.of("subscriptions", "subs", "subscriptions_detail", "subs=detail"),
            "ACCOUNTZ", Map.of("account", "acc"),
            "JSZ", Map.of("account", "acc", "accounts", "accounts", "streams", "streams", "consumers", "consumers",
                    "config", "config", "leader_only", "leader-only", "offset", "offset", "limit", "limit"),
            "HEALTHZ", Map.of("js-enabled", "js-enabled", "js-enabled-only", "js-enabled-only",
                    "js-server-only", "js-server-only", "js-meta-only", "js-meta-only", "account", "account",
                    "stream", "stream", "consumer", "consumer", "details", "details"));

    private final Node node;
    private final Server server;
    private final Monitor monitor;
    private final MonitorRequests requests;
    private final GoJson json = new GoJson();
    private final AtomicLong seq = new AtomicLong();
    private final List<InternalSubscription> subs = new ArrayList<>();
    private volatile Account sys;

    public SystemServices(Node node, Monitor monitor) {
        this.node = node;
        this.server = node.server();
        this.monitor = monitor;
        this.requests = new MonitorRequests(monitor);
    }

    /** Subscribes the services in the system account and listens for connection events. */
    public void start() {
        String name = server.options().effectiveSystemAccount();
        if (name == null) {
            return;
        }
        Account a = server.account(name);
        sys = a;
        subs.add(a.subscribe("$SYS.REQ.SERVER.PING", null, (subject, reply, data, off, hdrLen, totalLen) ->
                serve("STATSZ", reply, body(data, off, hdrLen, totalLen))));
        subs.add(a.subscribe("$SYS.REQ.SERVER.PING.*", null, (subject, reply, data, off, hdrLen, totalLen) ->
                serve(subject.substring("$SYS.REQ.SERVER.PING.".length()), reply, body(data, off, hdrLen, totalLen))));
        String own = "$SYS.REQ.SERVER." + server.serverId() + ".";
        subs.add(a.subscribe(own + "*", null, (subject, reply, data, off, hdrLen, totalLen) ->
                serve(subject.substring(own.length()), reply, body(data, off, hdrLen, totalLen))));
        server.addService(this);
        io.weft.engine.auth.OperatorMode mode = server.options().auth.operatorMode;
        if (mode != null) {
            try {
                new ClaimsResolver(server, this, mode.resolver()).start(a);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("resolver dir: " + e.getMessage(), e);
            }
        }
    }

    private static byte[] body(byte[] data, int off, int hdrLen, int totalLen) {
        return java.util.Arrays.copyOfRange(data, off + hdrLen, off + totalLen);
    }

    @Override
    public void stop() {
        Account a = sys;
        if (a != null) {
            subs.forEach(a::unsubscribe);
        }
        subs.clear();
    }

    // ---------------------------------------------------------------- requests

    private void serve(String kind, String reply, byte[] body) {
        if (reply == null || reply.isEmpty() || !KINDS.containsKey(kind)) {
            return;
        }
        server.env().spawner().spawn("sys-" + kind.toLowerCase(), () -> answer(kind, reply, body));
    }

    private void answer(String kind, String reply, byte[] body) {
        Account a = sys;
        if (a == null) {
            return;
        }
        try {
            ObjectNode opts;
            String problem = GoDecode.isEmpty(body) ? null : GoDecode.problem(body, optionsShape(kind));
            if (problem != null) {
                // json.Unmarshal's own text: without the offset nats-server's API decoder adds
                problem = problem.replaceFirst(" at offset \\d+$", "");
                a.publish(reply, null, null, SubjectBytes.jsonBytes(json.compact(
                        new Response(info(), null, new ApiError(400, problem)))));
                return;
            }
            opts = GoDecode.isEmpty(body) ? MAPPER.createObjectNode() : GoDecode.merged(body, MAPPER);
            if (filtered(opts)) {
                return;
            }
            Object out;
            switch (kind) {
                case "IDZ" -> out = new ServerId(name(), host(), server.serverId());
                case "STATSZ" -> out = new StatszMessage(info(), statsz());
                default -> {
                    Object doc;
                    try {
                        doc = requests.document(KINDS.get(kind), query(kind, opts));
                    } catch (MonitorException e) {
                        out = new Response(info(), null, new ApiError(400, e.getMessage()));
                        break;
                    }
                    if (doc instanceof io.weft.engine.monitor.Healthz h) {
                        ObjectNode n = MAPPER.readValue(json.compact(h), ObjectNode.class);
                        n.put("status_code", h.httpStatus()); // the HTTP status, in the document here
                        doc = n;
                    }
                    out = new Response(info(), doc, null);
                }
            }
            a.publish(reply, null, null, SubjectBytes.jsonBytes(json.compact(out)));
        } catch (IOException | RuntimeException e) {
            a.publish(reply, null, null, SubjectBytes.jsonBytes(json.compact(
                    new Response(info(), null, new ApiError(500, String.valueOf(e.getMessage()))))));
        }
    }

    /** The Go struct a kind's body decodes into: its options and the event filter. */
    private static GoDecode.Struct optionsShape(String kind) {
        Map<String, GoDecode.Shape> f = new java.util.LinkedHashMap<>();
        f.put("server_name", GoDecode.STRING);
        f.put("cluster", GoDecode.STRING);
        f.put("host", GoDecode.STRING);
        f.put("exact_match", GoDecode.BOOL);
        f.put("tags", new GoDecode.Slice(GoDecode.STRING));
        f.put("domain", GoDecode.STRING);
        for (String k : OPTION_NAMES.getOrDefault(kind, Map.of()).keySet()) {
            f.put(k, switch (k) {
                case "offset", "limit", "cid" -> GoDecode.INT;
                case "sort", "state", "user", "acc", "filter_subject", "account", "test", "stream", "consumer" ->
                        GoDecode.STRING;
                default -> GoDecode.BOOL;
            });
        }
        String go = switch (kind) {
            case "STATSZ", "IDZ" -> "StatszEventOptions";
            default -> kind.charAt(0) + kind.substring(1).toLowerCase() + "EventOptions";
        };
        return new GoDecode.Struct(go, f);
    }

    /** nats-server's event filter: true when this server is not one the request asks for. */
    private boolean filtered(ObjectNode o) {
        String name = o.path("server_name").asText("");
        String cluster = o.path("cluster").asText("");
        String host = o.path("host").asText("");
        String myCluster = server.options().clusterName == null ? "" : server.options().clusterName;
        if (o.path("exact_match").asBoolean(false)) {
            if (!name.isEmpty() && !name.equals(name()) || !host.isEmpty() && !host.equals(host())
                    || !cluster.isEmpty() && !cluster.equals(myCluster)) {
                return true;
            }
        } else if (!name.isEmpty() && !name().contains(name) || !host.isEmpty() && !host().contains(host)
                || !cluster.isEmpty() && !myCluster.contains(cluster)) {
            return true;
        }
        JsonNode tags = o.path("tags");
        if (tags.isArray() && !tags.isEmpty()) {
            List<String> mine = List.of(); // weft has no server_tags yet
            for (JsonNode t : tags) {
                if (!mine.contains(t.asText())) {
                    return true;
                }
            }
        }
        String domain = o.path("domain").asText("");
        String myDomain = server.options().jetstreamDomain == null ? "" : server.options().jetstreamDomain;
        return !domain.isEmpty() && !domain.equals(myDomain);
    }

    /** The monitoring query equivalent to a request's options. */
    private static MonitorQuery query(String kind, ObjectNode opts) {
        Map<String, String> names = OPTION_NAMES.getOrDefault(kind, Map.of());
        StringBuilder q = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = opts.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String to = names.get(e.getKey());
            JsonNode v = e.getValue();
            if (to == null || v.isNull() || v.isBoolean() && !v.asBoolean() || v.isTextual() && v.asText().isEmpty()) {
                continue; // Go's zero values: the option is not set
            }
            if (q.length() > 0) {
                q.append('&');
            }
            if (to.contains("=")) {
                q.append(to);
            } else {
                q.append(to).append('=').append(URLEncoder.encode(v.isBoolean() ? "true" : v.asText(),
                        StandardCharsets.UTF_8));
            }
        }
        return MonitorQuery.parse(q.toString());
    }

    // ---------------------------------------------------------------- events

    @Override
    public void clientConnected(ClientConnection c) {
        Account a = sys;
        if (a == null) {
            return;
        }
        String acc = c.accountName();
        String subject = "$SYS.ACCOUNT." + acc + ".CONNECT";
        if (!a.hasInterest(subject)) {
            accountConns(a, acc);
            return; // nobody listens: no event built on the connection's path
        }
        ConnectEvent e = new ConnectEvent("io.nats.server.advisory.v1.client_connect",
                JsIds.random(server.env().entropy(), JsIds.ID_LENGTH), nowText(), info(), client(c, false));
        a.publish(subject, null, null, SubjectBytes.jsonBytes(json.compact(e)));
        accountConns(a, acc);
    }

    /**
     * {@code $SYS.ACCOUNT.<account>.SERVER.CONNS}: the account's connection and traffic counts on
     * this server (type {@code account_connections}, /accstatz's fields), after each of its clients
     * connects or closes.
     */
    private void accountConns(Account sysAccount, String acc) {
        String subject = "$SYS.ACCOUNT." + acc + ".SERVER.CONNS";
        if (!sysAccount.hasInterest(subject)) {
            return; // the counts walk every open client: only when someone listens
        }
        io.weft.engine.monitor.Accstatz.AccountStat stat = null;
        for (var st : monitor.accstatz(true).accountStatz()) {
            if (st.acc().equals(acc)) {
                stat = st;
            }
        }
        if (stat == null) {
            return;
        }
        ObjectNode ev = MAPPER.createObjectNode();
        ev.put("type", "io.nats.server.advisory.v1.account_connections");
        ev.put("id", JsIds.random(server.env().entropy(), JsIds.ID_LENGTH));
        ev.put("timestamp", nowText());
        ev.set("server", MAPPER.valueToTree(info()));
        ev.setAll((ObjectNode) MAPPER.valueToTree(stat));
        sysAccount.publish(subject, null, null, SubjectBytes.jsonBytes(json.compact(ev)));
    }

    @Override
    public void clientClosed(ClientConnection c) {
        Account a = sys;
        if (a == null) {
            return;
        }
        String acc = c.accountName();
        String subject = "$SYS.ACCOUNT." + acc + ".DISCONNECT";
        if (!a.hasInterest(subject)) {
            accountConns(a, acc);
            return;
        }
        DisconnectEvent e = new DisconnectEvent("io.nats.server.advisory.v1.client_disconnect",
                JsIds.random(server.env().entropy(), JsIds.ID_LENGTH), nowText(), info(), client(c, true),
                new MsgBytes(c.outMsgs(), c.outBytes()), new MsgBytes(c.inMsgs(), c.inBytes()), c.closeReason());
        a.publish(subject, null, null, SubjectBytes.jsonBytes(json.compact(e)));
        accountConns(a, acc);
    }

    private ClientInfo client(ClientConnection c, boolean stopped) {
        var o = c.connectOptions();
        return new ClientInfo(JsTime.format(c.startMillis() * 1_000_000L), c.ip(), c.cid(), c.accountName(),
                c.authorizedUser(), o == null ? null : o.name(), o == null ? null : o.lang(),
                o == null ? null : o.version(), c.rttNanos(),
                stopped ? JsTime.format(Math.max(c.stopMillis(), c.startMillis()) * 1_000_000L) : null,
                c.accountName(), "Client", "nats");
    }

    // ---------------------------------------------------------------- shapes

    private String name() {
        return server.serverName();
    }

    private String host() {
        return server.options().host;
    }

    private String nowText() {
        return JsTime.format(server.env().clock().currentTimeMillis() * 1_000_000L);
    }

    /** The {@code server} object of every response and event: who answers, and its event sequence. */
    ServerInfo info() {
        ServerOptions o = server.options();
        boolean js = node.jetStream() != null;
        List<String> tags = List.of();
        return new ServerInfo(name(), host(), server.serverId(), o.clusterName, o.jetstreamDomain,
                Server.COMPAT_VERSION, tags, js, js ? 1 : 0, seq.incrementAndGet(), nowText());
    }

    private Statsz statsz() {
        Varz v = monitor.varz();
        return new Statsz(v.start(), v.mem(), v.cores(), v.cpu(), v.connections(), v.totalConnections(),
                activeAccounts(), v.subscriptions(), new MsgBytes(v.outMsgs(), v.outBytes()),
                new MsgBytes(v.outClientMsgs(), v.outClientBytes()), new MsgBytes(v.inMsgs(), v.inBytes()),
                new MsgBytes(v.inClientMsgs(), v.inClientBytes()), v.slowConsumers(),
                v.slowConsumers() > 0 ? v.slowConsumerStats() : null, v.staleConnections(), v.stalledClients(),
                (int) (1 + v.routes()), node.jetStream() != null ? v.jetstream() : null, v.gomaxprocs());
    }

    private int activeAccounts() {
        int n = 0;
        for (Account a : server.accounts()) {
            if (a.clientCount() > 0) {
                n++;
            }
        }
        return n;
    }

    record ServerInfo(String name, String host, String id, @JsonInclude(Include.NON_EMPTY) String cluster,
                      @JsonInclude(Include.NON_EMPTY) String domain, String ver,
                      @JsonInclude(Include.NON_EMPTY) List<String> tags, boolean jetstream, int flags, long seq,
                      String time) {
    }

    record ServerId(String name, String host, String id) {
    }

    record ApiError(int code, String description) {
    }

    record Response(ServerInfo server, @JsonInclude(Include.NON_NULL) Object data,
                    @JsonInclude(Include.NON_NULL) ApiError error) {
    }

    record MsgBytes(long msgs, long bytes) {
    }

    record Statsz(String start, long mem, int cores, double cpu, long connections,
                  @JsonProperty("total_connections") long totalConnections,
                  @JsonProperty("active_accounts") int activeAccounts, long subscriptions, MsgBytes sent,
                  @JsonProperty("sent_to_clients") MsgBytes sentToClients, MsgBytes received,
                  @JsonProperty("received_from_clients") MsgBytes receivedFromClients,
                  @JsonProperty("slow_consumers") long slowConsumers,
                  @JsonInclude(Include.NON_NULL) @JsonProperty("slow_consumer_stats") Varz.ByKind slowConsumerStats,
                  @JsonInclude(Include.NON_DEFAULT) @JsonProperty("stale_connections") long staleConnections,
                  @JsonInclude(Include.NON_DEFAULT) @JsonProperty("stalled_clients") long stalledClients,
                  @JsonProperty("active_servers") int activeServers,
                  @JsonInclude(Include.NON_NULL) Varz.JetStreamVarz jetstream, int gomaxprocs) {
    }

    record StatszMessage(ServerInfo server, Statsz statsz) {
    }

    @JsonInclude(Include.NON_EMPTY)
    record ClientInfo(String start, String host, long id, String acc, String user, String name, String lang,
                      String ver, @JsonInclude(Include.NON_DEFAULT) long rtt, String stop,
                      @JsonProperty("name_tag") String nameTag, String kind, @JsonProperty("client_type") String clientType) {
    }

    record ConnectEvent(String type, String id, String timestamp, ServerInfo server, ClientInfo client) {
    }

    record DisconnectEvent(String type, String id, String timestamp, ServerInfo server, ClientInfo client,
                           MsgBytes sent, MsgBytes received, String reason) {
    }
}
