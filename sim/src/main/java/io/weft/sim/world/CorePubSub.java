package io.weft.sim.world;

import io.weft.engine.ServerOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * Scenario {@code core-pubsub}: one server, M clients. Each client subscribes to a few seeded
 * subjects (sometimes a wildcard), all flush, then each publishes numbered messages to seeded
 * subjects with seeded pauses and occasional PINGs, flushes, and finally every client flushes once
 * more so that everything routed to it has arrived. Check: every published message reached each
 * matching subscription exactly once, in per-publisher order, and nothing else arrived.
 *
 * <p>Variant {@code core-pubsub-reset} ({@link Config#withReset()}): a nemesis resets one client's
 * connection while messages flow. That client's deliveries, and the deliveries of its messages,
 * may end early but only as a prefix; everyone else's are still exact; the server drops it.
 */
public final class CorePubSub implements Scenario {
    public static final String NAME = "core-pubsub";
    public static final String RESET_NAME = "core-pubsub-reset";

    /** Workload size and the delivery tap (tests plant faults through it). */
    public record Config(int clients, int subjects, int messagesPerClient, Duration maxPause,
                         SimClient.DeliveryTap tap, boolean resetOne) {
        public static Config defaults() {
            return new Config(5, 4, 20, Duration.ofMillis(5), SimClient.DeliveryTap.all(), false);
        }

        public Config withClients(int n) {
            return new Config(n, subjects, messagesPerClient, maxPause, tap, resetOne);
        }

        public Config withMessages(int n) {
            return new Config(clients, subjects, n, maxPause, tap, resetOne);
        }

        public Config withTap(SimClient.DeliveryTap t) {
            return new Config(clients, subjects, messagesPerClient, maxPause, t, resetOne);
        }

        /** A nemesis resets one seeded client's connection at a seeded moment while messages flow. */
        public Config withReset() {
            return new Config(clients, subjects, messagesPerClient, maxPause, tap, true);
        }
    }

    private final Config config;

    public CorePubSub(Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return config.resetOne() ? RESET_NAME : NAME;
    }

    @Override
    public String description() {
        if (config.resetOne()) {
            return "core-pubsub with one client's connection reset mid-run: its traffic stops as a prefix, "
                    + "everyone else still gets everything exactly once, in order; the server drops it";
        }
        return "1 server, " + config.clients() + " clients: SUB/PUB/PING; every message delivered exactly once "
                + "to each matching subscription, in per-publisher order";
    }

    @Override
    public SimResult run(long seed, Consumer<String> eventLog) {
        SimWorld world = new SimWorld(seed);
        if (eventLog != null) {
            world.eventLog(eventLog);
        }
        ServerOptions opts = new ServerOptions();
        opts.port = 4222;
        SimNode node = world.addNode("n1", opts);
        List<SimClient> clients = new ArrayList<>();
        for (int i = 0; i < config.clients(); i++) {
            clients.add(world.addClient(config.tap()));
        }
        PubSubChecker checker = new PubSubChecker();
        return world.run(name(), w -> {
            node.start();
            SplittableRandom rnd = w.workload();
            int n = clients.size();
            CountDownLatch subscribed = new CountDownLatch(n);
            CountDownLatch published = new CountDownLatch(n);
            CountDownLatch finished = new CountDownLatch(n);
            int victim = config.resetOne() ? rnd.nextInt(n) : -1;
            for (SimClient c : clients) {
                long clientSeed = rnd.nextLong();
                w.scheduler().spawn("c" + c.id() + "/main", () -> {
                    boolean[] counted = new boolean[2];
                    try {
                        clientLoop(w, node, c, new SplittableRandom(clientSeed), checker, subscribed, published, counted);
                    } catch (Exception e) {
                        if (c.id() != victim || !(e instanceof IOException)) {
                            w.fail("client " + c.id() + ": " + e);
                        }
                        if (!counted[0]) {
                            subscribed.countDown();
                        }
                        if (!counted[1]) {
                            published.countDown();
                        }
                    } finally {
                        finished.countDown();
                    }
                });
            }
            Thread nemesis = null;
            if (victim >= 0) {
                long at = rnd.nextLong(config.messagesPerClient() * config.maxPause().toNanos() / 2 + 1);
                nemesis = w.scheduler().spawn("nemesis", () -> {
                    try {
                        subscribed.await();
                        node.clock().sleep(Duration.ofNanos(at));
                        w.history().add(-1, History.Type.INFO, "reset", "c" + victim);
                        checker.cut(victim);
                        w.network().resetConnections("c" + victim, node.host());
                    } catch (InterruptedException e) {
                        w.fail("nemesis interrupted");
                    }
                });
            }
            finished.await();
            if (nemesis != null) {
                nemesis.join();
                // the server notices a reset on its next read, which is immediate; give it a moment
                node.clock().sleep(Duration.ofMillis(10));
            }
            for (SimClient c : clients) {
                checker.delivered(c.id(), c.deliveries());
                for (String e : c.errors()) {
                    w.fail("client " + c.id() + " got " + e);
                }
                if (c.id() != victim && c.endedBy() != null) {
                    w.fail("client " + c.id() + " lost its connection: " + c.endedBy());
                }
            }
            if (victim >= 0) {
                int open = node.server().openClients().size();
                if (open != n - 1) {
                    w.fail("the server has " + open + " open clients after resetting one of " + n);
                }
            }
            for (String f : checker.check()) {
                w.fail(f);
            }
        });
    }

    private void clientLoop(SimWorld w, SimNode node, SimClient c, SplittableRandom rnd, PubSubChecker checker,
                            CountDownLatch subscribed, CountDownLatch published, boolean[] counted) throws Exception {
        var clock = node.clock();
        clock.sleep(Duration.ofNanos(rnd.nextLong(config.maxPause().toNanos() + 1)));
        c.connect(w.network().host("c" + c.id()), node.host(), node.port());
        int subs = 1 + rnd.nextInt(3);
        for (int s = 0; s < subs; s++) {
            String subject = rnd.nextInt(6) == 0 ? (rnd.nextBoolean() ? "s.*" : "s.>") : "s." + rnd.nextInt(config.subjects());
            String sid = String.valueOf(s + 1);
            c.sub(subject, sid);
            checker.subscribed(c.id(), sid, subject);
        }
        c.flush();
        counted[0] = true;
        subscribed.countDown();
        subscribed.await();
        for (int k = 1; k <= config.messagesPerClient(); k++) {
            String subject = "s." + rnd.nextInt(config.subjects());
            String payload = "c" + c.id() + "-" + k;
            checker.published(c.id(), k, subject, payload);
            c.pub(subject, payload);
            int r = rnd.nextInt(10);
            if (r == 0) {
                c.flush();
            } else if (r < 5) {
                clock.sleep(Duration.ofNanos(rnd.nextLong(config.maxPause().toNanos() + 1)));
            }
        }
        c.flush();
        counted[1] = true;
        published.countDown();
        published.await();
        // the server queued every routed message before this PONG
        c.flush();
    }
}
