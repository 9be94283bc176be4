package io.weft.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.protocol.ByteSink;
import io.weft.engine.protocol.ProtocolEncoder;
import io.weft.engine.protocol.ProtocolException;
import io.weft.engine.server.ClientConnection;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Properties of one live in-process server driven over real sockets: broken clients only ever get
 * protocol operations back and never hurt anyone else; how a valid stream is cut into TCP writes
 * never changes what is delivered; and interleaved SUB/UNSUB/PUB from several clients deliver
 * exactly what a simple model of subscriptions allows.
 */
class LiveServerProperties {
    /** Every -ERR text an anonymous server may send to the clients of these properties. */
    private static final Set<String> EXPECTED_ERRORS = Set.of(
            ProtocolException.UNKNOWN_OPERATION, ProtocolException.MAX_PAYLOAD, ProtocolException.MAX_CONTROL_LINE,
            "Invalid Subject", "Invalid Publish Subject", "no responders requires headers support");
    private static final long TIMEOUT_MS = 5_000;

    private static Server server;
    private static RecordingLog log;
    private static final AtomicInteger healthChecks = new AtomicInteger();
    /** Numbers each try's subjects, so a client left over by a failed try cannot disturb the next. */
    private static final AtomicInteger tries = new AtomicInteger();

    /** Keeps the lines that reveal a server bug rather than a client's: internal errors and fatal ones. */
    static final class RecordingLog implements ServerLog {
        final List<String> bad = new CopyOnWriteArrayList<>();

        @Override public void fatal(String m) { bad.add("FTL " + m); }
        @Override public void error(String m) {
            if (m.contains("internal error")) {
                bad.add("ERR " + m);
            }
        }
        @Override public void warn(String m) { }
        @Override public void notice(String m) { }
        @Override public void debug(String m) { }
        @Override public void trace(String m) { }
        @Override public boolean isDebug() { return false; }
        @Override public boolean isTrace() { return false; }
    }

    @BeforeContainer
    static void startServer() throws Exception {
        ServerOptions opts = new ServerOptions();
        opts.port = 0;
        opts.host = "127.0.0.1";
        opts.maxPayload = 64 * 1024;
        opts.maxControlLine = 1024;
        log = new RecordingLog();
        server = new Server(Env.real(), opts, log);
        server.start();
    }

    @AfterContainer
    static void stopServer() {
        if (server != null) {
            server.shutdown();
        }
    }

    // ------------------------------------------------------------------ broken clients

    /** Random bytes, with or without a CONNECT first. */
    @Property(tries = 200)
    void randomBytesGetOnlyProtocolBack(@ForAll @Size(max = 600) byte[] data, @ForAll boolean connectFirst)
            throws Exception {
        byte[] prefix = connectFirst ? "CONNECT {\"verbose\":false}\r\n".getBytes(StandardCharsets.US_ASCII) : new byte[0];
        runBrokenClient(ProtocolGenerators.concat(prefix, data), data.length + 1);
    }

    /** Valid client sessions with a few bytes overwritten, inserted or deleted, written in random chunks. */
    @Property(tries = 400)
    void mutatedSessionsGetOnlyProtocolBack(@ForAll("sessions") byte[] session,
                                            @ForAll @Size(max = 8) List<@IntRange(min = 0, max = 100_000) Integer> where,
                                            @ForAll @Size(min = 1, max = 8) byte[] what,
                                            @ForAll @IntRange(min = 1, max = 4096) int chunk) throws Exception {
        runBrokenClient(ProtocolGenerators.mutate(session, where, what), chunk);
    }

