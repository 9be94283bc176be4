package io.weft.server.it;

import static io.weft.server.it.Clients.WAIT;
import static io.weft.server.it.Clients.await;
import static io.weft.server.it.Clients.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import io.weft.server.config.ConfigException;
import io.weft.server.config.ConfigParser;
import io.weft.server.config.MappedConfig;
import io.weft.server.config.OptionsMapper;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every security option of nats-server's configuration and command line, each either enforced
 * (and a named test shows it) or refused at start (the process exits 1 with an error naming it).
 * Nothing security-related is accepted and ignored: an operator who copies a production
 * nats-server config must never get a server that is silently less secure than the file says.
 */
class SecurityOptionsTest {
    enum Status { ENFORCED, REFUSED }

    /**
     * One security option: where it sits, a configuration that sets it, and, when it is enforced,
     * the test methods ({@code Class#method} in this package) that show it working.
     */
    record Option(String path, String conf, Status status, String... proofs) {
    }

    static final String NKEY = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";
    static final String PEM = "/nonexistent/cert.pem";

    static final List<Option> OPTIONS = List.of(
            // ---- enforced ----
            new Option("authorization.token", "authorization { token: s3cret }", Status.ENFORCED,
                    "TokenAuthTest#rightTokenConnectsAndMessagesFlow", "TokenAuthTest#wrongOrMissingTokenIsRejected"),
            new Option("authorization.user", "authorization { user: u, password: p }", Status.ENFORCED,
                    "SecurityOptionsTest#singleUserFromFileAndFlags"),
            new Option("authorization.password", "authorization { user: u, password: p }", Status.ENFORCED,
                    "SecurityOptionsTest#singleUserFromFileAndFlags"),
            new Option("authorization.timeout", "authorization { user: u, password: p, timeout: 1 }", Status.ENFORCED,
                    "TimersTest#clientThatNeverSendsConnectTimesOut"),
            new Option("authorization.users", "authorization { users: [ {user: a, password: b} ] }", Status.ENFORCED,
                    "AuthTest#badPasswordAndUnknownUserAreRejected", "AuthTest#bcryptUserWithWrongPasswordIsRejected"),
            new Option("authorization.users[].nkey", "authorization { users: [ {nkey: " + NKEY + "} ] }", Status.ENFORCED,
                    "AuthTest#nkeyUserSignsTheNonce", "AuthTest#unknownNkeyIsRejected"),
            new Option("authorization.users[].permissions",
                    "authorization { users: [ {user: a, password: b, permissions: {publish: x, subscribe: y}} ] }",
                    Status.ENFORCED, "AuthTest#publishPermissionViolationIsReportedAndNotDelivered",
                    "AuthTest#subscribePermissionViolationIsReportedAndNothingDelivered"),
            new Option("authorization.users[].permissions.allow_responses",
                    "authorization { users: [ {user: a, password: b, permissions: {allow_responses: true}} ] }",
                    Status.ENFORCED, "SecurityOptionsTest#defaultPermissionsAndAllowResponses"),
            new Option("authorization.default_permissions",
                    "authorization { default_permissions: {publish: x}, users: [ {user: a, password: b} ] }",
                    Status.ENFORCED, "SecurityOptionsTest#defaultPermissionsAndAllowResponses"),
            new Option("authorization.users[].account", "accounts { A: {} }\nauthorization { users: [ {user: a, password: b, account: A} ] }",
                    Status.ENFORCED, "SecurityOptionsTest#defaultPermissionsAndAllowResponses"),
            new Option("accounts.X.users", "accounts { A: { users: [ {user: a, password: b} ] } }", Status.ENFORCED,
                    "AuthTest#accountsAreIsolated"),
            new Option("no_auth_user", "accounts { A: { users: [ {user: a, password: b} ] } }\nno_auth_user: a", Status.ENFORCED,
                    "AuthTest#noAuthUserLandsInAliceAccount"),
            new Option("max_connections", "max_connections: 2", Status.ENFORCED,
                    "ConnectionLimitsTest#thirdConnectionIsRefusedWithNatsServersErrorAndTheOthersStay"),
            new Option("max_subscriptions", "max_subscriptions: 2", Status.ENFORCED,
                    "ConnectionLimitsTest#thirdSubscriptionIsRefusedAndTheConnectionStays"),
            // ---- refused until implemented ----
            new Option("tls", "tls { cert_file: $CERT, key_file: $KEY }", Status.ENFORCED,
                    "TlsTest#tlsConnectWithTheTestCa", "TlsTest#anUntrustedServerCertificateFails",
                    "TlsTest#aPlainClientGetsNothingPastInfo", "TlsTest#differentialAgainstNatsServer"),
            new Option("tls.cert_file", "tls { cert_file: $CERT, key_file: $KEY }", Status.ENFORCED,
                    "TlsTest#keysInEveryPemFormNatsServerReads", "TlsTest#badFilesStopTheStartNamingTheProblem"),
            new Option("tls.key_file", "tls { cert_file: $CERT, key_file: $KEY }", Status.ENFORCED,
                    "TlsTest#keysInEveryPemFormNatsServerReads", "TlsTest#badFilesStopTheStartNamingTheProblem"),
            new Option("tls.ca_file", "tls { cert_file: $CERT, key_file: $KEY, ca_file: $CA, verify: true }", Status.ENFORCED,
                    "TlsTest#verifiedClientCertificates"),
            new Option("tls.verify", "tls { cert_file: $CERT, key_file: $KEY, ca_file: $CA, verify: true }", Status.ENFORCED,
                    "TlsTest#verifiedClientCertificates", "TlsTest#differentialAgainstNatsServer"),
            new Option("tls.handshake_first", "tls { cert_file: $CERT, key_file: $KEY, handshake_first: true }", Status.ENFORCED,
                    "TlsTest#handshakeFirst"),
            new Option("tls.timeout", "tls { cert_file: $CERT, key_file: $KEY, timeout: 3 }", Status.ENFORCED,
                    "TlsTest#versionCurveAndTimeoutRestrictions"),
            new Option("tls.min_version", "tls { cert_file: $CERT, key_file: $KEY, min_version: \"1.3\" }", Status.ENFORCED,
                    "TlsTest#versionCurveAndTimeoutRestrictions"),
            new Option("tls.curve_preferences", "tls { cert_file: $CERT, key_file: $KEY, curve_preferences: [CurveP384] }",
                    Status.ENFORCED, "TlsTest#versionCurveAndTimeoutRestrictions"),
            new Option("tls.cipher_suites",
                    "tls { cert_file: $CERT, key_file: $KEY, cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384] }",
                    Status.ENFORCED, "TlsTest#cipherSuitesAndPinnedCertificates"),
            new Option("tls.pinned_certs", "tls { cert_file: $CERT, key_file: $KEY, pinned_certs: [\"00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff\"] }", Status.ENFORCED,
                    "TlsTest#cipherSuitesAndPinnedCertificates"),
            new Option("tls.verify_and_map", "tls { cert_file: $CERT, key_file: $KEY, ca_file: $CA, verify_and_map: true }",
                    Status.ENFORCED, "TlsTest#verifyAndMapBindsTheCertificatesUser"),
            new Option("tls.ocsp_peer", "tls { cert_file: $CERT, key_file: $KEY, ocsp_peer: true }", Status.REFUSED),
            new Option("tls.cert_store", "tls { cert_store: WindowsCurrentUser }", Status.REFUSED),
            new Option("tls.cert_match", "tls { cert_match: x }", Status.REFUSED),
            new Option("tls.certs", "tls { certs: [ {cert_file: $CERT, key_file: $KEY} ] }", Status.REFUSED),
            new Option("tls.connection_rate_limit", "tls { cert_file: $CERT, key_file: $KEY, connection_rate_limit: 10 }",
                    Status.REFUSED),
            new Option("tls.allow_insecure_cipher_suites",
                    "tls { cert_file: $CERT, key_file: $KEY, allow_insecure_cipher_suites: true }", Status.REFUSED),
            new Option("tls.handshake_first (other than true/false)",
                    "tls { cert_file: $CERT, key_file: $KEY, handshake_first: \"300ms\" }", Status.REFUSED),
            new Option("allow_non_tls", "allow_non_tls: true", Status.REFUSED),
            new Option("https", "tls { cert_file: $CERT, key_file: $KEY }\nhttps: 127.0.0.1:8443", Status.ENFORCED,
                    "TlsTest#httpsMonitoring"),
            new Option("https_port", "tls { cert_file: $CERT, key_file: $KEY }\nhttps_port: 8443", Status.ENFORCED,
                    "TlsTest#httpsMonitoring"),
            new Option("ocsp", "ocsp { mode: always }", Status.REFUSED),
            new Option("ocsp_cache", "ocsp_cache { type: local }", Status.REFUSED),
            new Option("operator", "$OPERATOR", Status.ENFORCED, "JwtOperatorTest#userOfPreloadedAccountConnects",
                    "JwtOperatorTest#jwtSignedByAStrangerIsRefused"),
            new Option("operators", "$OPERATORS", Status.ENFORCED, "JwtOperatorTest#userOfPreloadedAccountConnects"),
            new Option("trusted", "$TRUSTED", Status.ENFORCED, "JwtOperatorTest#trustedKeysInsteadOfAnOperatorJwt"),
            new Option("trusted_keys", "$TRUSTED_KEYS", Status.ENFORCED, "JwtOperatorTest#trustedKeysInsteadOfAnOperatorJwt"),
            new Option("resolver", "$OPERATOR", Status.ENFORCED, "JwtOperatorTest#userOfAccountNotPreloadedIsRefused"),
            new Option("resolver_preload", "$OPERATOR", Status.ENFORCED, "JwtOperatorTest#userOfPreloadedAccountConnects",
                    "JwtOperatorTest#revokedUserIsRefused", "JwtOperatorTest#permissionsOfTheUserJwtAreEnforced"),
            new Option("resolver: URL(http://127.0.0.1:9/jwt/v1/accounts/)",
                    "resolver: \"URL(http://127.0.0.1:9/jwt/v1/accounts/)\"", Status.REFUSED),
            new Option("resolver { type: full }", "$OPERATOR_FULL", Status.ENFORCED,
                    "JwtResolverTest#claimsUpdateLookupRevocationRestartAndDeleteAsNatsServer"),
            new Option("resolver { type: cache }", "resolver { type: cache, dir: /tmp/jwt }", Status.REFUSED),
            new Option("resolver_pinned_accounts", "resolver_pinned_accounts: [ A ]", Status.REFUSED),
            new Option("resolver_tls", "resolver_tls { cert_file: " + PEM + " }", Status.REFUSED),
            new Option("system_account", "system_account: SYS", Status.ENFORCED,
                    "SystemAccountTest#onlyTheSystemAccountReachesTheServerServices",
                    "SystemAccountTest#aSystemAccountNoAccountDefinesStopsTheStart"),
            new Option("system", "system: SYS", Status.ENFORCED,
                    "SystemAccountTest#onlyTheSystemAccountReachesTheServerServices"),
            new Option("mappings", "mappings { a: b }", Status.ENFORCED, "MappingsTest#mappedSubjectsAreNatsServers",
                    "MappingsTest#weightsSplitTrafficAndTheRestKeepsItsSubject",
                    "MappingsTest#clusterScopedDestinationsApplyInTheirCluster", "MappingsTest#mappingErrorsAreNatsServers"),
            new Option("authorization.auth_callout", "authorization { users: [ {user: a, password: b} ], auth_callout { "
                    + "issuer: AD2M34WBNGQFYK37IDX53DPRG74RLLT7FFWBOBMBUXMAVBCVAU5VKWIY, auth_users: [ a ] } }",
                    Status.ENFORCED, "AuthCalloutTest#theServiceAdmitsAliceAndRefusesTheOthersAsNatsServerDoes",
                    "AuthCalloutTest#aliceGetsAccountAAndTheUserJwtsPermissions",
                    "AuthCalloutTest#aUserPlacedInTheCalloutAccountMayNotPublishAuthRequests",
                    "AuthCalloutTest#requestsCarryTheSameClaimsOnBothServers"),
            new Option("authorization.users[0].allowed_connection_types",
                    "authorization { users: [ {user: a, password: b, allowed_connection_types: [STANDARD]} ] }",
                    Status.REFUSED),
            new Option("accounts.A.exports", "accounts { A: { exports: [ {stream: \"x.>\"} ] } }", Status.ENFORCED,
                    "AccountLinksTest#streamImportsWithPrefixToAndRestrictedExports",
                    "AccountLinksTest#singletonTakesOneResponseStreamTakesManyUntilTheThreshold",
                    "AccountLinksTest#aResponseAfterTheThresholdIsDropped", "AccountLinksTest#configErrorsAreNatsServers"),
            new Option("accounts.A.imports", "accounts { A: { imports: [ {stream: {account: B, subject: x}} ] }, B: { exports: [ {stream: x} ] } }",
                    Status.ENFORCED, "AccountLinksTest#serviceImportCarriesRequestAndReplyAcrossAccounts",
                    "AccountLinksTest#noRespondersAndTheRespondersReplyPermission",
                    "AccountLinksTest#streamImportsWithPrefixToAndRestrictedExports", "AccountLinksTest#configErrorsAreNatsServers"),
            new Option("accounts.A.mappings", "accounts { A: { mappings: { a: b } } }", Status.ENFORCED,
                    "MappingsTest#accountMappingsApplyInTheirAccountOnly"),
            new Option("accounts.A.exports[0].allow_trace", "accounts { A: { exports: [ {service: x, allow_trace: true} ] } }",
                    Status.ENFORCED, "MsgTraceDifferentialTest#traceEventsMatchNatsServer"),
            new Option("accounts.A.exports[0].latency", "accounts { A: { exports: [ {service: x, latency: {subject: lat}} ] } }",
                    Status.REFUSED),
            new Option("accounts.B.imports[0].share",
                    "accounts { A: { exports: [ {service: x} ] }, B: { imports: [ {service: {account: A, subject: x}, share: true} ] } }",
                    Status.REFUSED),
            new Option("accounts.B.imports[0].allow_trace",
                    "accounts { A: { exports: [ {stream: x} ] }, B: { imports: [ {stream: {account: A, subject: x}, allow_trace: true} ] } }",
                    Status.ENFORCED, "MsgTraceDifferentialTest#traceEventsMatchNatsServer"),
            new Option("accounts.A.msg_trace", "accounts { A: { msg_trace: { dest: t, sampling: 50 } } }",
                    Status.ENFORCED, "MsgTraceDifferentialTest#traceEventsMatchNatsServer"),
            new Option("accounts.A.nkey", "accounts { A: { nkey: " + NKEY + " } }", Status.REFUSED),
            new Option("accounts.A.limits", "accounts { A: { limits: { max_connections: 1 } } }", Status.REFUSED),
            new Option("accounts.A.default_permissions", "accounts { A: { default_permissions: { publish: x } } }",
                    Status.REFUSED),
            new Option("accounts.A.users[0].allowed_connection_types",
                    "accounts { A: { users: [ {user: a, password: b, allowed_connection_types: [STANDARD]} ] } }",
                    Status.REFUSED),
            new Option("jetstream.cipher", "jetstream { cipher: aes }", Status.REFUSED),
            new Option("jetstream.key", "jetstream { key: s3cret }", Status.REFUSED),
            new Option("jetstream.encryption", "jetstream { encryption: aes }", Status.REFUSED),
            new Option("jetstream.prev_encryption_key", "jetstream { prev_encryption_key: old }", Status.REFUSED),
            new Option("cluster.tls", "cluster { port: -1, tls { cert_file: $CERT, key_file: $KEY, ca_file: $CA, verify: true } }",
                    Status.ENFORCED, "ClusterTlsTest#weftNodesOverTls", "ClusterTlsTest#weftAndNatsServerOverTls",
                    "ClusterTlsTest#aPeerWithoutTlsIsRefused", "ClusterTlsTest#untrustedCertificatesAndInsecure"),
            new Option("cluster.authorization", "cluster { port: -1, authorization { user: r, password: p, timeout: 1 } }",
                    Status.ENFORCED, "ClusterAuthTest#wrongOrMissingCredentialsNeverFormARoute",
                    "ClusterAuthTest#natsServerDialsWeftWithRightAndWrongCredentials",
                    "ClusterAuthTest#rawRoutePortAnswersAsNatsServer", "ClusterAuthTest#reloadAppliesNewCredentialsAndRefusesANewPort"),
            new Option("cluster.routes[0] credentials", "cluster { port: -1, routes: [ \"nats-route://u:p@127.0.0.1:1\" ] }",
                    Status.ENFORCED, "ClusterAuthTest#weftDialsNatsServerWithRightAndWrongCredentials",
                    "ClusterAuthTest#gossipedRoutesUseTheBlocksCredentials"),
            new Option("cluster.authorization.permissions", "cluster { port: -1, authorization { user: r, password: p, permissions: { import: x } } }",
                    Status.REFUSED),
            new Option("cluster.permissions", "cluster { port: -1, permissions { import: x } }", Status.REFUSED),
            new Option("gateway.tls", "gateway { name: g, port: -1, tls { cert_file: " + PEM + " } }", Status.REFUSED),
            new Option("gateway.authorization", "gateway { name: g, authorization { user: g, password: p } }", Status.REFUSED),
            new Option("leafnodes.tls", "leafnodes { port: -1, tls { cert_file: " + PEM + " } }", Status.REFUSED),
            new Option("leafnodes.authorization", "leafnodes { port: -1, authorization { user: l, password: p } }",
                    Status.REFUSED),
            new Option("leafnodes.remotes[0].credentials", "leafnodes { remotes: [ {url: \"nats://h:7422\", credentials: /x.creds} ] }",
                    Status.REFUSED),
            new Option("leafnodes.remotes[0].tls", "leafnodes { remotes: [ {url: \"tls://h:7422\", tls { ca_file: " + PEM + " }} ] }",
                    Status.REFUSED),
            new Option("websocket.tls", "websocket { port: -1, tls { cert_file: " + PEM + " } }", Status.REFUSED),
            new Option("websocket.authorization", "websocket { port: -1, authorization { token: t } }", Status.REFUSED),
            new Option("websocket.no_auth_user", "websocket { port: -1, no_auth_user: a }", Status.REFUSED),
            new Option("websocket.jwt_cookie", "websocket { port: -1, jwt_cookie: c }", Status.REFUSED),
            new Option("mqtt.tls", "mqtt { port: -1, tls { cert_file: " + PEM + " } }", Status.REFUSED),
            new Option("mqtt.authorization", "mqtt { port: -1, authorization { token: t } }", Status.REFUSED),
            new Option("mqtt.no_auth_user", "mqtt { port: -1, no_auth_user: a }", Status.REFUSED));

