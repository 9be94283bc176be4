package io.weft.server.it;

import static io.weft.server.it.ClusterAuthTest.assertNoTraffic;
import static io.weft.server.it.ClusterAuthTest.awaitLog;
import static io.weft.server.it.ClusterAuthTest.node;
import static io.weft.server.it.ClusterAuthTest.numRoutes;
import static io.weft.server.it.ClusterAuthTest.url;
import static io.weft.server.it.ClusterTest.awaitRoutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Route TLS ({@code cluster { tls {} }}) with real processes: as in nats-server the TLS handshake
 * is the first thing on a route (INFO comes after it, encrypted), the dialling server is the TLS
 * client and checks the peer's certificate against the route URL's host, and with
 * {@code verify: true} each side checks the other's certificate against {@code ca_file}. Weft with
 * weft and with nats-server 2.15.1 both ways; a peer without TLS, or with a certificate from
 * another CA, never forms a route.
 */
class ClusterTlsTest {
    static TestCerts certs;

    @BeforeAll
    static void makeCerts() throws Exception {
        certs = TestCerts.get();
    }

    /** A cluster tls block with the route certificate {@code id}, trusting {@code ca}. */
    static String tls(TestCerts.Identity id, Path ca, String extra) {
        return "  tls { cert_file: \"" + id.chainPem() + "\", key_file: \"" + id.keyPem() + "\", ca_file: \"" + ca
                + "\", verify: true, timeout: 2" + extra + " }\n";
    }

    static String tls() {
        return tls(certs.route, certs.ca.caPem(), "");
    }

