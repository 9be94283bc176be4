package io.weft.engine.jetstream;

import static io.weft.engine.jetstream.ClusteredJetStreamTest.JSON;
import static io.weft.engine.jetstream.ClusteredJetStreamTest.await;
import static io.weft.engine.jetstream.ClusteredJetStreamTest.meta;
import static io.weft.engine.jetstream.ClusteredJetStreamTest.quiet;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.engine.ServerOptions;
import io.weft.engine.cluster.MemTransports;
import io.weft.engine.cluster.PeerIds;
import io.weft.engine.node.Node;
import io.weft.engine.server.Account;
import io.weft.net.Env;
import io.weft.store.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The clustered JetStream tests' world: engine {@link Node}s with JetStream, one per name of
 * {@link #names()}, whose meta and stream groups talk over in-memory group transports (no routes
 * between them, so each request goes to the node that must answer it), fast Raft timings, each
 * store under the test's temporary folder; every node is shut down after each test.
 */
abstract class MemClusterFixture {
    @TempDir
    Path dir;
    final MemTransports net = new MemTransports();
    final List<Node> nodes = new ArrayList<>();
    final AtomicLong ids = new AtomicLong();

    /** The server names of the cluster (its meta group's members). */
    abstract List<String> names();

    @AfterEach
    void stopNodes() {
        nodes.forEach(n -> {
            if (n != null) {
                n.shutdown();
            }
        });
        net.close();
    }

    Node start(String name) throws Exception {
        ServerOptions o = new ServerOptions();
        o.serverName = name;
        o.host = "127.0.0.1";
        o.port = 0;
        o.clusterName = "C";
        o.clusterHost = "127.0.0.1";
        o.clusterPort = 0;
        o.jetstream = true;
        o.storeDir = dir.resolve(name).toString();
        Node n = new Node(Env.real(), o, quiet());
        n.server().account("$SYS");
        n.groupTransports(net.node(PeerIds.of(name)), names(),
                s -> s.withTiming(Duration.ofMillis(20), 10, Duration.ofMillis(600), Duration.ofMillis(800)));
        n.start();
        return n;
    }

    void startAll() throws Exception {
        for (String n : names()) {
            nodes.add(start(n));
        }
    }

    Node metaLeader() throws InterruptedException {
        await("a meta leader", () -> nodes.stream().filter(n -> n != null && meta(n).isLeader()).count() == 1);
        return nodes.stream().filter(n -> n != null && meta(n).isLeader()).findFirst().orElseThrow();
    }

    /** A request on {@code n}'s own API, as a client of {@code n} in {@code account} sends it; null if unanswered. */
    JsonNode request(Node n, String account, String subject, String body, long millis) throws Exception {
        Account a = n.server().account(account);
        String inbox = "_INBOX.t" + ids.incrementAndGet();
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        var sub = a.subscribe(inbox, null, (s, r, data, off, hdr, total) ->
                got.add(new String(data, off + hdr, total - hdr, StandardCharsets.UTF_8)));
        try {
            a.publish(subject, inbox, null, body.getBytes(StandardCharsets.UTF_8));
            String reply = got.poll(millis, TimeUnit.MILLISECONDS);
            return reply == null ? null : JSON.readTree(reply);
        } finally {
            a.unsubscribe(sub);
        }
    }

    /** Every message {@code s}'s own store holds, in sequence order. */
    static List<StoredMessage> stored(Stream s) throws Exception {
        return s.read(store -> {
            List<StoredMessage> all = new ArrayList<>();
            var st = store.state();
            for (long q = st.firstSeq(); st.msgs() > 0 && q <= st.lastSeq(); q++) {
                StoredMessage m = store.load(q);
                if (m != null) {
                    all.add(m);
                }
            }
            return all;
        });
    }
}