    /** The command-line flags that set security options: enforced, or refused with exit status 1. */
    record Flag(List<String> args, Status status, String... proofs) {
    }

    static final List<Flag> FLAGS = List.of(
            new Flag(List.of("--user", "u", "--pass", "p"), Status.ENFORCED, "SecurityOptionsTest#singleUserFromFileAndFlags"),
            new Flag(List.of("--auth", "tok"), Status.ENFORCED, "SecurityOptionsTest#singleUserFromFileAndFlags"),
            new Flag(List.of("--tls"), Status.ENFORCED, "TlsTest#badFilesStopTheStartNamingTheProblem", "TlsTest#tlsFlags"),
            new Flag(List.of("--tlsverify"), Status.ENFORCED, "TlsTest#tlsFlags"),
            new Flag(List.of("--tlscert", PEM), Status.ENFORCED, "TlsTest#tlsFlags"),
            new Flag(List.of("--tlskey", PEM), Status.ENFORCED, "TlsTest#tlsFlags"),
            new Flag(List.of("--tlscacert", PEM), Status.ENFORCED, "TlsTest#tlsFlags"),
            new Flag(List.of("-ms", "8443"), Status.ENFORCED, "TlsTest#httpsMonitoring"),
            new Flag(List.of("--https_port", "8443"), Status.ENFORCED, "TlsTest#httpsMonitoring"),
            new Flag(List.of("--cluster", "nats://u:p@127.0.0.1:1"), Status.ENFORCED, "ClusterAuthTest#credentialsFromTheCommandLine"),
            new Flag(List.of("--routes", "nats-route://u:p@127.0.0.1:1"), Status.ENFORCED,
                    "ClusterAuthTest#credentialsFromTheCommandLine"));

