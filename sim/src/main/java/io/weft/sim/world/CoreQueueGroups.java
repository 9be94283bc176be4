package io.weft.sim.world;

import io.weft.engine.ServerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Scenario {@code core-queue-groups}: one server; members of queue groups {@code A} and {@code B}
 * subscribe to {@code work.*}; one member of each group (its anchor) stays for the whole run, the
 * others leave (UNSUB) and join again (SUB with a fresh sid) at seeded moments while publishers send
 * numbered messages to {@code work.0} and {@code work.1}; a plain subscriber watches everything.
 * Check: each message reached exactly one member of each group (messages routed to a member before
 * it left still count: an UNSUB does not take back what was queued); the watcher got every message
 * exactly once in per-publisher order; every member got a group's messages in per-publisher order.
 */
public final class CoreQueueGroups implements Scenario {
    public static final String NAME = "core-queue-groups";
    private static final String[] GROUPS = {"A", "B"};

    /** Workload size; the tap lets tests plant a lost message. */
    public record Config(int members, int publishers, int messagesPerPublisher, Duration maxPause,
                         SimClient.DeliveryTap tap) {
        public static Config defaults() {
            return new Config(6, 2, 40, Duration.ofMillis(3), SimClient.DeliveryTap.all());
        }

        public Config withTap(SimClient.DeliveryTap t) {
            return new Config(members, publishers, messagesPerPublisher, maxPause, t);
        }

        public Config withMessages(int n) {
            return new Config(members, publishers, n, maxPause, tap);
        }
    }

    private final Config config;

    public CoreQueueGroups(Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "1 server, " + config.members() + " members of queue groups A and B joining and leaving while "
                + config.publishers() + " clients publish: each message to exactly one member per group";
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
        List<SimClient> members = new ArrayList<>();
        for (int i = 0; i < config.members(); i++) {
            members.add(world.addClient(config.tap()));
        }
        SimClient watcher = world.addClient(config.tap());
        List<SimClient> publishers = new ArrayList<>();
        for (int i = 0; i < config.publishers(); i++) {
            publishers.add(world.addClient(config.tap()));
        }
        return world.run(name(), w -> {
            node.start();
            SplittableRandom rnd = w.workload();
            var clock = node.clock();
            watcher.connect(w.network().host("c" + watcher.id()), node.host(), node.port());
            watcher.sub("work.*", "w");
            watcher.flush();
            // member i is in group i % 2; members 0 and 1 are the anchors
            Map<String, String> groupOfSid = new TreeMap<>(); // "client/sid" -> group
            for (int i = 0; i < members.size(); i++) {
                SimClient m = members.get(i);
                m.connect(w.network().host("c" + m.id()), node.host(), node.port());
                String g = GROUPS[i % 2];
                m.sub("work.*", g, "1");
                groupOfSid.put(m.id() + "/1", g);
                m.flush();
            }
            AtomicBoolean publishing = new AtomicBoolean(true);
            CountDownLatch published = new CountDownLatch(publishers.size());
            for (SimClient p : publishers) {
                long s = rnd.nextLong();
                w.scheduler().spawn("c" + p.id() + "/main", () -> {
                    try {
                        SplittableRandom r = new SplittableRandom(s);
                        p.connect(w.network().host("c" + p.id()), node.host(), node.port());
                        for (int k = 1; k <= config.messagesPerPublisher(); k++) {
                            p.pub("work." + r.nextInt(2), "p" + p.id() + "-" + k);
                            if (r.nextInt(2) == 0) {
                                clock.sleep(Duration.ofNanos(r.nextLong(config.maxPause().toNanos() + 1)));
                            }
                        }
                        p.flush();
                    } catch (Exception e) {
                        w.fail("publisher " + p.id() + ": " + e);
                    } finally {
                        published.countDown();
                    }
                });
            }
            CountDownLatch churned = new CountDownLatch(members.size() - 2);
            for (int i = 2; i < members.size(); i++) {
                SimClient m = members.get(i);
                String g = GROUPS[i % 2];
                long s = rnd.nextLong();
                w.scheduler().spawn("c" + m.id() + "/churn", () -> {
                    try {
                        SplittableRandom r = new SplittableRandom(s);
                        int sid = 1;
                        boolean in = true;
                        while (publishing.get()) {
                            clock.sleep(Duration.ofNanos(1 + r.nextLong(4 * config.maxPause().toNanos())));
                            if (!publishing.get()) {
                                break;
                            }
                            if (in) {
                                m.unsub(String.valueOf(sid));
                            } else {
                                sid++;
                                groupOfSid.put(m.id() + "/" + sid, g);
                                m.sub("work.*", g, String.valueOf(sid));
                            }
                            in = !in;
                        }
                        m.flush();
                    } catch (Exception e) {
                        w.fail("member " + m.id() + ": " + e);
                    } finally {
                        churned.countDown();
                    }
                });
            }
            published.await();
            publishing.set(false);
            churned.await();
            for (SimClient m : members) {
                m.flush();
            }
            watcher.flush();
            check(w, members, watcher, publishers, groupOfSid);
            for (SimClient c : w.clients()) {
                for (String e : c.errors()) {
                    w.fail("client " + c.id() + " got " + e);
                }
                if (c.endedBy() != null) {
                    w.fail("client " + c.id() + " lost its connection: " + c.endedBy());
                }
            }
        });
    }

