package io.weft.sim.world;

import io.weft.engine.ServerOptions;
import io.weft.net.Conn;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * Scenario {@code core-slow-consumer}: one server with a small {@code max_pending}; a raw client
 * connects, subscribes to {@code big.>} and then never reads; subscribers that do read also take
 * {@code big.>}, and one of them reads slowly (a few KiB per read, then a pause: slower than the
 * publishers together, but it keeps reading); publishers send numbered messages (a few hundred
 * bytes each, far more in total than the 256 KiB network buffer plus {@code max_pending}) each
 * followed by a seeded 20-100 us pause. The promise checked is nats-server's bounded producer
 * stall: the stalled client is cut, and only it (the slow reader is not: the publishers' readers
 * wait for it, bounded, instead); every reading subscriber got every message exactly once in
 * per-publisher order; no batch of a publisher waited longer than the stall bound, and each
 * publisher's virtual time to publish its N messages and get the PONG of a final PING stays under
 * a bound plus the time the server spent stalled.
 */
public final class CoreSlowConsumer implements Scenario {
    public static final String NAME = "core-slow-consumer";
    private static final Duration CUT_WITHIN = Duration.ofSeconds(5);

    /** Workload size and the server's max_pending; tests raise it to show the check fails. */
    public record Config(int subscribers, int publishers, int messagesPerPublisher, int payloadBytes,
                         long maxPending, Duration writeDeadline, Duration publishBound, SimClient.DeliveryTap tap,
                         int slowReadBytes, Duration slowReadPause) {
        public Config(int subscribers, int publishers, int messagesPerPublisher, int payloadBytes, long maxPending,
                      Duration writeDeadline, Duration publishBound, SimClient.DeliveryTap tap) {
            this(subscribers, publishers, messagesPerPublisher, payloadBytes, maxPending, writeDeadline, publishBound,
                    tap, 4 * 1024, Duration.ofMillis(1));
        }

        /** The last of the subscribers reads 4 KiB per millisecond (4 MB/s; the publishers send up to ~30). */
        public static Config defaults() {
            return new Config(3, 2, 200, 1000, 64 * 1024, Duration.ofSeconds(10), Duration.ofMillis(500),
                    SimClient.DeliveryTap.all());
        }

        /** The slow reader reads {@code bytes} per read then pauses {@code pause} (null: it reads at full speed). */
        public Config withSlowReader(int bytes, Duration pause) {
            return new Config(subscribers, publishers, messagesPerPublisher, payloadBytes, maxPending, writeDeadline,
                    publishBound, tap, bytes, pause);
        }

        /** The server's max_pending and write_deadline (tests make both huge: nothing cuts the client). */
        public Config withLimits(long maxPendingBytes, Duration deadline) {
            return new Config(subscribers, publishers, messagesPerPublisher, payloadBytes, maxPendingBytes, deadline,
                    publishBound, tap, slowReadBytes, slowReadPause);
        }

        public Config withTap(SimClient.DeliveryTap t) {
            return new Config(subscribers, publishers, messagesPerPublisher, payloadBytes, maxPending, writeDeadline,
                    publishBound, t, slowReadBytes, slowReadPause);
        }
    }

    private final Config config;

    public CoreSlowConsumer(Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "1 server with max_pending " + config.maxPending() + ", a client that never reads, "
                + config.subscribers() + " readers (one slow), " + config.publishers() + " publishers: the stalled "
                + "client is cut alone, readers get everything, publishers wait at most the stall bound per batch";
    }