    @Provide
    Arbitrary<byte[]> sessions() {
        Arbitrary<String> connect = Combinators.combine(Arbitraries.of(true, false), Arbitraries.of(true, false),
                        Arbitraries.of(true, false), Arbitraries.of(true, false))
                .as((verbose, pedantic, headers, echo) -> "{\"verbose\":" + verbose + ",\"pedantic\":" + pedantic
                        + ",\"headers\":" + headers + ",\"echo\":" + echo + "}");
        return Combinators.combine(connect, ProtocolGenerators.clientOps()).as((json, ops) -> {
            ByteSink out = new ByteSink();
            ProtocolEncoder.connect(out, json);
            return ProtocolGenerators.concat(out.toByteArray(), ProtocolGenerators.encode(ops));
        });
    }

    private static void runBrokenClient(byte[] data, int chunk) throws Exception {
        int baseline = 0; // every try closes all its clients
        try (WireClient c = new WireClient(server.port())) {
            assertTrue(c.awaitGreeting(TIMEOUT_MS), "INFO on connect");
            try {
                for (int pos = 0; pos < data.length; pos += chunk) {
                    c.send(data, pos, Math.min(chunk, data.length - pos));
                }
            } catch (java.io.IOException closedByServer) {
                // the server may close mid-stream after an error: allowed
            }
            c.awaitClosedOrQuiet(30, TIMEOUT_MS);
            assertNull(c.garbage(), "server sent something that is not a protocol operation");
            List<String> kinds = c.opKinds();
            assertTrue(!kinds.isEmpty() && kinds.get(0).equals("INFO"), "INFO first, got " + kinds);
            for (String e : c.errors()) {
                assertTrue(EXPECTED_ERRORS.contains(e), "unexpected -ERR '" + e + "'");
            }
            Statistics.label("outcome").collect(c.closed() ? "closed" : "open",
                    c.errors().isEmpty() ? "no -ERR" : c.errors().get(c.errors().size() - 1));
        }
        assertServerHealthy(baseline);
    }

    /** A fresh client can still SUB/PUB/PING, every connection closed so far is gone, nothing crashed. */
    private static void assertServerHealthy(int baseline) throws Exception {
        awaitOpenClients(baseline);
        String subject = "health." + healthChecks.incrementAndGet();
        try (WireClient c = new WireClient(server.port())) {
            c.send("CONNECT {\"verbose\":false}\r\nSUB " + subject + " 1\r\nPUB " + subject + " 2\r\nok\r\n");
            c.flush(TIMEOUT_MS);
            List<WireClient.Msg> got = c.messages();
            assertEquals(1, got.size(), "health check deliveries");
            assertEquals("ok", got.get(0).text());
            assertEquals(List.of(), c.errors());
        }
        awaitOpenClients(baseline);
        assertEquals(List.of(), log.bad, "server logged internal errors");
    }