    private static MappedConfig map(String text) {
        String conf = resolve(text);
        return new OptionsMapper(k -> null).map(new ConfigParser(k -> null).parseString(conf, "sec.conf", null));
    }

    /** The example with $CERT, $KEY and $CA replaced by the test certificates' files. */
    private static String resolve(String text) {
        String conf = text;
        if (conf.startsWith("$OPERATOR") || conf.startsWith("$TRUSTED")) {
            conf = JwtOperatorTest.exampleConf(conf.substring(1));
        }
        if (conf.contains("$CERT") || conf.contains("$KEY") || conf.contains("$CA")) {
            try {
                TestCerts c = TestCerts.get();
                conf = conf.replace("$CERT", "\"" + c.server.chainPem() + "\"").replace("$KEY", "\"" + c.server.keyPem() + "\"")
                        .replace("$CA", "\"" + c.ca.caPem() + "\"");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return conf;
    }

    /** The leaf key of an option path ({@code accounts.A.users[0].nkey} gives {@code nkey}). */
    private static String leaf(String path) {
        String last = path.substring(path.lastIndexOf('.') + 1);
        return last.replaceAll("\\[.*]", "");
    }

    /**
     * In process: each enforced option maps without a warning naming it and has existing proof
     * tests; each refused option makes the mapping fail with one problem that names it.
     */
    @Test
    void everyOptionIsEnforcedOrRefusedByTheLoader() {
        List<String> wrong = new ArrayList<>();
        for (Option o : OPTIONS) {
            if (o.status() == Status.ENFORCED) {
                try {
                    MappedConfig m = map(o.conf());
                    m.warnings().stream().filter(w -> w.contains("\"" + leaf(o.path()) + "\"")).forEach(w ->
                            wrong.add(o.path() + ": enforced, but the loader warns: " + w));
                } catch (ConfigException e) {
                    wrong.add(o.path() + ": enforced, but its example is rejected: " + e.getMessage());
                }
                assertProofsExist(o.path(), o.proofs(), wrong);
            } else {
                try {
                    map(o.conf());
                    wrong.add(o.path() + ": refused, but the loader accepts it");
                } catch (ConfigException e) {
                    if (!e.getMessage().contains("\"" + o.path() + "\" " + OptionsMapper.REFUSED)) {
                        wrong.add(o.path() + ": refused with a message that does not name it: " + e.getMessage());
                    }
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    /**
     * A claim of an account JWT (or of a user JWT, {@code user} true) in operator mode: enforced
     * (with the tests that show it) or refused, with a JSON fragment of the {@code nats} object
     * that sets it and a word the refusal must name.
     */
    record Claim(String path, boolean user, String json, Status status, String named, String... proofs) {
    }

    static final List<Claim> CLAIMS = List.of(
            new Claim("signing_keys[] user_scope template", false, null, Status.ENFORCED, null,
                    "JwtScopedLimitsTest#scopedSigningKeyAppliesItsTemplate", "JwtScopedLimitsTest#scopedUserWithItsOwnLimitsIsRefused",
                    "JwtScopedLimitsTest#scopesTemplateConnectionTypesAndSrcApply"),
            new Claim("signing_keys[] of another kind", false,
                    "{\"signing_keys\":[{\"kind\":\"team_scope\",\"key\":\"$ACC\"}]}", Status.REFUSED, "scope kind"),
            new Claim("limits.subs, limits.payload", false, null, Status.ENFORCED, null,
                    "JwtScopedLimitsTest#accountLimitsOnSubscriptionsAndPayload", "JwtScopedLimitsTest#payloadLimitOverTheWire"),
            // nats-server 2.15.1 reads data limits and never applies them; weft refuses what it would not apply
            new Claim("limits.data", false, "{\"limits\":{\"data\":10}}", Status.REFUSED, "limits.data"),
            new Claim("limits.conn", false, null, Status.ENFORCED, null,
                    "JwtResolverTest#claimsUpdateLookupRevocationRestartAndDeleteAsNatsServer"),
            new Claim("revocations", false, null, Status.ENFORCED, null, "JwtOperatorTest#revokedUserIsRefused"),
            new Claim("exports[].token_req, exports[].revocations, imports[].token", false, null, Status.ENFORCED, null,
                    "JwtActivationTest#activationTokensDecideWhoImports",
                    "JwtActivationTest#tokensThatFailValidationMakeTheAccountUnusable"),
            new Claim("limits.leaf", false, "{\"limits\":{\"leaf\":2}}", Status.REFUSED, "limits.leaf"),
            new Claim("limits.max_ack_pending", false, "{\"limits\":{\"max_ack_pending\":5}}", Status.REFUSED,
                    "limits.max_ack_pending"),
            new Claim("limits.mem_max_stream_bytes", false, "{\"limits\":{\"mem_max_stream_bytes\":5}}", Status.REFUSED,
                    "limits.mem_max_stream_bytes"),
            new Claim("limits.max_bytes_required", false, "{\"limits\":{\"max_bytes_required\":true}}", Status.REFUSED,
                    "limits.max_bytes_required"),
            new Claim("limits.tiered_limits", false, "{\"limits\":{\"tiered_limits\":{\"R1\":{\"mem_storage\":1}}}}",
                    Status.REFUSED, "tiered"),
            new Claim("mappings", false, "{\"mappings\":{\"a\":[{\"subject\":\"b\",\"weight\":100}]}}", Status.REFUSED,
                    "mappings"),
            new Claim("trace, exports[].allow_trace, imports[].allow_trace", false, null, Status.ENFORCED, null,
                    "JwtMsgTraceTest#jwtTraceClaimsAsNatsServer", "JwtMsgTraceTest#allowTraceOnAServiceImportIsRefused"),
            new Claim("trace with a wildcard destination", false, "{\"trace\":{\"dest\":\"t.*\"}}", Status.REFUSED,
                    "trace destination"),
            new Claim("exports[].service_latency", false,
                    "{\"exports\":[{\"subject\":\"s\",\"type\":\"service\",\"service_latency\":{\"sampling\":100,\"results\":\"l\"}}]}",
                    Status.REFUSED, "latency"),
            new Claim("exports[].account_token_position", false,
                    "{\"exports\":[{\"subject\":\"s.*\",\"type\":\"service\",\"account_token_position\":2}]}",
                    Status.REFUSED, "account_token_position"),
            new Claim("imports[].share", false,
                    "{\"imports\":[{\"subject\":\"s\",\"account\":\"$ACC\",\"type\":\"service\",\"share\":true}]}",
                    Status.REFUSED, "share"),
            new Claim("a claim weft does not know", false, "{\"something_new\":1}", Status.REFUSED, "something_new"),
            new Claim("user subs, payload", true, null, Status.ENFORCED, null, "JwtScopedLimitsTest#userLimitsOnSubscriptionsAndPayload"),
            new Claim("user data", true, "{\"data\":10}", Status.REFUSED, "user limit data"),
            new Claim("user src", true, null, Status.ENFORCED, null, "JwtScopedLimitsTest#srcAllowsOnlyItsBlocks"),
            new Claim("user times, times_location", true, null, Status.ENFORCED, null, "JwtScopedLimitsTest#timesAllowOnlyTheirRanges"),
            new Claim("user allowed_connection_types", true, null, Status.ENFORCED, null,
                    "JwtScopedLimitsTest#connectionTypesMustIncludeStandard"),
            new Claim("user pub, sub", true, null, Status.ENFORCED, null, "JwtOperatorTest#permissionsOfTheUserJwtAreEnforced"),
            new Claim("user proxy_required (weft has no trusted proxies)", true, "{\"proxy_required\":true}", Status.REFUSED,
                    "proxy connection required"));

    /**
     * Each JWT claim is enforced (with existing proof tests) or refused: an account JWT with a
     * refused claim makes operator mode refuse to load (naming it), a user JWT with one is refused
     * at CONNECT.
     */
    @Test
    void everyJwtClaimIsEnforcedOrRefused() throws Exception {
        List<String> wrong = new ArrayList<>();
        java.security.SecureRandom random = new java.security.SecureRandom();
        io.nats.client.NKey operator = io.nats.client.NKey.createOperator(random);
        io.nats.client.NKey account = io.nats.client.NKey.createAccount(random);
        io.nats.client.NKey user = io.nats.client.NKey.createUser(random);
        String op = TestJwts.encode(TestJwts.claims(operator, TestJwts.pub(operator), "OP", "operator"), operator);
        for (Claim c : CLAIMS) {
            if (c.status() == Status.ENFORCED) {
                assertProofsExist(c.path(), c.proofs(), wrong);
                continue;
            }
            com.fasterxml.jackson.databind.node.ObjectNode acc = TestJwts.claims(operator, TestJwts.pub(account), "A", "account");
            TestJwts.defaultAccountLimits(acc);
            com.fasterxml.jackson.databind.node.ObjectNode u = TestJwts.claims(account, TestJwts.pub(user), "u", "user");
            TestJwts.defaultUserLimits(u);
            com.fasterxml.jackson.databind.node.ObjectNode target = (com.fasterxml.jackson.databind.node.ObjectNode)
                    (c.user() ? u : acc).get("nats");
            com.fasterxml.jackson.databind.JsonNode extra = TestJwts.JSON.readTree(c.json().replace("$ACC", TestJwts.pub(account)));
            extra.fields().forEachRemaining(f -> {
                if (f.getKey().equals("limits")) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) target.get("limits")).setAll(
                            (com.fasterxml.jackson.databind.node.ObjectNode) f.getValue());
                } else {
                    target.set(f.getKey(), f.getValue());
                }
            });
            String message;
            try {
                io.weft.engine.auth.OperatorMode mode = io.weft.engine.auth.OperatorMode.build(List.of(op), List.of(),
                        java.util.Map.of(TestJwts.pub(account), TestJwts.encode(acc, operator)), System.currentTimeMillis() / 1000);
                String nonce = "nonce-nonce";
                String sig = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                        user.sign(nonce.getBytes(StandardCharsets.UTF_8)));
                io.weft.engine.auth.AuthResult r = mode.authenticate(new io.weft.engine.auth.Credentials(null, null, null,
                        null, sig, TestJwts.encode(u, account)), nonce, System.currentTimeMillis() / 1000, "127.0.0.1");
                if (!c.user()) {
                    wrong.add(c.path() + ": refused, but the account JWT loads");
                    continue;
                }
                if (!(r instanceof io.weft.engine.auth.AuthResult.Denied d)) {
                    wrong.add(c.path() + ": refused, but the user is let in");
                    continue;
                }
                message = d.detail();
            } catch (IllegalArgumentException e) {
                message = e.getMessage();
            }
            if (message == null || !message.contains(c.named())) {
                wrong.add(c.path() + ": refused with a message that does not name it: " + message);
            }
        }
        assertEquals(List.of(), wrong);
    }

    private static void assertProofsExist(String what, String[] proofs, List<String> wrong) {
        if (proofs.length == 0) {
            wrong.add(what + ": enforced without a test that shows it");
        }
        for (String proof : proofs) {
            String[] parts = proof.split("#");
            try {
                Method m = null;
                for (Method candidate : Class.forName("io.weft.server.it." + parts[0]).getDeclaredMethods()) {
                    if (candidate.getName().equals(parts[1])) {
                        m = candidate;
                    }
                }
                if (m == null) {
                    wrong.add(what + ": proof " + proof + " does not exist");
                } else if (!m.isAnnotationPresent(Test.class)
                        && !m.isAnnotationPresent(org.junit.jupiter.params.ParameterizedTest.class)) {
                    wrong.add(what + ": " + proof + " is not a @Test");
                }
            } catch (ReflectiveOperationException e) {
                wrong.add(what + ": proof " + proof + " does not exist");
            }
        }
    }

    /**
     * No key of the loader's accept-and-warn lists is a security option, and every warning the
     * loader gives for a file that sets every ignored key names none of them.
     */
    @Test
    void nothingSecurityRelatedIsIgnoredWithAWarning() {
        StringBuilder conf = new StringBuilder();
        for (String k : List.of("cluster { name: c, port: -1, routes: [] }", "gateway { name: g, port: -1 }",
                "leafnodes { port: -1, remotes: [ {url: \"nats://h:7422\"} ] }", "websocket { port: -1, no_tls: true }",
                "mqtt { port: -1 }", "ports_file_dir: /tmp", "server_tags: [a]", "syslog: false", "prof_port: 0",
                "http_base_path: /x", "default_js_domain: {}", "jetstream { unique_tag: az }")) {
            conf.append(k).append('\n');
        }
        MappedConfig m = map(conf.toString());
        assertTrue(m.warnings().size() >= 8, m.warnings().toString()); // server_tags and unique_tag are options now
        for (String w : m.warnings()) {
            for (Option o : OPTIONS) {
                String leaf = leaf(o.path());
                assertTrue(!w.contains("\"" + leaf + "\"") || leaf.equals("cluster"), "warning names a security option: " + w);
            }
        }
    }

    /**
     * Out of process, as an operator sees it: a file setting every refused option at once makes
     * {@code weft serve} exit with status 1 and an error line naming each of them, and so does
     * {@code weft serve -t}.
     */
    @Test
    void weftServeRefusesToStartNamingEveryRefusedOption(@TempDir Path dir) throws Exception {
        List<String> expected = new ArrayList<>();
        int n = 0;
        for (Option o : OPTIONS) {
            if (o.status() != Status.REFUSED) {
                continue;
            }
            Path f = dir.resolve("opt" + (n++) + ".conf");
            Files.writeString(f, resolve(o.conf()) + "\n", StandardCharsets.UTF_8);
            expected.add(o.path());
        }
        // one process per refused option would start ~50 JVMs; the loader reports every problem at
        // once, so a few files cover them: every option alone in-process above, all together here,
        // and three alone through the real command
        Path all = dir.resolve("all.conf");
        Files.writeString(all, mergeable(), StandardCharsets.UTF_8);
        TestServers.Result r = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-c", all.toString(), "-p", "-1");
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(!r.output().contains("Server is ready"), r.output());
        List<String> missing = new ArrayList<>();
        for (String path : mergedPaths()) {
            if (!r.output().contains("\"" + path + "\" " + OptionsMapper.REFUSED)) {
                missing.add(path);
            }
        }
        assertEquals(List.of(), missing, r.output());
        TestServers.Result t = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-t", "-c", all.toString());
        assertEquals(1, t.exitCode(), t.output());
        assertTrue(t.output().contains("\"tls.ocsp_peer\" " + OptionsMapper.REFUSED), t.output());
        for (int i : new int[] {0, 15, n - 1}) {
            Path f = dir.resolve("opt" + i + ".conf");
            TestServers.Result one = TestServers.runWeft(Duration.ofSeconds(60), "serve", "-c", f.toString(), "-p", "-1");
            assertEquals(1, one.exitCode(), one.output());
            assertTrue(one.output().contains("\"" + expected.get(i) + "\" " + OptionsMapper.REFUSED), one.output());
        }
    }

    /** One file holding every top-level and nested refused option without duplicate keys. */
    private static String mergeable() {
        return """
                tls { cert_file: %1$s, key_file: %1$s, ocsp_peer: true, cert_store: x }
                allow_non_tls: true
                ocsp { mode: always }
                resolver: "URL(http://127.0.0.1:9/jwt/v1/accounts/)"
                resolver_tls { cert_file: %1$s }
                authorization {
                  users: [ {user: a, password: b, allowed_connection_types: [STANDARD]} ]
                }
                accounts {
                  A: { exports: [ {service: "x.>", latency: {subject: lat}} ], imports: [ {service: {account: B, subject: x}, share: true} ],
                       nkey: %2$s, limits: { max_connections: 1 }, default_permissions: { publish: x } }
                  B: {}
                }
                jetstream { cipher: aes, key: s3cret }
                cluster { port: -1, permissions { import: x } }
                gateway { name: g, tls { cert_file: %1$s } }
                leafnodes { port: -1, tls { cert_file: %1$s }, remotes: [ {url: "nats://h:7422", credentials: /x.creds} ] }
                websocket { port: -1, tls { cert_file: %1$s }, no_auth_user: a, jwt_cookie: c }
                mqtt { port: -1, tls { cert_file: %1$s }, authorization { token: t } }
                """.formatted(PEM, NKEY);
    }

    private static List<String> mergedPaths() {
        return List.of("tls.ocsp_peer", "tls.cert_store", "allow_non_tls", "ocsp", "resolver: URL(http://127.0.0.1:9/jwt/v1/accounts/)",
                "resolver_tls",
                "authorization.users[0].allowed_connection_types", "accounts.A.exports[0].latency", "accounts.A.imports[0].share",
                "accounts.A.nkey", "accounts.A.limits", "accounts.A.default_permissions",
                "jetstream.cipher", "jetstream.key", "cluster.permissions", "gateway.tls", "leafnodes.tls",
                "leafnodes.remotes[0].credentials", "websocket.tls", "websocket.no_auth_user", "websocket.jwt_cookie",
                "mqtt.tls", "mqtt.authorization");
    }

    /** Every security flag is enforced (its proofs exist) or makes {@code weft serve} exit 1 naming the flag. */
    @Test
    void everyFlagIsEnforcedOrRefused() {
        for (Flag f : FLAGS) {
            if (f.status() == Status.ENFORCED) {
                List<String> wrong = new ArrayList<>();
                assertProofsExist(String.join(" ", f.args()), f.proofs(), wrong);
                assertEquals(List.of(), wrong);
                continue;
            }
            List<String> args = new ArrayList<>(List.of("serve", "-p", "-1"));
            args.addAll(f.args());
            TestServers.Result r = TestServers.runWeft(Duration.ofSeconds(60), args.toArray(String[]::new));
            assertEquals(1, r.exitCode(), f.args() + ": " + r.output());
            String flag = f.args().get(0).replaceFirst("^-+", "");
            assertTrue(r.output().contains("flag -" + flag + ": ") && r.output().contains(OptionsMapper.REFUSED),
                    f.args() + ": " + r.output());
        }
    }

    /** A reload that would add a refused option is itself refused; the server keeps running as it was. */
    @Test
    void reloadAddingARefusedOptionKeepsTheOldConfig() throws Exception {
        try (TestServer s = TestServers.start(TestServers.Target.WEFT, "")) {
            s.rewriteConfig("resolver_tls { cert_file: /nonexistent/cert.pem }\n");
            s.signal("HUP");
            assertTrue(s.awaitOutput("\"resolver_tls\" " + OptionsMapper.REFUSED, WAIT), s.stderr());
            try (Connection c = Nats.connect(options(s).build())) {
                assertEquals(Connection.Status.CONNECTED, c.getStatus());
            }
        }
    }

    // ---- proofs of the enforced options that no other test covers ----

    @Test
    void singleUserFromFileAndFlags() throws Exception {
        try (TestServer file = TestServers.start(TestServers.Target.WEFT, "authorization { user: u, password: p }\n");
                TestServer flags = TestServers.start(TestServers.Target.WEFT, "", "--user", "u", "--pass", "p");
                TestServer token = TestServers.start(TestServers.Target.WEFT, "", "--auth", "tok")) {
            for (TestServer s : List.of(file, flags)) {
                try (Connection c = Nats.connect(options(s).userInfo("u", "p").build())) {
                    assertEquals(Connection.Status.CONNECTED, c.getStatus());
                }
                assertThrows(Exception.class, () -> Nats.connect(options(s).userInfo("u", "wrong").maxReconnects(0).build()));
                assertThrows(Exception.class, () -> Nats.connect(options(s).maxReconnects(0).build()));
            }
            try (Connection c = Nats.connect(options(token).token("tok".toCharArray()).build())) {
                assertEquals(Connection.Status.CONNECTED, c.getStatus());
            }
            assertThrows(Exception.class, () -> Nats.connect(options(token).token("bad".toCharArray()).maxReconnects(0).build()));
        }
    }

    @Test
    void defaultPermissionsAndAllowResponses() throws Exception {
        String conf = """
                accounts { A: {}, B: {} }
                authorization {
                  default_permissions: { publish: ["ok.>", "svc"], subscribe: ">" }
                  users: [
                    {user: d, password: p, account: A}
                    {user: svc, password: p, account: A, permissions: { subscribe: "svc", allow_responses: true }}
                    {user: other, password: p, account: B}
                  ]
                }
                """;
        try (TestServer s = TestServers.start(TestServers.Target.WEFT, conf)) {
            Clients.RecordingErrors dErrors = new Clients.RecordingErrors();
            Clients.RecordingErrors svcErrors = new Clients.RecordingErrors();
            try (Connection d = Nats.connect(options(s).userInfo("d", "p").errorListener(dErrors).build());
                    Connection svc = Nats.connect(options(s).userInfo("svc", "p").errorListener(svcErrors).build());
                    Connection other = Nats.connect(options(s).userInfo("other", "p").build())) {
                // default_permissions: d may publish ok.> only
                Subscription okSub = d.subscribe("ok.x");
                Subscription otherSub = other.subscribe("ok.x");
                d.flush(WAIT);
                other.flush(WAIT);
                d.publish("nope", new byte[] {1});
                d.publish("ok.x", new byte[] {2});
                d.flush(WAIT);
                assertTrue(await(() -> dErrors.sawError("Permissions Violation for Publish to \"nope\"")), dErrors.errors.toString());
                Message got = okSub.nextMessage(WAIT);
                assertNotNull(got);
                // users[].account: B does not see A's traffic
                assertEquals(null, otherSub.nextMessage(Duration.ofMillis(200)));
                // allow_responses: svc publishes nothing but replies to the requests it receives
                svc.createDispatcher(m -> svc.publish(m.getReplyTo(), "pong".getBytes(StandardCharsets.UTF_8)))
                        .subscribe("svc");
                svc.flush(WAIT);
                Message reply = d.request("svc", new byte[0], WAIT);
                assertNotNull(reply);
                assertEquals("pong", new String(reply.getData(), StandardCharsets.UTF_8));
                svc.publish("ok.x", new byte[] {3});
                svc.flush(WAIT);
                assertTrue(await(() -> svcErrors.sawError("Permissions Violation for Publish to \"ok.x\"")),
                        svcErrors.errors.toString());
            } catch (Exception e) {
                fail(s.stderr(), e);
            }
        }
    }
}