    @Override
    public SimResult run(long seed, Consumer<String> eventLog) {
        SimWorld world = new SimWorld(seed);
        if (eventLog != null) {
            world.eventLog(eventLog);
        }
        ServerOptions opts = new ServerOptions();
        opts.port = 4222;
        opts.maxPending = config.maxPending();
        opts.writeDeadline = config.writeDeadline();
        SimNode node = world.addNode("n1", opts);
        List<SimClient> readers = new ArrayList<>();
        for (int i = 0; i < config.subscribers(); i++) {
            readers.add(world.addClient(config.tap()));
        }
        List<SimClient> publishers = new ArrayList<>();
        for (int i = 0; i < config.publishers(); i++) {
            publishers.add(world.addClient(config.tap()));
        }
        PubSubChecker checker = new PubSubChecker();
        return world.run(name(), w -> {
            node.start();
            SplittableRandom rnd = w.workload();
            var clock = node.clock();
            if (config.slowReadPause() != null && !readers.isEmpty()) {
                readers.get(readers.size() - 1).readPacing(clock, config.slowReadPause(), config.slowReadBytes());
            }
            Conn slow = w.network().host("slow").connect(node.host(), node.port());
            w.history().add(-1, History.Type.INFO, "slow", "connected");
            String hello = "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"slow\",\"protocol\":1}\r\n"
                    + "SUB big.> 1\r\nPING\r\n";
            slow.write(new ByteBuffer[] {ByteBuffer.wrap(hello.getBytes(StandardCharsets.US_ASCII))});
            for (SimClient c : readers) {
                c.connect(w.network().host("c" + c.id()), node.host(), node.port());
                c.sub("big.>", "1");
                checker.subscribed(c.id(), "1", "big.>");
                c.flush();
            }
            // the slow client's SUB is in: its PING was sent before the readers flushed, but the
            // server reads connections independently; one more round trip from a reader settles it
            // only for the readers, so wait for the server to list the subscription
            while (node.server().openClients().size() < 1 + readers.size()) {
                clock.sleep(Duration.ofMillis(1));
            }
            clock.sleep(Duration.ofMillis(5));
            StringBuilder pad = new StringBuilder();
            while (pad.length() < config.payloadBytes()) {
                pad.append('x');
            }
            long bound = config.publishBound().toNanos();
            CountDownLatch done = new CountDownLatch(publishers.size());
            long[] took = new long[publishers.size()];
            for (int i = 0; i < publishers.size(); i++) {
                SimClient p = publishers.get(i);
                int idx = i;
                long s = rnd.nextLong();
                w.scheduler().spawn("c" + p.id() + "/main", () -> {
                    try {
                        SplittableRandom r = new SplittableRandom(s);
                        p.connect(w.network().host("c" + p.id()), node.host(), node.port());
                        p.flush();
                        long start = clock.nanoTime();
                        for (int k = 1; k <= config.messagesPerPublisher(); k++) {
                            String subject = "big." + r.nextInt(4);
                            String payload = "c" + p.id() + "-" + k + " " + pad;
                            checker.published(p.id(), k, subject, payload);
                            p.pub(subject, payload);
                            // paced (20-100 us a message, 2 x ~10-50 MB/s) so that readers keep up
                            // with a small max_pending; the stalled reader cannot
                            clock.sleep(Duration.ofNanos(20_000 + r.nextLong(80_000)));
                        }
                        p.flush();
                        took[idx] = clock.nanoTime() - start;
                        w.history().add(p.id(), History.Type.INFO, "published", config.messagesPerPublisher()
                                + " in " + took[idx] + "ns");
                    } catch (Exception e) {
                        w.fail("publisher " + p.id() + ": " + e);
                    } finally {
                        done.countDown();
                    }
                });
            }
            done.await();
            for (SimClient c : readers) {
                c.flush();
            }
            // the bounded stall: no batch waited longer than the bound, and a publisher's time is
            // its pacing plus at most the stalls (all of them, whichever reader they were for)
            var stalls = node.server().stallStats();
            long stallBound = io.weft.engine.server.Server.stallBound().toNanos();
            w.history().add(-1, History.Type.INFO, "stalls", stalls.count() + " batches, " + stalls.totalNanos()
                    + "ns in all, longest " + stalls.maxNanos() + "ns");
            if (stalls.maxNanos() > stallBound + 1_000_000L) {
                w.fail("a publisher's batch stalled " + stalls.maxNanos() / 1000 + " us (bound " + stallBound / 1000
                        + " us)");
            }
            if (stalls.count() == 0) {
                w.fail("no publisher ever stalled, yet a subscriber stopped reading with max_pending "
                        + config.maxPending());
            }
            for (int i = 0; i < publishers.size(); i++) {
                if (took[i] > bound + stalls.totalNanos()) {
                    w.fail("publisher " + publishers.get(i).id() + " took " + took[i] / 1000 + " us of virtual time for "
                            + config.messagesPerPublisher() + " messages (bound " + bound / 1000 + " us plus "
                            + stalls.totalNanos() / 1000 + " us of stalls)");
                }
            }
            // The engine marks the slow consumer at once but drops it only when its writer, stuck on
            // the full socket, is cut by housekeeping (a closing connection gets at most 2 s to send
            // its -ERR): allow CUT_WITHIN of virtual time.
            int expected = readers.size() + publishers.size();
            long cutBy = clock.nanoTime() + CUT_WITHIN.toNanos();
            while (node.server().openClients().size() > expected && clock.nanoTime() < cutBy) {
                clock.sleep(Duration.ofMillis(50));
            }
            int open = node.server().openClients().size();
            if (open != expected) {
                w.fail("the server has " + open + " open clients, expected " + expected
                        + " (the slow consumer must be cut, nobody else)");
            } else {
                // the server closed it: what it had buffered drains, then end of stream
                byte[] buf = new byte[64 * 1024];
                long total = 0;
                try {
                    int n;
                    while ((n = slow.read(buf, 0, buf.length)) >= 0) {
                        total += n;
                    }
                } catch (java.io.IOException e) {
                    // a reset also ends it
                }
                w.history().add(-1, History.Type.INFO, "slow", "cut after " + total + " bytes");
            }
            slow.close();
            for (SimClient c : readers) {
                checker.delivered(c.id(), c.deliveries());
            }
            for (SimClient c : w.clients()) {
                for (String e : c.errors()) {
                    w.fail("client " + c.id() + " got " + e);
                }
                if (c.endedBy() != null) {
                    w.fail("client " + c.id() + " lost its connection: " + c.endedBy());
                }
            }
            for (String f : checker.check()) {
                w.fail(f);
            }
        });
    }
}