    private static void awaitOpenClients(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (server.openClients().size() != expected && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(expected, server.openClients().size(), "open clients after the connections closed");
    }

    // ------------------------------------------------------------------ well-behaved clients

    /** One step of a workload; {@code kind} 0-1 SUB, 2 UNSUB, 3-9 PUB. */
    record Step(int client, int kind, String subject, String pattern, int sidPick, int max) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        // a small alphabet so that subscriptions and subjects meet often
        Arbitrary<String> subject = Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just("a")), Tuple.of(3, Arbitraries.just("b")),
                        Tuple.of(1, Arbitraries.just("c")))
                .list().ofMinSize(1).ofMaxSize(3).map(t -> String.join(".", t));
        Arbitrary<String> pattern = Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just("a")), Tuple.of(1, Arbitraries.just("b")),
                        Tuple.of(3, Arbitraries.just("*"))).list().ofMaxSize(3),
                Arbitraries.of(true, false)).as((t, full) -> {
            List<String> tokens = new ArrayList<>(t);
            if (full || tokens.isEmpty()) {
                tokens.add(">");
            }
            return String.join(".", tokens);
        });
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 9),
                subject, pattern, Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(0, 3)).as(Step::new);
        return step.list().ofMinSize(8).ofMaxSize(80);
    }

    /** Writes a step and records it in the model; returns the bytes to send for it. */
    private static byte[] apply(Step s, boolean queues, String prefix, int client, DeliveryModel model,
                                List<List<String>> sids) {
        ByteSink out = new ByteSink();
        List<String> mine = sids.get(client);
        if (s.kind() <= 1) {
            String sid = "s" + mine.size();
            mine.add(sid);
            // kind 1 with an odd pick: a member of queue group g0 or g1 (picked by the max field)
            String queue = queues && s.kind() == 1 && s.sidPick() % 2 == 1 ? "g" + (s.max() % 2) : null;
            ProtocolEncoder.sub(out, prefix + s.pattern(), queue, sid);
            model.sub(client, sid, prefix + s.pattern(), queue);
        } else if (s.kind() == 2) {
            if (mine.isEmpty()) {
                return new byte[0];
            }
            String sid = mine.get(s.sidPick() % mine.size());
            // queue members are only ever removed outright: with a max, which member takes racing
            // messages decides when it leaves, and the model would have to guess
            long max = model.isQueue(client, sid) ? 0 : s.max();
            ProtocolEncoder.unsub(out, sid, max == 0 ? -1 : max);
            model.unsub(client, sid, max);
        } else {
            DeliveryModel.Pub p = model.pub(client, prefix + s.subject());
            ProtocolEncoder.pub(out, prefix + s.subject(), null, Integer.toString(p.id()).getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    private static final String QUIET_CONNECT = "CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":true}\r\n";

    /**
     * A valid single-client session written at once, then again in random chunks with random
     * pauses, gives the same deliveries, and both agree with the model.
     */
    @Property(tries = 100)
    void chunkingAndPausesDoNotChangeDeliveries(@ForAll("steps") List<Step> steps,
                                               @ForAll @Size(min = 1, max = 30) List<@IntRange(min = 1, max = 64) Integer> cuts,
                                               @ForAll @Size(min = 1, max = 10) List<@IntRange(min = 0, max = 800) Integer> pauseMicros)
            throws Exception {
        int baseline = 0; // every try closes all its clients
        DeliveryModel model = new DeliveryModel();
        List<List<String>> sids = List.of(new ArrayList<>());
        String prefix = "t" + tries.incrementAndGet() + ".";
        ByteSink session = new ByteSink();
        session.append(QUIET_CONNECT.getBytes(StandardCharsets.US_ASCII));
        for (Step s : steps) {
            session.append(apply(s, false, prefix, 0, model, sids)); // queue picks are random: no queues here
        }
        model.finish();
        ProtocolEncoder.ping(session);
        byte[] data = session.toByteArray();

        List<WireClient.Msg> whole;
        try (WireClient c = new WireClient(server.port())) {
            c.send(data);
            awaitPong(c);
            whole = c.messages();
            assertEquals(List.of(), c.errors());
        }
        awaitOpenClients(baseline);
        List<WireClient.Msg> chunked;
        try (WireClient c = new WireClient(server.port())) {
            int chunks = 0;
            int pos = 0;
            int stride = Math.max(1, data.length / (cuts.stream().mapToInt(i -> i).sum() / cuts.size()) / 40);
            while (pos < data.length) {
                int n = Math.min(cuts.get(chunks % cuts.size()), data.length - pos);
                c.send(data, pos, n);
                pos += n;
                if (chunks % stride == 0) {
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(pauseMicros.get(chunks % pauseMicros.size())));
                }
                chunks++;
            }
            awaitPong(c);
            chunked = c.messages();
            assertEquals(List.of(), c.errors());
        }
        assertEquals(canonical(whole), canonical(chunked), "deliveries of one write vs chunked writes");
        assertEquals(List.of(), model.check(0, whole), "deliveries against the model");
        Statistics.label("deliveries").collect(bucket(whole.size()));
        assertServerHealthy(baseline);
    }

    private static int subscriptionsOf(WireClient c) {
        long cid = c.clientId();
        for (ClientConnection cc : server.openClients()) {
            if (cc.cid() == cid) {
                return cc.subscriptionCount();
            }
        }
        throw new AssertionError("client " + cid + " not open");
    }

    private static String bucket(int n) {
        return n == 0 ? "0" : n < 10 ? "1-9" : n < 50 ? "10-49" : "50+";
    }

    private static void awaitPong(WireClient c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (c.pongs() < 1 && !c.closed() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(1, c.pongs(), "PONG at the end of the session; errors " + c.errors());
    }

    /** Deliveries as text, fan-out of one message to several sids put in sid order (that order is not defined). */
    private static List<String> canonical(List<WireClient.Msg> msgs) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < msgs.size()) {
            int j = i;
            List<String> group = new ArrayList<>();
            while (j < msgs.size() && msgs.get(j).text().equals(msgs.get(i).text())) {
                WireClient.Msg m = msgs.get(j);
                group.add(m.text() + " " + m.subject() + " " + m.sid());
                j++;
            }
            group.sort(null);
            out.addAll(group);
            i = j;
        }
        return out;
    }

    /**
     * Several clients interleave SUB, UNSUB (also with a max) and PUB. Each SUB/UNSUB is applied
     * alone (every client that published is flushed first, and the subscriber after); some SUBs
     * join queue group g0 or g1, which must take each message exactly once; PUBs between
     * them race freely. Some clients ask for no echo. Every delivery must be one the model allows,
     * with no duplicates and each publisher's order kept per subscriber.
     */
    @Property(tries = 150)
    void interleavedClientsMatchTheModel(@ForAll("steps") List<Step> steps, @ForAll @IntRange(min = 1, max = 4) int clientCount,
                                         @ForAll @IntRange(min = 0, max = 15) int noEchoMask) throws Exception {
        int baseline = 0; // every try closes all its clients
        DeliveryModel model = new DeliveryModel();
        List<List<String>> sids = new ArrayList<>();
        List<WireClient> clients = new ArrayList<>();
        String prefix = "t" + tries.incrementAndGet() + ".";
        try {
            for (int i = 0; i < clientCount; i++) {
                WireClient c = new WireClient(server.port());
                clients.add(c);
                sids.add(new ArrayList<>());
                if ((noEchoMask & (1 << i)) != 0) {
                    model.noEcho(i);
                    c.send(QUIET_CONNECT.replace("\"echo\":true", "\"echo\":false"));
                } else {
                    c.send(QUIET_CONNECT);
                }
            }
            Set<Integer> dirty = new HashSet<>();
            int total = 0;
            for (Step s : steps) {
                int client = s.client() % clientCount;
                boolean changesInterest = s.kind() <= 2;
                if (changesInterest) {
                    for (int d : dirty) {
                        clients.get(d).flush(TIMEOUT_MS);
                    }
                    dirty.clear();
                }
                byte[] bytes = apply(s, true, prefix, client, model, sids);
                if (bytes.length > 0) {
                    clients.get(client).send(bytes);
                }
                if (changesInterest) {
                    clients.get(client).flush(TIMEOUT_MS);
                } else {
                    dirty.add(client);
                }
            }
            model.finish();
            for (int d : dirty) {
                clients.get(d).flush(TIMEOUT_MS);
            }
            for (WireClient c : clients) {
                c.flush(TIMEOUT_MS);
            }
            for (int i = 0; i < clientCount; i++) {
                WireClient c = clients.get(i);
                assertEquals(List.of(), c.errors());
                assertNull(c.garbage());
                assertEquals(List.of(), model.check(i, c.messages()), "client " + i + " deliveries");
                total += c.messages().size();
                assertEquals(model.activeCount(i), subscriptionsOf(c), "client " + i + " subscriptions left in the server");
            }
            assertEquals(List.of(), model.checkQueues(), "queue group deliveries");
            Statistics.label("deliveries").collect(bucket(total));
        } finally {
            clients.forEach(WireClient::close);
        }
        awaitOpenClients(baseline);
        assertEquals(List.of(), log.bad, "server logged internal errors");
    }
}
