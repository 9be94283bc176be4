package io.weft.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerOptions;
import io.weft.engine.auth.AuthConfig;
import io.weft.engine.auth.Permissions;
import io.weft.engine.auth.User;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionsMapperTest {
    private static final String NKEY = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

    private static MappedConfig map(String text) {
        return map(text, Map.of());
    }

    private static MappedConfig map(String text, Map<String, String> env) {
        ConfigMap tree = new ConfigParser(env::get).parseString(text, "m.conf", null);
        return new OptionsMapper(env::get).map(tree);
    }

    private static ServerOptions opts(String text) {
        return map(text).options();
    }

    private static String error(String text) {
        return assertThrows(ConfigException.class, () -> map(text)).getMessage();
    }

    @Test
    void pinnedCertsMustBeSha256HexAsNatsServer() {
        String e = error("tls { cert_file: a.pem, key_file: a.key, pinned_certs: [\"00ff\"] }");
        assertTrue(e.contains("'pinned_certs' key 00ff does not look like hex-encoded sha256 of DER encoded SubjectPublicKeyInfo"), e);
    }

    @Test
    void emptyFileGivesNatsDefaultsFromReferenceConf() {
        ServerOptions o = opts("");
        ServerOptions d = new ServerOptions();
        assertEquals(d.host, o.host);
        assertEquals(d.port, o.port);
        assertEquals(d.maxPayload, o.maxPayload);
        assertEquals(d.maxControlLine, o.maxControlLine);
        assertEquals(d.maxConnections, o.maxConnections);
        assertEquals(d.maxPending, o.maxPending);
        assertEquals(d.pingInterval, o.pingInterval);
        assertEquals(d.pingMax, o.pingMax);
        assertEquals(d.writeDeadline, o.writeDeadline);
        assertEquals(d.authTimeout, o.authTimeout);
        assertEquals(d.lameDuckDuration, o.lameDuckDuration);
        assertEquals(d.lameDuckGracePeriod, o.lameDuckGracePeriod);
        assertEquals(d.logTime, o.logTime);
        assertEquals(d.jetstreamMaxMemory, o.jetstreamMaxMemory);
        assertTrue(o.auth.isEmpty());
    }

    @Test
    void weftEnvironmentOverridesDefaultsButNotTheFile() {
        Map<String, String> env = Map.of("WEFT_PORT", "5222", "WEFT_PING_INTERVAL", "30s", "WEFT_MAX_PAYLOAD", "2048");
        ServerOptions o = map("", env).options();
        assertEquals(5222, o.port);
        assertEquals(Duration.ofSeconds(30), o.pingInterval);
        assertEquals(2048, o.maxPayload);
        assertEquals(6222, map("port: 6222", env).options().port);
    }

    @Test
    void lameDuckMinimumCanBeLoweredFromTheEnvironmentOnly() {
        Map<String, String> env = Map.of("WEFT_LAME_DUCK_MINIMUM", "1s");
        assertEquals(Duration.ofSeconds(5), map("lame_duck_duration: 5s", env).options().lameDuckDuration);
        assertThrows(ConfigException.class, () -> map("lame_duck_duration: 500ms", env));
    }

    @Test
    void networkAndMonitoring() {
        ServerOptions o = opts("host: 127.0.0.1\nport: 4333\nserver_name: s1\nclient_advertise: \"example.com:4222\"\nhttp_port: 8222\n");
        assertEquals("127.0.0.1", o.host);
        assertEquals(4333, o.port);
        assertEquals("s1", o.serverName);
        assertEquals("example.com:4222", o.clientAdvertise);
        assertEquals(8222, o.httpPort);
        assertEquals("10.0.0.1", opts("net: 10.0.0.1").host);
        ServerOptions l = opts("listen: 127.0.0.2:4555\nhttp: localhost:8333\n");
        assertEquals("127.0.0.2", l.host);
        assertEquals(4555, l.port);
        assertEquals("localhost", l.httpHost);
        assertEquals(8333, l.httpPort);
        assertEquals(9222, opts("http: 9222").httpPort);
        assertEquals(9223, opts("monitor_port: 9223").httpPort);
        assertEquals("127.0.0.9", opts("http_host: 127.0.0.9").httpHost);
        assertEquals(-1, opts("port: -1").port);
        assertEquals(8443, opts("https_port: 8443").httpsPort);
    }

    @Test
    void limits() {
        ServerOptions o = opts("max_payload: 2MB\nmax_control_line: 2KB\nmax_connections: 100\nmax_subscriptions: 7\nmax_pending: 128MB\nping_max: 5\n");
        assertEquals(2L << 20, o.maxPayload);
        assertEquals(2048, o.maxControlLine);
        assertEquals(100, o.maxConnections);
        assertEquals(7, o.maxSubscriptions);
        assertEquals(128L << 20, o.maxPending);
        assertEquals(5, o.pingMax);
        assertEquals(9, opts("max_subs: 9").maxSubscriptions);
        assertEquals(11, opts("max_conn: 11").maxConnections);
    }

    @Test
    void maxPayloadAbove64MbIsRejected() {
        String msg = error("max_payload: 65MB\nmax_pending: 1GB\n");
        assertTrue(msg.startsWith("m.conf:1:14: max_payload (68157440) cannot be higher than 67108864"), msg);
        assertEquals(64L << 20, opts("max_payload: 64MB\nmax_pending: 64MB").maxPayload);
        assertTrue(error("max_payload: 2MB\nmax_pending: 1MB\n").contains("cannot be higher than max_pending"));
        assertEquals(new ServerOptions().maxPayload, opts("max_payload: 0").maxPayload, "0 keeps the default, as nats-server");
        assertEquals(new ServerOptions().maxControlLine, opts("max_control_line: 0").maxControlLine);
        assertTrue(error("max_payload: -1").contains("must not be negative"));
    }

    @Test
    void durations() {
        assertEquals(Duration.ofSeconds(10), opts("ping_interval: 10s").pingInterval);
        assertEquals(Duration.ofMillis(500), opts("ping_interval: 500ms").pingInterval);
        assertEquals(Duration.ofMinutes(90), opts("ping_interval: 1h30m").pingInterval);
        assertEquals(Duration.ofMinutes(2), opts("ping_interval: \"2m\"").pingInterval);
        MappedConfig plain = map("ping_interval: 60");
        assertEquals(Duration.ofSeconds(60), plain.options().pingInterval);
        assertTrue(plain.warnings().get(0).contains("should be written as a duration"), plain.warnings().toString());
        assertEquals(Duration.ofSeconds(5), opts("write_deadline: \"5s\"").writeDeadline);
        assertEquals(Duration.ofSeconds(45), opts("lame_duck_duration: 45s").lameDuckDuration);
        assertEquals(Duration.ofSeconds(3), opts("lame_duck_grace_period: 3s").lameDuckGracePeriod);
        // nats-server quirk, verified on 2.9.10: unquoted 2m is the size 2000000, i.e. seconds.
        MappedConfig quirk = map("ping_interval: 2m");
        assertEquals(Duration.ofSeconds(2_000_000), quirk.options().pingInterval);
        assertTrue(quirk.warnings().get(0).contains("quotes"), quirk.warnings().toString());
        assertTrue(error("ping_interval: 1.5").startsWith("m.conf:1:16: \"ping_interval\" must be a duration"));
        assertTrue(error("ping_interval: 5parsecs").contains("unknown unit"));
        assertTrue(error("lame_duck_duration: 5s").contains("invalid lame_duck_duration of 5s, minimum is 30 seconds"));
    }

    @Test
    void loggingAndFiles() {
        ServerOptions o = opts("debug: true\ntrace: yes\nlogtime: off\nlog_file: /tmp/w.log\npid_file: /tmp/w.pid\ndisable_sublist_cache: true\n");
        assertTrue(o.debug);
        assertTrue(o.trace);
        assertFalse(o.logTime);
        assertEquals("/tmp/w.log", o.logFile);
        assertEquals("/tmp/w.pid", o.pidFile);
        assertEquals("/tmp/l", opts("logfile: /tmp/l").logFile);
        assertEquals("/tmp/p", opts("pidfile: /tmp/p").pidFile);
    }

    @Test
    void wrongTypesNameTheValuePosition() {
        assertEquals("m.conf:1:7: \"port\" must be an integer, got string \"abc\"", error("port: \"abc\""));
        assertEquals("m.conf:2:10: \"debug\" must be a boolean (true/false), got integer \"1\"", error("port: 1\n  debug: 1"));
        assertTrue(error("server_name: 12").startsWith("m.conf:1:14: \"server_name\" must be a string"));
        assertTrue(error("authorization: 5").startsWith("m.conf:1:16: \"authorization\" must be a block"));
        assertTrue(error("port: 70000").contains("not a valid port"));
        assertEquals("a b", opts("server_name: \"a b\"").serverName, "nats-server 2.9.10 accepts spaces");
    }

    @Test
    void unknownTopLevelFieldIsAnErrorUnlessUsedAsVariable() {
        assertEquals("m.conf:2:1: unknown field \"foo\"", error("port: 1\nfoo: bar\n"));
        assertEquals("abc", opts("TOK: abc\nauthorization { token: $TOK }\n").auth.token);
        String both = error("foo: 1\nbar: 2\n");
        assertEquals(2, both.lines().count(), "every problem is reported: " + both);
    }

    @Test
    void unsupportedBlocksAreAcceptedWithWarnings() {
        MappedConfig m = map("leafnodes { port: 7422 }\ngateway { name: g }\nmqtt { port: 1883 }\n");
        assertEquals(3, m.warnings().size(), m.warnings().toString());
        assertTrue(m.warnings().get(0).startsWith("m.conf:1:1: \"leafnodes\""));
    }

    @Test
    void clusterBlock() {
        MappedConfig m = map("cluster { name: c, listen: 127.0.0.1:6333, routes: [\"nats-route://a:6222\", \"nats://[::1]:7\"],"
                + " no_advertise: true, connect_retries: 3, advertise: \"h:1\" }\n");
        assertTrue(m.warnings().isEmpty(), m.warnings().toString());
        assertEquals("c", m.options().clusterName);
        assertEquals("127.0.0.1", m.options().clusterHost);
        assertEquals(6333, m.options().clusterPort);
        assertEquals(java.util.List.of("a:6222", "[::1]:7"), m.options().routes);
        assertTrue(m.options().clusterNoAdvertise);
        assertEquals(3, m.options().clusterConnectRetries);
        assertEquals("h:1", m.options().clusterAdvertise);
        assertEquals(6222, map("cluster { name: c }\n").options().clusterPort);
    }

    /**
     * Weft keeps one route per peer for every account, uncompressed: the settings that say so
     * (nats-server's pool_size -1, no pinned accounts, compression off) are accepted, every other
     * value is refused with a message saying why.
     */
    @Test
    void poolSizeAccountsAndCompressionOnlyAsWeftRoutes() {
        for (String ok : java.util.List.of("pool_size: -1", "accounts: []", "compression: off", "compression: false",
                "compression: disabled", "compression: \"off\"", "compression: { mode: off }")) {
            MappedConfig m = map("cluster { name: c, " + ok + " }\n");
            assertTrue(m.warnings().isEmpty(), ok + ": " + m.warnings());
        }
        ConfigException e = assertThrows(ConfigException.class, () -> map("cluster { name: c, pool_size: 3 }\n"));
        assertTrue(e.getMessage().contains("\"cluster.pool_size\" 3: weft keeps one route per peer for every account"
                + " (no route pooling); only pool_size: -1, which says that, is accepted"), e.getMessage());
        assertThrows(ConfigException.class, () -> map("cluster { name: c, pool_size: 0 }\n"));
        e = assertThrows(ConfigException.class, () -> map("cluster { name: c, accounts: [a] }\n"));
        assertTrue(e.getMessage().contains("\"cluster.accounts\": weft does not give accounts dedicated routes"), e.getMessage());
        for (String bad : java.util.List.of("s2_auto", "on", "true", "s2_fast", "{ mode: s2_best }", "accept")) {
            e = assertThrows(ConfigException.class, () -> map("cluster { name: c, compression: " + bad + " }\n"), bad);
            assertTrue(e.getMessage().contains("\"cluster.compression\": weft does not compress routes"), e.getMessage());
        }
    }

    @Test
    void clusterAuthorizationAndRouteCredentials() {
        MappedConfig m = map("cluster { name: c, authorization { user: ruser, password: rpass, timeout: 3 },"
                + " routes: [\"nats-route://u:p%40ss@a:6222\", \"nats://b:7\", \"nats-route://solo@c:8/\"] }\n");
        assertEquals("ruser", m.options().clusterUser);
        assertEquals("rpass", m.options().clusterPassword);
        assertEquals(java.time.Duration.ofSeconds(3), m.options().clusterAuthTimeout);
        assertEquals(java.util.List.of("a:6222", "b:7", "c:8"), m.options().routes);
        assertEquals(new io.weft.engine.ServerOptions.RouteCredentials("u", "p@ss"), m.options().routeCredentials.get("a:6222"));
        assertEquals(new io.weft.engine.ServerOptions.RouteCredentials("solo", ""), m.options().routeCredentials.get("c:8"));
        assertEquals(null, m.options().routeCredentials.get("b:7"));
        // nats-server's default: 2 seconds without TLS
        assertEquals(java.time.Duration.ofSeconds(2), map("cluster { authorization { user: a, password: b } }\n").options().clusterAuthTimeout);
        // nats-server's words for what a route user cannot be
        ConfigException e = assertThrows(ConfigException.class, () -> map("cluster {\n  authorization { token: t }\n}\n"));
        assertTrue(e.getMessage().contains(":2:3: Cluster authorization does not support tokens"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> map("cluster { authorization { users: [ {user: a, password: b} ] } }\n"));
        assertTrue(e.getMessage().contains("Cluster authorization does not allow multiple users"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> map("cluster { authorization { user: a, password: b, permissions: { import: x } } }\n"));
        assertTrue(e.getMessage().contains("\"cluster.authorization.permissions\" " + OptionsMapper.REFUSED), e.getMessage());
    }

    @Test
    void singleUserAndToken() {
        AuthConfig a = opts("authorization { user: derek\n password: $2a$11$3kIDaCxw.Glsl1.u5nKa6eUnNDLV5HV9tIuUp7EHhMt6Nm9myW1a\n timeout: 1.5 }").auth;
        assertEquals("derek", a.user);
        assertTrue(a.password.startsWith("$2a$11$"), "bcrypt hashes are not variables");
        assertEquals(1.5, a.timeoutSeconds);
        assertEquals("s3cr3t", opts("authorization { token: s3cr3t }").auth.token);
        assertTrue(error("authorization { token: t, user: u }").contains("cannot have a token"));
        assertTrue(error("authorization { bogus: 1 }").contains("unknown field \"bogus\""));
    }

    @Test
    void usersWithPermissionsAndDefaults() {
        AuthConfig a = opts("""
                authorization {
                  default_permissions = { publish = "SANDBOX.*" }
                  ADMIN = { publish = ">", subscribe = ">" }
                  REQUESTOR = {
                    publish = ["req.a", "req.b"]
                    subscribe = "_INBOX.>"
                  }
                  RESPONDER = {
                    publish = { allow: "_INBOX.>", deny: ["_INBOX.secret"] }
                    subscribe = { allow: ["req.a", "req.b q1"] }
                    allow_responses = { max: 5, expires: "1m" }
                  }
                  users = [
                    {user: admin,   password: secret, permissions: $ADMIN}
                    {user: client,  password: pw,     permissions: $REQUESTOR}
                    {user: service, password: pw2,    permissions: $RESPONDER}
                    {user: other,   password: pw3}
                    {nkey: %s, permissions: {subscribe: {deny: ">"}, allow_responses: true}}
                  ]
                }
                """.formatted(NKEY)).auth;
        assertEquals(List.of("SANDBOX.*"), a.defaultPermissions.publish().allow());
        assertEquals(4, a.users.size());
        User admin = a.users.get(0);
        assertEquals("admin", admin.username());
        assertEquals("secret", admin.password());
        assertEquals(List.of(">"), admin.permissions().publish().allow());
        assertNull(admin.account());
        Permissions req = a.users.get(1).permissions();
        assertEquals(List.of("req.a", "req.b"), req.publish().allow());
        assertEquals(List.of("_INBOX.>"), req.subscribe().allow());
        Permissions svc = a.users.get(2).permissions();
        assertEquals(List.of("_INBOX.secret"), svc.publish().deny());
        assertEquals(List.of("req.a", "req.b q1"), svc.subscribe().allow());
        assertEquals(new Permissions.ResponsePermission(5, Duration.ofMinutes(1)), svc.response());
        assertNull(a.users.get(3).permissions());
        assertEquals(1, a.nkeys.size());
        assertEquals(NKEY, a.nkeys.get(0).nkey());
        assertEquals(List.of(), a.nkeys.get(0).permissions().subscribe().allow());
        assertEquals(List.of(">"), a.nkeys.get(0).permissions().subscribe().deny());
        assertEquals(Permissions.ResponsePermission.DEFAULT, a.nkeys.get(0).permissions().response());
    }

    @Test
    void accountsWithUsersAndJetstream() {
        AuthConfig a = opts("""
                accounts {
                  A: { users: [ {user: a, password: a} ], jetstream: enabled }
                  B: {
                    users: [ {user: b, password: b}, {nkey: %s} ]
                    jetstream: {max_mem: 1G}
                  }
                  C: { users: [ {user: c, password: c} ], jetstream: false }
                }
                no_auth_user: a
                authorization { users: [ {user: g, password: g, account: C} ] }
                """.formatted(NKEY)).auth;
        assertEquals(List.of("A", "B", "C"), List.copyOf(a.accounts.keySet()));
        assertTrue(a.accounts.get("A").jetstream());
        assertTrue(a.accounts.get("B").jetstream());
        assertFalse(a.accounts.get("C").jetstream());
        assertEquals("A", a.users.get(0).account());
        assertEquals("B", a.users.get(1).account());
        assertEquals("B", a.nkeys.get(0).account());
        assertEquals("C", a.users.get(3).account());
        assertEquals("a", a.noAuthUser);
    }

    @Test
    void crossReferencesAreValidated() {
        String m1 = error("authorization { users: [ {user: a, password: b} ] }\nno_auth_user: bob\n");
        assertTrue(m1.startsWith("m.conf:2:15: no_auth_user: \"bob\" not present"), m1);
        String m2 = error("accounts { A: {} }\nauthorization { users: [ {user: a, password: b, account: Z} ] }\n");
        assertTrue(m2.startsWith("m.conf:2:58: account \"Z\" is not defined"), m2);
        assertTrue(error("authorization { users: [ {user: a}, {user: a} ] }").contains("duplicate user"));
        assertTrue(error("authorization { user: a, password: b }\nno_auth_user: a\n").contains("present, but users are not defined"));
        assertTrue(error("authorization { user: a, users: [ {user: b} ] }").contains("cannot have a single user together with a users list"));
        assertTrue(error("authorization { users: [ {nkey: NOTAKEY} ] }").contains("not a valid public user nkey"));
        String badChecksum = NKEY.substring(0, 55) + "5";
        assertTrue(error("authorization { users: [ {nkey: " + badChecksum + "} ] }").contains("not a valid public user nkey"));
        assertTrue(error("authorization { permissions: { publish: { allow: 5 } } }").contains("must be a subject or a list of subjects"));
    }

    @Test
    void jetstreamForms() {
        assertTrue(opts("jetstream: true").jetstream);
        assertTrue(opts("jetstream: enabled").jetstream);
        assertFalse(opts("jetstream: disabled").jetstream);
        assertFalse(opts("jetstream: off").jetstream);
        MappedConfig m = map("jetstream {\n store_dir: /data/js\n max_memory_store: 1GB\n max_file_store: 10G\n domain: hub\n sync_interval: \"2m\"\n}\n");
        ServerOptions o = m.options();
        assertTrue(o.jetstream);
        assertEquals("/data/js", o.storeDir);
        assertEquals(1L << 30, o.jetstreamMaxMemory);
        assertEquals(10_000_000_000L, o.jetstreamMaxStore);
        assertEquals("hub", o.jetstreamDomain);
        assertEquals(Duration.ofMinutes(2), m.jetstreamSyncInterval());
        assertEquals(Duration.ZERO, map("jetstream { sync_interval: always }").jetstreamSyncInterval());
        assertFalse(opts("jetstream { enabled: false, store_dir: /x }").jetstream);
        assertEquals("/y", opts("store_dir: /y").storeDir);
        assertTrue(error("jetstream: maybe").contains("expected 'enabled' or 'disabled'"));
        assertTrue(error("jetstream { bogus: 1 }").contains("unknown field \"bogus\""));
    }

    @Test
    void jetstreamBatchLimits() {
        MappedConfig m = map("jetstream {\n limits {\n  max_ha_assets: 3\n  batch {\n   max_inflight_per_stream: 7\n"
                + "   max_inflight_total: 70\n   max_msgs: 500\n   timeout: \"30s\"\n  }\n }\n}\n");
        ServerOptions o = m.options();
        assertEquals(7, o.jetstreamBatchInflightPerStream);
        assertEquals(70, o.jetstreamBatchInflightTotal);
        assertEquals(500, o.jetstreamBatchMaxMsgs);
        assertEquals(Duration.ofSeconds(30), o.jetstreamBatchTimeout);
        assertTrue(m.warnings().stream().anyMatch(w -> w.contains("\"max_ha_assets\" is not supported yet; ignored")), m.warnings().toString());
        ServerOptions d = opts("jetstream: true");
        assertEquals(0, d.jetstreamBatchMaxMsgs);
        assertEquals(Duration.ZERO, d.jetstreamBatchTimeout);
        assertTrue(error("jetstream { limits { batch { max_size: 3 } } }").contains("unknown field \"max_size\""));
        assertTrue(error("jetstream { limits { bogus: 3 } }").contains("unknown field \"bogus\""));
    }

    @Test
    void docsMappingExampleLoads() {
        ServerOptions o = opts("""
                server_name: "hub"
                cluster: { name: "hub" }
                accounts {
                accountA: {
                mappings: {
                orders.flush orders.central.flush
                "orders.*": "orders.central.{{wildcard(1)}}"
                }
                }
                }
                """);
        java.util.List<io.weft.engine.mapping.Mapping> m = o.auth.mappings.get("accountA");
        assertEquals(2, m.size());
        assertEquals("orders.central.flush", m.get(0).map("orders.flush", "hub", b -> 0));
        assertEquals("orders.central.x", m.get(1).map("orders.x", "hub", b -> 0));
    }

    /** The account of the cluster's Raft traffic cannot be given users, in either form of {@code accounts}. */
    @Test
    void theInternalTrafficAccountIsReserved() {
        for (String conf : List.of("accounts { \"$NRG\": { users: [{user: a, password: b}] } }\n",
                "accounts: [\"$NRG\"]\n")) {
            String e = error(conf);
            assertTrue(e.contains("account name \"$NRG\" is reserved for the cluster's internal traffic"), e);
        }
        assertTrue(opts("accounts { NRG: { users: [{user: a, password: b}] } }\n").auth.accounts.containsKey("NRG"));
    }

    private static final String ACCOUNT_KEY = "AD2M34WBNGQFYK37IDX53DPRG74RLLT7FFWBOBMBUXMAVBCVAU5VKWIY";

    @Test
    void authCalloutIsReadWithNatsServersAliasesAndDefaults() {
        ServerOptions o = opts("accounts { AUTH: { users: [ {user: auth, password: p} ] } }\n"
                + "authorization { auth_callout { issuer: " + ACCOUNT_KEY + ", acc: AUTH, users: [ auth ], "
                + "key: XAB3NANV3M6N7AHSQP2U5FRWKKUT7EG2ZXXABV4XVXYQRJGM4S2CZGHT } }");
        io.weft.engine.auth.AuthCallout.Config c = o.auth.callout;
        assertEquals(ACCOUNT_KEY, c.issuer());
        assertEquals("AUTH", c.account());
        assertEquals(java.util.List.of("auth"), c.authUsers());
        assertEquals("XAB3NANV3M6N7AHSQP2U5FRWKKUT7EG2ZXXABV4XVXYQRJGM4S2CZGHT", c.xkey());
        ServerOptions g = opts("authorization { users: [ {user: a, password: b} ], auth_callout { issuer: " + ACCOUNT_KEY
                + ", auth_users: [ a ] } }");
        assertEquals("$G", g.auth.callout.account());
        assertEquals(null, g.auth.callout.xkey());
    }

    @Test
    void authCalloutErrorsAreNatsServers() {
        String users = "authorization { users: [ {user: a, password: b} ], auth_callout { ";
        assertTrue(error(users + "issuer: x, auth_users: [ a ] } }")
                .contains("Expected callout user to be a valid public account nkey, got \"x\""));
        assertTrue(error(users + "auth_users: [ a ] } }").contains("Authorization callouts require an issuer to be specified"));
        assertTrue(error(users + "issuer: " + ACCOUNT_KEY + " } }")
                .contains("Authorization callouts require authorized users to be specified"));
        assertTrue(error(users + "issuer: " + ACCOUNT_KEY + ", auth_users: [ a ], xkey: " + ACCOUNT_KEY + " } }")
                .contains("Expected callout xkey to be a valid public xkey"));
        assertTrue(error(users + "issuer: " + ACCOUNT_KEY + ", auth_users: [ a ], bogus: 1 } }")
                .contains("Unknown field \"bogus\" parsing authorization callout"));
        assertTrue(error(users + "issuer: " + ACCOUNT_KEY + ", auth_users: [ a ], account: NOPE } }")
                .contains("Authorization callout account \"NOPE\" not valid"));
        assertTrue(error(users + "issuer: " + ACCOUNT_KEY + ", auth_users: [ zed ] } }")
                .contains("Authorization callout user \"zed\" not valid"));
        assertTrue(error(users + "issuer: " + ACCOUNT_KEY + ", auth_users: [ a ], allowed_accounts: [ Q ] } }")
                .contains("auth_callout allowed account \"Q\" not found in configured accounts"));
    }
}