    private void check(SimWorld w, List<SimClient> members, SimClient watcher, List<SimClient> publishers,
                       Map<String, String> groupOfSid) {
        int total = publishers.size() * config.messagesPerPublisher();
        // the watcher: everything exactly once, per-publisher order
        Map<Integer, Integer> lastSeq = new TreeMap<>();
        Map<String, Integer> seen = new TreeMap<>();
        for (SimClient.Delivery d : watcher.deliveries()) {
            seen.merge(d.payload(), 1, Integer::sum);
            int[] ps = parse(d.payload());
            Integer prev = lastSeq.put(ps[0], ps[1]);
            if (prev != null && prev >= ps[1]) {
                w.fail("watcher got " + d.payload() + " after p" + ps[0] + "-" + prev);
            }
        }
        if (seen.size() != total || seen.values().stream().anyMatch(n -> n != 1)) {
            w.fail("watcher got " + seen.size() + " distinct of " + total + " messages, duplicates: "
                    + seen.entrySet().stream().filter(e -> e.getValue() != 1).map(Map.Entry::getKey).toList());
        }
        // each group: exactly one delivery per message; per member, per-publisher order
        Map<String, Map<String, List<Integer>>> byGroup = new TreeMap<>();
        for (SimClient m : members) {
            Map<Integer, Integer> order = new TreeMap<>();
            for (SimClient.Delivery d : m.deliveries()) {
                String g = groupOfSid.get(m.id() + "/" + d.sid());
                if (g == null) {
                    w.fail("member " + m.id() + " got " + d.payload() + " on unknown sid " + d.sid());
                    continue;
                }
                byGroup.computeIfAbsent(g, x -> new TreeMap<>())
                        .computeIfAbsent(d.payload(), x -> new ArrayList<>()).add(m.id());
                int[] ps = parse(d.payload());
                Integer prev = order.put(ps[0], ps[1]);
                if (prev != null && prev >= ps[1]) {
                    w.fail("member " + m.id() + " got " + d.payload() + " after p" + ps[0] + "-" + prev);
                }
            }
        }
        for (String g : GROUPS) {
            Map<String, List<Integer>> got = byGroup.getOrDefault(g, Map.of());
            for (SimClient p : publishers) {
                for (int k = 1; k <= config.messagesPerPublisher(); k++) {
                    String payload = "p" + p.id() + "-" + k;
                    List<Integer> to = got.getOrDefault(payload, List.of());
                    if (to.size() != 1) {
                        w.fail("group " + g + " got " + payload + " " + to.size() + " times (members " + to + ")");
                    }
                }
            }
        }
    }

    private static int[] parse(String payload) {
        int dash = payload.indexOf('-');
        return new int[] {Integer.parseInt(payload.substring(1, dash)), Integer.parseInt(payload.substring(dash + 1))};
    }
}