    @Test
    void weftNodesOverTls() throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer a = node(TestServers.Target.WEFT, "A", cp[0], tls());
             TestServer b = node(TestServers.Target.WEFT, "B", cp[1], tls() + ClusterAuthTest.AUTH, url(null, cp[0]))) {
            awaitRoutes(a, 1);
            awaitRoutes(b, 1);
            ClusterTest.pubSubAndRequestReply(a, b);
            ClusterTest.pubSubAndRequestReply(b, a);
            ClusterTest.queueGroupExactlyOnce(a, b);
            // TLS first: a plain client of the route port gets no INFO, and is dropped after the TLS timeout
            try (RawClient r = RawClient.open(cp[0])) {
                r.readFor(Duration.ofMillis(800));
                assertFalse(r.text().contains("INFO"), r.text());
                assertTrue(r.awaitClose(Duration.ofSeconds(10)), "a plain connection stayed open");
            }
            awaitLog(a, "TLS route handshake error");
        }
    }

    /**
     * nats-server dials weft (nats-server the TLS client), weft dials nats-server (weft the client),
     * and the two weft nodes find each other by gossip, all over TLS; traffic crosses every pair.
     */
    @Test
    void weftAndNatsServerOverTls() throws Exception {
        int[] cp = TestServers.freePorts(3);
        try (TestServer w1 = node(TestServers.Target.WEFT, "W1", cp[0], tls());
             TestServer n = node(TestServers.Target.NATS_NEWEST, "N", cp[1], tls(), url(null, cp[0]));
             TestServer w2 = node(TestServers.Target.WEFT, "W2", cp[2], tls(), url(null, cp[1]))) {
            ClusterDiscoveryTest.awaitPeers(w1, 2);
            ClusterDiscoveryTest.awaitPeers(n, 2);
            ClusterDiscoveryTest.awaitPeers(w2, 2);
            ClusterTest.pubSubAndRequestReply(n, w1);
            ClusterTest.pubSubAndRequestReply(w1, n);
            ClusterTest.pubSubAndRequestReply(w2, n);
            ClusterTest.pubSubAndRequestReply(n, w2);
            ClusterTest.pubSubAndRequestReply(w1, w2);
            ClusterTest.queueGroupExactlyOnce(w2, n);
        }
    }

    /** TLS and credentials together with nats-server: the CONNECT inside TLS carries the URL's user. */
    @Test
    void tlsAndAuthorizationWithNatsServer() throws Exception {
        int[] cp = TestServers.freePorts(2);
        try (TestServer n = node(TestServers.Target.NATS_NEWEST, "N", cp[0], tls() + ClusterAuthTest.AUTH);
             TestServer w = node(TestServers.Target.WEFT, "W", cp[1], tls() + ClusterAuthTest.AUTH, url("ruser:rpass", cp[0]))) {
            awaitRoutes(w, 1);
            ClusterTest.pubSubAndRequestReply(w, n);
            ClusterTest.pubSubAndRequestReply(n, w);
        }
    }

    /** A peer without TLS never forms a route with a TLS one, whichever dials. */
    @Test
    void aPeerWithoutTlsIsRefused() throws Exception {
        int[] cp = TestServers.freePorts(4);
        try (TestServer w = node(TestServers.Target.WEFT, "W", cp[0], tls());
             TestServer plainNats = node(TestServers.Target.NATS_NEWEST, "N", cp[1], "", url(null, cp[0]));
             TestServer plainWeft = node(TestServers.Target.WEFT, "P", cp[2], "", url(null, cp[0]));
             TestServer plainTarget = node(TestServers.Target.NATS_NEWEST, "T", cp[3], "");
             TestServer dialler = node(TestServers.Target.WEFT, "D", TestServers.freePorts(1)[0], tls(), url(null, cp[3]))) {
            awaitLog(w, "TLS route handshake error");
            awaitLog(dialler, "TLS route handshake error");
            Thread.sleep(3000); // the plain peers' attempts time out meanwhile
            assertEquals(0, numRoutes(w), w.stderr());
            assertEquals(0, numRoutes(plainNats), plainNats.stderr());
            assertEquals(0, numRoutes(plainWeft), plainWeft.stderr());
            assertEquals(0, numRoutes(plainTarget), plainTarget.stderr());
            assertEquals(0, numRoutes(dialler), dialler.stderr());
            assertNoTraffic(plainWeft, w);
            assertNoTraffic(dialler, plainTarget);
        }
    }

    /**
     * A certificate from another CA is refused by a verifying peer; {@code insecure} lets a
     * dialling server skip checking the peer's certificate (its own is still checked).
     */
    @Test
    void untrustedCertificatesAndInsecure() throws Exception {
        int[] cp = TestServers.freePorts(4);
        try (TestServer w = node(TestServers.Target.WEFT, "W", cp[0], tls());
             TestServer rogue = node(TestServers.Target.WEFT, "R", cp[1], tls(certs.rogueRoute, certs.rogue.caPem(), ""),
                     url(null, cp[0]));
             TestServer rogueToNats = node(TestServers.Target.NATS_NEWEST, "N", cp[2], tls());
             TestServer rogue2 = node(TestServers.Target.WEFT, "R2", TestServers.freePorts(1)[0],
                     tls(certs.rogueRoute, certs.rogue.caPem(), ""), url(null, cp[2]))) {
            awaitLog(w, "TLS route handshake error");
            awaitLog(rogue, "TLS route handshake error");
            awaitLog(rogueToNats, "TLS route handshake error");
            assertEquals(0, numRoutes(w), w.stderr());
            assertEquals(0, numRoutes(rogue), rogue.stderr());
            assertEquals(0, numRoutes(rogueToNats), rogueToNats.stderr());
            assertEquals(0, numRoutes(rogue2), rogue2.stderr());
            assertNoTraffic(rogue, w);
        }
        // a trusted certificate, but this server does not trust the peer's CA: insecure skips that check
        try (TestServer w = node(TestServers.Target.WEFT, "W", cp[3], tls());
             TestServer insecure = node(TestServers.Target.WEFT, "I", TestServers.freePorts(1)[0],
                     tls(certs.route, certs.rogue.caPem(), ", insecure: true"), url(null, cp[3]))) {
            awaitRoutes(w, 1);
            ClusterTest.pubSubAndRequestReply(insecure, w);
            awaitLog(insecure, "TLS certificate chain and hostname of solicited routes will not be verified");
        }
    }

    /**
     * {@code tls { verify_and_map: true }} with {@code authorization { user }}: a route is let in
     * when its certificate names the cluster user (here its DNS name {@code localhost}), without a
     * password; another user name refuses it. The same on weft and nats-server as the accepting side.
     */
    @Test
    void verifyAndMapTakesTheUserFromTheCertificate() throws Exception {
        for (TestServers.Target t : java.util.List.of(TestServers.Target.WEFT, TestServers.Target.NATS_NEWEST)) {
            int[] cp = TestServers.freePorts(2);
            String map = tls(certs.route, certs.ca.caPem(), ", verify_and_map: true");
            try (TestServer a = node(t, "A", cp[0], map + "  authorization { user: localhost }\n");
                 TestServer b = node(TestServers.Target.WEFT, "B", TestServers.freePorts(1)[0], tls(), url(null, cp[0]))) {
                awaitRoutes(b, 1);
                ClusterTest.pubSubAndRequestReply(b, a);
            }
            try (TestServer a = node(t, "A", cp[1], map + "  authorization { user: \"CN=someone-else\" }\n");
                 TestServer b = node(TestServers.Target.WEFT, "B", TestServers.freePorts(1)[0], tls(), url(null, cp[1]))) {
                awaitLog(a, "authentication error");
                awaitLog(b, "Route Error 'Authorization Violation'");
                assertEquals(0, numRoutes(b), b.stderr());
                assertNoTraffic(b, a);
            }
        }
    }
}
