package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code kill -9} of a real JetStream server during a publish storm: several jnats connections
 * publish (sync and async) into a file stream, the process is SIGKILLed mid-storm
 * ({@link TestServer#kill()} is {@code Process.destroyForcibly()}, which is SIGKILL on Unix), and
 * the server is restarted on the same store directory. Every publish that got a PubAck must be
 * there at the sequence the ack named, with its payload, and the stream must still take writes.
 * Three rounds on the same store directory, each checking every ack of every earlier round.
 *
 * <p>Only a process kill: the OS page cache survives, so this proves the server does not keep
 * acknowledged data in its own memory. Power loss (unsynced bytes dropped) is the simulator's
 * {@code js-crash} scenario. Run against the reference with {@code -Dweft.target=nats-server}.
 */
class JetStreamKillTest {
    private static final String STREAM = "STORM";
    private static final int PUBLISHERS = 4;
    private static final int ROUNDS = 3;

    /** A publish the server acknowledged: where it said the message is, and what was sent. */
    record Acked(long seq, String subject, String payload) {
    }

    @Test
    void everyAcknowledgedPublishSurvivesKillMinus9(@TempDir Path dir) throws Exception {
        Path storeDir = dir.resolve("js");
        SplittableRandom rnd = new SplittableRandom(Long.getLong("weft.kill.seed", System.nanoTime()));
        Map<Long, Acked> acked = new ConcurrentHashMap<>();
        try (TestServer server = TestServers.start("", "-js", "-sd", storeDir.toString())) {
            try (Connection nc = connect(server)) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name(STREAM).subjects("storm.>")
                        .storageType(StorageType.File).build());
            }
            for (int round = 1; round <= ROUNDS; round++) {
                int before = acked.size();
                long killAfterMillis = 150 + rnd.nextInt(350);
                storm(server, round, killAfterMillis, acked);
                int inRound = acked.size() - before;
                server.restart();
                verify(server, round, acked);
                assertTrue(inRound > 0, "round " + round + ": no publish was acknowledged before the kill");
            }
        }
    }

    /** Publishers hammer the stream until the server is killed under them. */
    private void storm(TestServer server, int round, long killAfterMillis, Map<Long, Acked> acked) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong errors = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        List<Connection> conns = new ArrayList<>();
        CountDownLatch started = new CountDownLatch(PUBLISHERS);
        for (int p = 0; p < PUBLISHERS; p++) {
            Connection nc = connect(server);
            conns.add(nc);
            boolean async = p % 2 == 1;
            int id = p;
            Thread t = Thread.ofPlatform().name("storm-" + round + "-" + p).start(() -> {
                started.countDown();
                try {
                    publishLoop(nc.jetStream(), round, id, async, stop, acked, errors);
                } catch (IOException e) {
                    errors.incrementAndGet();
                }
            });
            threads.add(t);
        }
        started.await();
        Thread.sleep(killAfterMillis);
        int before = acked.size();
        server.kill();
        stop.set(true);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        for (Connection nc : conns) {
            nc.close();
        }
        System.out.printf("kill round %d after %d ms: %d acked at kill (%d total), %d publish errors%n",
                round, killAfterMillis, before, acked.size(), errors.get());
    }

    private void publishLoop(JetStream js, int round, int publisher, boolean async, AtomicBoolean stop,
                             Map<Long, Acked> acked, AtomicLong errors) {
        long n = 0;
        List<CompletableFuture<PublishAck>> inflight = new ArrayList<>();
        List<String[]> sent = new ArrayList<>();
        while (!stop.get()) {
            n++;
            String subject = "storm." + publisher + "." + (n % 7);
            String payload = "r" + round + "-p" + publisher + "-" + n;
            byte[] body = payload.getBytes(StandardCharsets.UTF_8);
            if (!async) {
                try {
                    record(acked, js.publish(subject, body), subject, payload);
                } catch (IOException | JetStreamApiException | RuntimeException e) {
                    errors.incrementAndGet();
                    if (stop.get()) {
                        return;
                    }
                }
                continue;
            }
            try {
                inflight.add(js.publishAsync(subject, body));
            } catch (RuntimeException closed) {
                errors.incrementAndGet(); // the connection died with the server: stop sending
                break;
            }
            sent.add(new String[] {subject, payload});
            if (inflight.size() >= 64) {
                settle(inflight, sent, acked, errors);
            }
        }
        settle(inflight, sent, acked, errors);
    }

    private void settle(List<CompletableFuture<PublishAck>> inflight, List<String[]> sent, Map<Long, Acked> acked,
                        AtomicLong errors) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (int i = 0; i < inflight.size(); i++) {
            try {
                long left = Math.max(1, deadline - System.nanoTime());
                record(acked, inflight.get(i).get(left, TimeUnit.NANOSECONDS), sent.get(i)[0], sent.get(i)[1]);
            } catch (Exception e) {
                errors.incrementAndGet(); // not acknowledged: may or may not be stored
            }
        }
        inflight.clear();
        sent.clear();
    }

    private static void record(Map<Long, Acked> acked, PublishAck ack, String subject, String payload) {
        if (ack.isDuplicate()) {
            throw new AssertionError("unexpected duplicate ack for " + payload);
        }
        Acked prev = acked.putIfAbsent(ack.getSeqno(), new Acked(ack.getSeqno(), subject, payload));
        if (prev != null) {
            throw new AssertionError("sequence " + ack.getSeqno() + " acknowledged twice: " + prev.payload()
                    + " and " + payload);
        }
    }

    /** Every acknowledged message is at its sequence with its subject and payload; the stream takes writes again. */
    private void verify(TestServer server, int round, Map<Long, Acked> acked) throws Exception {
        try (Connection nc = connect(server)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            StreamInfo info = awaitStream(jsm);
            long last = info.getStreamState().getLastSequence();
            List<String> problems = new ArrayList<>();
            for (Acked a : new TreeMap<>(acked).values()) {
                if (a.seq() > last) {
                    problems.add("seq " + a.seq() + " (" + a.payload() + ") beyond the stream's last sequence " + last);
                    continue;
                }
                MessageInfo m;
                try {
                    m = jsm.getMessage(STREAM, a.seq());
                } catch (JetStreamApiException e) {
                    problems.add("seq " + a.seq() + " (" + a.payload() + "): " + e.getMessage());
                    continue;
                }
                String got = new String(m.getData(), StandardCharsets.UTF_8);
                if (!got.equals(a.payload()) || !m.getSubject().equals(a.subject())) {
                    problems.add("seq " + a.seq() + " holds " + m.getSubject() + " " + got + ", acked "
                            + a.subject() + " " + a.payload());
                }
                if (problems.size() > 20) {
                    break;
                }
            }
            if (!problems.isEmpty()) {
                fail("round " + round + " (" + server.target() + "): " + problems.size() + " acknowledged publishes "
                        + "lost or wrong of " + acked.size() + ":\n  " + String.join("\n  ", problems)
                        + "\nserver output:\n" + tail(server.stderr()));
            }
            PublishAck after = nc.jetStream().publish("storm.after." + round, "after".getBytes(StandardCharsets.UTF_8));
            assertEquals(STREAM, after.getStream());
            assertTrue(after.getSeqno() > last, "a new publish got seq " + after.getSeqno() + " <= last " + last);
            acked.put(after.getSeqno(), new Acked(after.getSeqno(), "storm.after." + round, "after"));
        }
    }

    /** The stream as recovered, once the restarted server has loaded it. */
    private static StreamInfo awaitStream(JetStreamManagement jsm) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                return jsm.getStreamInfo(STREAM);
            } catch (JetStreamApiException | IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static Connection connect(TestServer server) throws Exception {
        Options o = new Options.Builder().server(server.url()).connectionTimeout(Duration.ofSeconds(5))
                .maxReconnects(0).errorListener(new io.nats.client.ErrorListener() {
                }).build();
        return Nats.connect(o);
    }

    private static String tail(String s) {
        return s.length() <= 4000 ? s : s.substring(s.length() - 4000);
    }
}
