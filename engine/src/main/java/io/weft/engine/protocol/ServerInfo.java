package io.weft.engine.protocol;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON argument of INFO, with nats-server's field names. {@link #toJson()} writes the fields
 * in nats-server 2.9's order and leaves out the optional ones that are absent (null strings,
 * false booleans, 0 client id, empty connect_urls) exactly as nats-server does; server_id,
 * server_name, version, proto, go, host, port, headers and max_payload are always written.
 * Observed from nats-server 2.9.10:
 * <pre>{"server_id":"N…","server_name":"myname","version":"2.9.10","proto":1,"go":"go1.19.8","host":"0.0.0.0",
 * "port":4222,"headers":true,"auth_required":true,"max_payload":1048576,"jetstream":true,"client_id":6,
 * "client_ip":"127.0.0.1","cluster":"cc"}</pre>
 */
public record ServerInfo(
        String serverId,
        String serverName,
        String version,
        int proto,
        String gitCommit,
        String go,
        String host,
        int port,
        boolean headers,
        boolean authRequired,
        boolean tlsRequired,
        boolean tlsVerify,
        boolean tlsAvailable,
        long maxPayload,
        boolean jetstream,
        String ip,
        long clientId,
        String clientIp,
        String nonce,
        String cluster,
        String domain,
        List<String> connectUrls,
        boolean ldm,
        boolean connectInfo,
        String remoteAccount,
        int apiLevel,
        String xkey) {

    private static final ObjectReader READER = JsonMapper.builder().build().reader();

    public ServerInfo {
        connectUrls = connectUrls == null ? List.of() : List.copyOf(connectUrls);
    }

    /** Without the fields of nats-server 2.11+ ({@code connect_info}, {@code remote_account}, {@code api_lvl}). */
    public ServerInfo(String serverId, String serverName, String version, int proto, String gitCommit, String go,
                      String host, int port, boolean headers, boolean authRequired, boolean tlsRequired,
                      boolean tlsVerify, boolean tlsAvailable, long maxPayload, boolean jetstream, String ip,
                      long clientId, String clientIp, String nonce, String cluster, String domain,
                      List<String> connectUrls, boolean ldm, String xkey) {
        this(serverId, serverName, version, proto, gitCommit, go, host, port, headers, authRequired, tlsRequired,
                tlsVerify, tlsAvailable, maxPayload, jetstream, ip, clientId, clientIp, nonce, cluster, domain,
                connectUrls, ldm, false, null, 0, xkey);
    }

    /**
     * The INFO nats-server 2.11+ sends right after a client's CONNECT (protocol 1): the same with
     * {@code connect_info: true} and the account the client was bound to.
     */
    public ServerInfo withConnectInfo(String account) {
        return new ServerInfo(serverId, serverName, version, proto, gitCommit, go, host, port, headers, authRequired,
                tlsRequired, tlsVerify, tlsAvailable, maxPayload, jetstream, ip, clientId, clientIp, nonce, cluster,
                domain, connectUrls, ldm, true, account, apiLevel, xkey);
    }

    /** The per-connection copy a server sends to one client. */
    public ServerInfo withClient(long clientId, String clientIp, String nonce) {
        return new ServerInfo(serverId, serverName, version, proto, gitCommit, go, host, port, headers, authRequired,
                tlsRequired, tlsVerify, tlsAvailable, maxPayload, jetstream, ip, clientId, clientIp, nonce, cluster,
                domain, connectUrls, ldm, connectInfo, remoteAccount, apiLevel, xkey);
    }

    public String toJson() {
        StringBuilder sb = new StringBuilder(256);
        sb.append('{');
        str(sb, "server_id", serverId, true);
        str(sb, "server_name", serverName, true);
        str(sb, "version", version, true);
        sb.append(",\"proto\":").append(proto);
        str(sb, "git_commit", gitCommit, false);
        str(sb, "go", go, true);
        str(sb, "host", host, true);
        sb.append(",\"port\":").append(port);
        sb.append(",\"headers\":").append(headers);
        bool(sb, "auth_required", authRequired);
        bool(sb, "tls_required", tlsRequired);
        bool(sb, "tls_verify", tlsVerify);
        bool(sb, "tls_available", tlsAvailable);
        sb.append(",\"max_payload\":").append(maxPayload);
        bool(sb, "jetstream", jetstream);
        str(sb, "ip", ip, false);
        if (clientId != 0) {
            sb.append(",\"client_id\":").append(clientId);
        }
        str(sb, "client_ip", clientIp, false);
        str(sb, "nonce", nonce, false);
        str(sb, "cluster", cluster, false);
        str(sb, "domain", domain, false);
        if (!connectUrls.isEmpty()) {
            sb.append(",\"connect_urls\":[");
            for (int i = 0; i < connectUrls.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                Json.quote(sb, connectUrls.get(i));
            }
            sb.append(']');
        }
        bool(sb, "ldm", ldm);
        bool(sb, "connect_info", connectInfo);
        str(sb, "remote_account", remoteAccount, false);
        if (apiLevel > 0) {
            sb.append(",\"api_lvl\":").append(apiLevel);
        }
        str(sb, "xkey", xkey, false);
        return sb.append('}').toString();
    }

    private static void str(StringBuilder sb, String name, String value, boolean always) {
        if (value == null || value.isEmpty()) {
            if (!always) {
                return;
            }
            value = "";
        }
        if (sb.length() > 1) {
            sb.append(',');
        }
        sb.append('"').append(name).append("\":");
        Json.quote(sb, value);
    }

    private static void bool(StringBuilder sb, String name, boolean value) {
        if (value) {
            sb.append(",\"").append(name).append("\":true");
        }
    }

    /** Parses an INFO argument (used by client-side code: sim clients, bench). Unknown fields are ignored. */
    public static ServerInfo parse(String json) throws ProtocolException {
        JsonNode n;
        try {
            n = READER.readTree(json);
        } catch (JacksonException e) {
            throw new ProtocolException("invalid INFO JSON: " + e.getOriginalMessage(), true, false);
        }
        if (n == null || !n.isObject()) {
            throw new ProtocolException("INFO argument is not a JSON object", true, false);
        }
        List<String> urls = new ArrayList<>();
        JsonNode u = n.get("connect_urls");
        if (u != null && u.isArray()) {
            for (JsonNode e : u) {
                urls.add(e.asText());
            }
        }
        return new ServerInfo(text(n, "server_id"), text(n, "server_name"), text(n, "version"),
                n.path("proto").asInt(0), text(n, "git_commit"), text(n, "go"), text(n, "host"),
                n.path("port").asInt(0), n.path("headers").asBoolean(false), n.path("auth_required").asBoolean(false),
                n.path("tls_required").asBoolean(false), n.path("tls_verify").asBoolean(false),
                n.path("tls_available").asBoolean(false), n.path("max_payload").asLong(0),
                n.path("jetstream").asBoolean(false), text(n, "ip"), n.path("client_id").asLong(0),
                text(n, "client_ip"), text(n, "nonce"), text(n, "cluster"), text(n, "domain"), urls,
                n.path("ldm").asBoolean(false), n.path("connect_info").asBoolean(false), text(n, "remote_account"),
                n.path("api_lvl").asInt(0), text(n, "xkey"));
    }

    private static String text(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.asText();
    }
}
