package io.weft.sim.world;

import io.weft.engine.ServerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * Scenario {@code sim-speed}: a paced workload to measure the simulator's speed (simulated seconds
 * per real second). Three independent server nodes, twenty clients spread over them; each client
 * subscribes to two of four subjects on its node and publishes numbered messages at a modest,
 * seeded rate (a virtual pause of 20-80 ms between messages, so about 25 messages per second per
 * client). Check: on every node, every message reached every matching subscription exactly once,
 * in per-publisher order.
 */
public final class SimSpeed implements Scenario {
    public static final String NAME = "sim-speed";

    public record Config(int nodes, int clients, int messagesPerClient, Duration minPause, Duration maxPause) {
        public static Config defaults() {
            return new Config(3, 20, 100, Duration.ofMillis(20), Duration.ofMillis(80));
        }

        public Config withClients(int n) {
            return new Config(nodes, n, messagesPerClient, minPause, maxPause);
        }

        public Config withMessages(int n) {
            return new Config(nodes, clients, n, minPause, maxPause);
        }
    }

    private final Config config;

    public SimSpeed(Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return config.nodes() + " independent servers, " + config.clients() + " clients publishing "
                + config.messagesPerClient() + " messages each at ~25/s (paced by virtual sleeps): a speed benchmark";
    }

    @Override
    public SimResult run(long seed, Consumer<String> eventLog) {
        SimWorld world = new SimWorld(seed);
        if (eventLog != null) {
            world.eventLog(eventLog);
        }
        List<SimNode> nodes = new ArrayList<>();
        List<PubSubChecker> checkers = new ArrayList<>();
        for (int i = 0; i < config.nodes(); i++) {
            ServerOptions opts = new ServerOptions();
            opts.port = 4222;
            nodes.add(world.addNode("n" + (i + 1), opts));
            checkers.add(new PubSubChecker());
        }
        List<SimClient> clients = new ArrayList<>();
        for (int i = 0; i < config.clients(); i++) {
            clients.add(world.addClient(SimClient.DeliveryTap.all()));
        }
        return world.run(name(), w -> {
            for (SimNode n : nodes) {
                n.start();
            }
            SplittableRandom rnd = w.workload();
            int count = clients.size();
            CountDownLatch subscribed = new CountDownLatch(count);
            CountDownLatch published = new CountDownLatch(count);
            CountDownLatch finished = new CountDownLatch(count);
            long minPause = config.minPause().toNanos();
            long spread = config.maxPause().toNanos() - minPause + 1;
            for (SimClient c : clients) {
                SimNode node = nodes.get(c.id() % nodes.size());
                PubSubChecker checker = checkers.get(c.id() % nodes.size());
                long s = rnd.nextLong();
                w.scheduler().spawn("c" + c.id() + "/main", () -> {
                    boolean[] counted = new boolean[2];
                    try {
                        SplittableRandom r = new SplittableRandom(s);
                        var clock = node.clock();
                        clock.sleep(Duration.ofNanos(r.nextLong(spread)));
                        c.connect(w.network().host("c" + c.id()), node.host(), node.port());
                        int first = r.nextInt(4);
                        for (int k = 0; k < 2; k++) {
                            String subject = "s." + ((first + k) % 4);
                            c.sub(subject, String.valueOf(k + 1));
                            checker.subscribed(c.id(), String.valueOf(k + 1), subject);
                        }
                        c.flush();
                        counted[0] = true;
                        subscribed.countDown();
                        subscribed.await();
                        for (int k = 1; k <= config.messagesPerClient(); k++) {
                            String subject = "s." + r.nextInt(4);
                            String payload = "c" + c.id() + "-" + k;
                            checker.published(c.id(), k, subject, payload);
                            c.pub(subject, payload);
                            clock.sleep(Duration.ofNanos(minPause + r.nextLong(spread)));
                        }
                        c.flush();
                        counted[1] = true;
                        published.countDown();
                        published.await();
                        c.flush();
                    } catch (Exception e) {
                        w.fail("client " + c.id() + ": " + e);
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
            finished.await();
            for (SimClient c : clients) {
                checkers.get(c.id() % nodes.size()).delivered(c.id(), c.deliveries());
                for (String e : c.errors()) {
                    w.fail("client " + c.id() + " got " + e);
                }
            }
            for (PubSubChecker ch : checkers) {
                for (String f : ch.check()) {
                    w.fail(f);
                }
            }
        });
    }
}
