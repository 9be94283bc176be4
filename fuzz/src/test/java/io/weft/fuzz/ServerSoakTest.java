package io.weft.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.protocol.ByteSink;
import io.weft.engine.protocol.ProtocolEncoder;
import io.weft.engine.server.ClientConnection;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Concurrency soak over real sockets: publishers and subscribers on virtual threads, plain,
 * wildcard and queue subscriptions, exact accounting of every message.
 */
class ServerSoakTest {
    private static final int PUBLISHERS = 8;
    private static final int SUBSCRIBERS = 8;
    private static final int MESSAGES = 50_000;
    private static final int PER_PUBLISHER = MESSAGES / PUBLISHERS;
    private static final int BATCH = 250;
    private static final long TIMEOUT_MS = 15_000;

    private Server server;

    @BeforeEach
    void start() throws Exception {
        ServerOptions opts = new ServerOptions();
        opts.port = 0;
        opts.host = "127.0.0.1";
        server = new Server(Env.real(), opts, ServerLog.silent());
        server.start();
    }

    @AfterEach
    void stop() {
        server.shutdown();
    }

    private static final String CONNECT = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";

    /**
     * Even subscribers hold {@code soak.>} (every message), odd ones {@code soak.*.a} (the even
     * sequence numbers); all eight are members of queue group g1 on {@code soak.>}, the last four
     * of g2 on {@code soak.*.b}. Publisher p sends {@code p:seq} to {@code soak.p.a} or
     * {@code soak.p.b} by the parity of seq.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void eightPublishersEightSubscribersWithQueueGroupsAndWildcards() throws Exception {
        long t0 = System.nanoTime();
        List<WireClient> subs = new ArrayList<>();
        List<WireClient> pubs = new ArrayList<>();
        try {
            for (int i = 0; i < SUBSCRIBERS; i++) {
                WireClient c = new WireClient(server.port(), false);
                subs.add(c);
                StringBuilder sb = new StringBuilder(CONNECT);
                sb.append(i % 2 == 0 ? "SUB soak.> plain\r\n" : "SUB soak.*.a plain\r\n");
                sb.append("SUB soak.> g1 q1\r\n");
                if (i >= SUBSCRIBERS / 2) {
                    sb.append("SUB soak.*.b g2 q2\r\n");
                }
                c.send(sb.toString());
                c.flush(TIMEOUT_MS);
            }
            for (int p = 0; p < PUBLISHERS; p++) {
                WireClient c = new WireClient(server.port(), false);
                pubs.add(c);
                c.send(CONNECT);
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < PUBLISHERS; p++) {
                int id = p;
                WireClient c = pubs.get(p);
                threads.add(Thread.ofVirtual().name("publisher-" + p).start(() -> {
                    try {
                        ByteSink out = new ByteSink(BATCH * 40);
                        for (int seq = 0; seq < PER_PUBLISHER; seq++) {
                            String subject = "soak." + id + (seq % 2 == 0 ? ".a" : ".b");
                            ProtocolEncoder.pub(out, subject, null, (id + ":" + seq).getBytes(StandardCharsets.US_ASCII));
                            if (out.size() >= BATCH * 20 || seq == PER_PUBLISHER - 1) {
                                c.send(out.array(), 0, out.size());
                                out.clear();
                            }
                        }
                        c.flush(TIMEOUT_MS);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            for (Thread t : threads) {
                assertTrue(t.join(java.time.Duration.ofMillis(TIMEOUT_MS)), "publisher finished");
            }
            assertNull(failure.get(), () -> "publisher failed: " + failure.get());
            for (WireClient c : subs) {
                c.flush(TIMEOUT_MS);
            }
            long publishedNanos = System.nanoTime() - t0;

            int delivered = 0;
            Map<String, Integer> g1 = new HashMap<>();
            Map<String, Integer> g2 = new HashMap<>();
            for (int i = 0; i < SUBSCRIBERS; i++) {
                WireClient c = subs.get(i);
                assertNull(c.garbage());
                assertEquals(List.of(), c.errors(), "subscriber " + i + " errors");
                List<WireClient.Msg> got = c.messages();
                delivered += got.size();
                int[] nextPlain = new int[PUBLISHERS];
                int[] lastQ1 = new int[PUBLISHERS];
                int[] lastQ2 = new int[PUBLISHERS];
                java.util.Arrays.fill(lastQ1, -1);
                java.util.Arrays.fill(lastQ2, -1);
                int step = i % 2 == 0 ? 1 : 2;
                for (WireClient.Msg m : got) {
                    String text = m.text();
                    int colon = text.indexOf(':');
                    int p = Integer.parseInt(text.substring(0, colon));
                    int seq = Integer.parseInt(text.substring(colon + 1));
                    assertEquals("soak." + p + (seq % 2 == 0 ? ".a" : ".b"), m.subject());
                    switch (m.sid()) {
                        case "plain" -> {
                            // exact per-publisher sequence: no loss, no duplicate, no reorder
                            assertEquals(nextPlain[p], seq, "subscriber " + i + " from publisher " + p);
                            nextPlain[p] += step;
                        }
                        case "q1" -> {
                            assertTrue(seq > lastQ1[p], "queue member order");
                            lastQ1[p] = seq;
                            g1.merge(text, 1, Integer::sum);
                        }
                        case "q2" -> {
                            assertTrue(i >= SUBSCRIBERS / 2 && seq % 2 == 1, "g2 gets only soak.*.b");
                            assertTrue(seq > lastQ2[p], "queue member order");
                            lastQ2[p] = seq;
                            g2.merge(text, 1, Integer::sum);
                        }
                        default -> throw new AssertionError("unknown sid " + m.sid());
                    }
                }
                for (int p = 0; p < PUBLISHERS; p++) {
                    assertEquals(i % 2 == 0 ? PER_PUBLISHER : PER_PUBLISHER / 2, nextPlain[p] / step,
                            "subscriber " + i + " messages from publisher " + p);
                }
            }
            assertEquals(MESSAGES, g1.size(), "g1 got every message");
            assertTrue(g1.values().stream().allMatch(n -> n == 1), "g1 got each message once");
            assertEquals(MESSAGES / 2, g2.size(), "g2 got every soak.*.b message");
            assertTrue(g2.values().stream().allMatch(n -> n == 1), "g2 got each message once");
            int expected = SUBSCRIBERS / 2 * MESSAGES + SUBSCRIBERS / 2 * MESSAGES / 2 + MESSAGES + MESSAGES / 2;
            assertEquals(expected, delivered);
            System.out.printf("soak: %d published, %d delivered in %d ms%n", MESSAGES, delivered,
                    TimeUnit.NANOSECONDS.toMillis(publishedNanos));
        } finally {
            subs.forEach(WireClient::close);
            pubs.forEach(WireClient::close);
        }
    }

    /**
     * UNSUB with a max sent while publishers are busy on that subject: every subscription ends up
     * with at least max messages, and none is left behind in the server once its max is reached.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void autoUnsubscribeUnderConcurrentPublishingLeavesNoSubscription() throws Exception {
        int rounds = 40;
        int sidsPerRound = 10;
        int perPublisher = 100;
        int total = 4 * perPublisher;
        List<WireClient> pubs = new ArrayList<>();
        try (WireClient sub = new WireClient(server.port(), false)) {
            sub.send(CONNECT);
            for (int p = 0; p < 4; p++) {
                WireClient c = new WireClient(server.port(), false);
                pubs.add(c);
                c.send(CONNECT);
            }
            for (int r = 0; r < rounds; r++) {
                StringBuilder sb = new StringBuilder();
                for (int s = 0; s < sidsPerRound; s++) {
                    sb.append("SUB race.").append(r).append(" ").append(r).append('-').append(s).append("\r\n");
                }
                sub.send(sb.toString());
                sub.flush(TIMEOUT_MS);
                String subject = "race." + r;
                List<Thread> threads = new ArrayList<>();
                for (WireClient c : pubs) {
                    threads.add(Thread.ofVirtual().start(() -> {
                        try {
                            ByteSink out = new ByteSink();
                            for (int i = 0; i < perPublisher; i++) {
                                ProtocolEncoder.pub(out, subject, null, "x".getBytes(StandardCharsets.US_ASCII));
                            }
                            c.send(out.array(), 0, out.size());
                            c.flush(TIMEOUT_MS);
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }));
                }
                // auto-unsubscribe each sid a little after what has arrived so far, while messages flow
                StringBuilder unsubs = new StringBuilder();
                Map<String, Long> counts = countsBySid(sub);
                for (int s = 0; s < sidsPerRound; s++) {
                    long seen = counts.getOrDefault(r + "-" + s, 0L);
                    long max = Math.min(seen + 1 + s % 4, total);
                    unsubs.append("UNSUB ").append(r).append('-').append(s).append(' ').append(max).append("\r\n");
                }
                sub.send(unsubs.toString());
                for (Thread t : threads) {
                    t.join();
                }
                sub.flush(TIMEOUT_MS);
            }
            int left = 0;
            for (ClientConnection c : server.openClients()) {
                left += c.subscriptionCount();
            }
            assertEquals(0, left, "subscriptions left after reaching their max");
            Map<String, Long> counts = countsBySid(sub);
            for (int r = 0; r < rounds; r++) {
                for (int s = 0; s < sidsPerRound; s++) {
                    long n = counts.getOrDefault(r + "-" + s, 0L);
                    assertTrue(n >= 1 && n <= total, "sid " + r + "-" + s + " got " + n);
                }
            }
            assertEquals(List.of(), sub.errors());
        } finally {
            pubs.forEach(WireClient::close);
        }
    }

    private static Map<String, Long> countsBySid(WireClient c) {
        Map<String, Long> counts = new HashMap<>();
        for (WireClient.Msg m : c.messages()) {
            counts.merge(m.sid(), 1L, Long::sum);
        }
        return counts;
    }

    /**
     * Subscribers that come and go (orderly close, reset, close in the middle of a burst) while
     * publishers are busy must not disturb the publishers or the stable subscribers, and every one
     * of them must be gone from the server afterwards.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void churningSubscribersDoNotDisturbOthers() throws Exception {
        int publishers = 4;
        int perPublisher = 5_000;
        List<WireClient> stable = new ArrayList<>();
        List<WireClient> pubs = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                WireClient c = new WireClient(server.port(), false);
                stable.add(c);
                c.send(CONNECT + "SUB churn.> plain\r\n");
                c.flush(TIMEOUT_MS);
            }
            for (int p = 0; p < publishers; p++) {
                WireClient c = new WireClient(server.port(), false);
                pubs.add(c);
                c.send(CONNECT);
            }
            java.util.concurrent.atomic.AtomicBoolean publishing = new java.util.concurrent.atomic.AtomicBoolean(true);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicInteger churned = new java.util.concurrent.atomic.AtomicInteger();
            Thread churn = Thread.ofVirtual().start(() -> {
                try {
                    int n = 0;
                    while (publishing.get()) {
                        WireClient c = new WireClient(server.port(), false);
                        c.send(CONNECT + "SUB churn.> s" + n + "\r\nSUB churn.* g q\r\nSUB churn.> g q2\r\n");
                        if (n % 3 == 0) {
                            c.flush(TIMEOUT_MS);
                        }
                        switch (n % 3) {
                            case 0 -> c.close();
                            case 1 -> c.abort();
                            default -> {
                                c.send("PUB churn.x 5\r\nhel");
                                c.abort();
                            }
                        }
                        n++;
                        churned.set(n);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < publishers; p++) {
                int id = p;
                WireClient c = pubs.get(p);
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        ByteSink out = new ByteSink();
                        for (int seq = 0; seq < perPublisher; seq++) {
                            ProtocolEncoder.pub(out, "churn." + id, null, (id + ":" + seq).getBytes(StandardCharsets.US_ASCII));
                            if (seq % 50 == 49 || seq == perPublisher - 1) {
                                c.send(out.array(), 0, out.size());
                                out.clear();
                                // keep pace with the churn so that about 200 subscribers come and go mid-stream
                                while (churn.isAlive() && churned.get() < (long) seq * 200 / perPublisher) {
                                    Thread.sleep(0, 100_000);
                                }
                            }
                        }
                        c.flush(TIMEOUT_MS);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            for (Thread t : threads) {
                assertTrue(t.join(java.time.Duration.ofMillis(TIMEOUT_MS)), "publisher finished");
            }
            publishing.set(false);
            assertTrue(churn.join(java.time.Duration.ofMillis(TIMEOUT_MS)), "churn finished");
            assertNull(failure.get(), () -> "failed: " + failure.get());
            for (WireClient c : stable) {
                c.flush(TIMEOUT_MS);
                int[] next = new int[publishers];
                for (WireClient.Msg m : c.messages()) {
                    String text = m.text();
                    int colon = text.indexOf(':');
                    int p = Integer.parseInt(text.substring(0, colon));
                    assertEquals(next[p]++, Integer.parseInt(text.substring(colon + 1)), "publisher " + p + " sequence");
                }
                for (int p = 0; p < publishers; p++) {
                    assertEquals(perPublisher, next[p]);
                }
                assertEquals(List.of(), c.errors());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.openClients().size() != stable.size() + publishers && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(stable.size() + publishers, server.openClients().size(), "churned clients gone");
            int subsLeft = 0;
            for (ClientConnection c : server.openClients()) {
                subsLeft += c.subscriptionCount();
            }
            assertEquals(stable.size(), subsLeft, "only the stable subscriptions remain");
            System.out.printf("churn: %d subscribers came and went during %d messages%n", churned.get(), publishers * perPublisher);
        } finally {
            stable.forEach(WireClient::close);
            pubs.forEach(WireClient::close);
        }
    }
}
