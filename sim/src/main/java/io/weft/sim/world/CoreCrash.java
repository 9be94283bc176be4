package io.weft.sim.world;

import io.weft.engine.ServerOptions;
import io.weft.sim.fault.FaultPlan;
import io.weft.sim.fault.Nemesis;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * Scenario {@code core-crash}: one server under the seed's {@link FaultPlan} (connection resets,
 * crash and restart on the same disk, pauses, clock skew and jumps), several clients that
 * reconnect and resubscribe whenever their connection drops, publishing numbered messages
 * throughout. Checked per connection session by {@link SessionChecker}: no delivery to a
 * non-matching subscription, no duplicate and no reorder within a session, and every message a
 * publisher flushed while a subscriber's session was subscribed and stayed up is delivered.
 */
public final class CoreCrash implements Scenario {
    public static final String NAME = "core-crash";

    /** Workload size, the fault plan per seed, and a delivery tap (tests plant faults through it). */
    public record Config(int clients, int subjects, int messagesPerClient, Duration maxPause,
                         LongFunction<FaultPlan> plans, SimClient.DeliveryTap tap) {
        public static Config defaults() {
            return new Config(5, 4, 30, Duration.ofMillis(4), FaultPlan::fromSeed, SimClient.DeliveryTap.all());
        }

        public Config withPlans(LongFunction<FaultPlan> p) {
            return new Config(clients, subjects, messagesPerClient, maxPause, p, tap);
        }

        public Config withTap(SimClient.DeliveryTap t) {
            return new Config(clients, subjects, messagesPerClient, maxPause, plans, t);
        }

        public Config withClients(int n) {
            return new Config(n, subjects, messagesPerClient, maxPause, plans, tap);
        }

        public Config withMessages(int n) {
            return new Config(clients, subjects, n, maxPause, plans, tap);
        }
    }

    private final Config config;

    public CoreCrash(Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "1 server crashed/restarted, paused, skewed and with connections reset per the seed's fault plan; "
                + config.clients() + " reconnecting clients; per session: no wrong, duplicate or reordered delivery, "
                + "nothing flushed to a live subscription lost";
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
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < config.clients(); i++) {
            SimClient c = world.addClient(config.tap());
            clients.add(c);
            hosts.add("c" + c.id());
        }
        FaultPlan plan = config.plans().apply(seed);
        SessionChecker checker = new SessionChecker();
        return world.run(NAME, w -> {
            node.start();
            Thread nemesis = new Nemesis(w, node, plan, hosts).start();
            SplittableRandom rnd = w.workload();
            int n = clients.size();
            CountDownLatch published = new CountDownLatch(n);
            CountDownLatch settled = new CountDownLatch(n);
            CountDownLatch finished = new CountDownLatch(n);
            for (SimClient c : clients) {
                long clientSeed = rnd.nextLong();
                w.scheduler().spawn("c" + c.id() + "/main", () -> {
                    try {
                        new Worker(w, node, c, new SplittableRandom(clientSeed), checker)
                                .run(nemesis, published, settled);
                    } catch (Exception e) {
                        w.fail("client " + c.id() + ": " + e);
                    } finally {
                        finished.countDown();
                    }
                });
            }
            finished.await();
            nemesis.join();
            for (SimClient c : clients) {
                checker.delivered(c.id(), c.deliveries(), c.deliverySessions());
                for (String e : c.errors()) {
                    w.fail("client " + c.id() + " got " + e);
                }
            }
            for (String f : checker.check()) {
                w.fail(f);
            }
        });
    }

    /** One client's program: subscribe, publish through faults, reconnecting as needed, then settle. */
    private final class Worker {
        private final SimWorld w;
        private final SimNode node;
        private final SimClient c;
        private final SplittableRandom rnd;
        private final SessionChecker checker;
        private final List<String[]> subs = new ArrayList<>();
        private boolean subscribedOnce;

        Worker(SimWorld w, SimNode node, SimClient c, SplittableRandom rnd, SessionChecker checker) {
            this.w = w;
            this.node = node;
            this.c = c;
            this.rnd = rnd;
            this.checker = checker;
        }

        void run(Thread nemesis, CountDownLatch published, CountDownLatch settled) throws Exception {
            sleep(rnd.nextLong(config.maxPause().toNanos() + 1));
            int count = 1 + rnd.nextInt(3);
            for (int s = 0; s < count; s++) {
                String subject = rnd.nextInt(6) == 0 ? (rnd.nextBoolean() ? "s.*" : "s.>") : "s." + rnd.nextInt(config.subjects());
                String sid = String.valueOf(s + 1);
                subs.add(new String[] {subject, sid});
                checker.subscribed(c.id(), sid, subject);
            }
            ensureSession();
            for (int k = 1; k <= config.messagesPerClient(); k++) {
                ensureSession();
                String subject = "s." + rnd.nextInt(config.subjects());
                String payload = "c" + c.id() + "-" + k;
                checker.published(c.id(), c.session(), k, subject, payload, w.scheduler().now());
                try {
                    c.pub(subject, payload);
                } catch (IOException e) {
                    continue; // the session died; the next message starts a new one
                }
                int r = rnd.nextInt(10);
                if (r < 3) {
                    flush();
                } else if (r < 7) {
                    sleep(rnd.nextLong(config.maxPause().toNanos() + 1));
                }
            }
            flush();
            published.countDown();
            published.await();
            nemesis.join();
            // no more faults: get a live, subscribed session and flush, then once everyone has, flush again
            while (!flush()) {
                sleep(1_000_000L);
            }
            settled.countDown();
            settled.await();
            while (!flush()) {
                sleep(1_000_000L);
            }
        }

        /** Connects (first time) or reconnects and resubscribes until a session's subscriptions are acknowledged. */
        private void ensureSession() throws InterruptedException {
            while (c.session() == 0 || c.ended()) {
                try {
                    if (!subscribedOnce) {
                        c.close();
                        c.connect(w.network().host("c" + c.id()), node.host(), node.port());
                        for (String[] s : subs) {
                            c.sub(s[0], s[1]);
                        }
                        subscribedOnce = true;
                    } else {
                        c.reconnect(w.network().host("c" + c.id()), node.host(), node.port());
                    }
                    long invoked = w.scheduler().now();
                    c.flush();
                    checker.acked(c.id(), c.session(), w.scheduler().now());
                    checker.flushed(c.id(), c.session(), invoked, w.scheduler().now());
                } catch (IOException e) {
                    sleep(500_000L + rnd.nextLong(4_000_000L));
                }
            }
        }

        /** Flushes in a live session (making one if needed); false if the session died meanwhile. */
        private boolean flush() throws InterruptedException {
            ensureSession();
            int session = c.session();
            long invoked = w.scheduler().now();
            try {
                c.flush();
            } catch (IOException e) {
                return false;
            }
            checker.flushed(c.id(), session, invoked, w.scheduler().now());
            return true;
        }

        private void sleep(long nanos) throws InterruptedException {
            node.clock().sleep(Duration.ofNanos(nanos));
        }
    }
}
