package io.weft.sim.world;

import io.weft.engine.ServerOptions;
import io.weft.engine.route.RouteConnection;
import io.weft.engine.server.Account;
import io.weft.engine.server.RouteSink;
import io.weft.engine.server.Server;
import io.weft.sim.SimClock;
import io.weft.sim.net.SimNetwork;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scenario {@code core-cluster}: 3-5 real nodes joined by routes (each lists every other as an
 * explicit route) over the simulated network, clients spread over the nodes that reconnect to the
 * next node when their connection drops, and a seeded plan of cluster faults: partitions between
 * nodes, route resets, client resets, node crashes and restarts, pauses. Checked by
 * {@link ClusterChecker} (no wrong, duplicate or reordered delivery per route path, a queue
 * message to at most one member); after the heal, every node's view of remote interest must
 * converge to the truth (the client subscriptions live on the other nodes, see
 * {@link #interestDiff}), and probes published then must reach every matching subscriber.
 */
public final class CoreCluster implements Scenario {
    public static final String NAME = "core-cluster";
    static final int CLUSTER_PORT = 6222;
    /** How long (virtual) interest may take to converge after the last fault: a re-dial backs off up to seconds. */
    static final Duration CONVERGE = Duration.ofSeconds(60);
    /** How long (virtual) the probes may take to arrive once interest has converged. */
    static final Duration PROBE_WAIT = Duration.ofSeconds(2);
    /** Probe rounds at most: a round during which a route changed may lose probes, and is repeated. */
    static final int PROBE_ROUNDS = 5;

    /**
     * Workload size, whether faults are drawn, a delivery tap (tests plant a lost delivery) and a hook
     * run once the faults are over and every client is settled (tests plant wrong interest).
     */
    public record Config(int clients, int messagesPerClient, Duration maxPause, boolean faults,
                         SimClient.DeliveryTap tap, Consumer<List<SimNode>> afterSettle) {
        public static Config defaults() {
            return new Config(8, 25, Duration.ofMillis(4), true, SimClient.DeliveryTap.all(), nodes -> { });
        }

        public Config withClients(int n) {
            return new Config(n, messagesPerClient, maxPause, faults, tap, afterSettle);
        }

        public Config withMessages(int n) {
            return new Config(clients, n, maxPause, faults, tap, afterSettle);
        }

        public Config withoutFaults() {
            return new Config(clients, messagesPerClient, maxPause, false, tap, afterSettle);
        }

        public Config withTap(SimClient.DeliveryTap t) {
            return new Config(clients, messagesPerClient, maxPause, faults, t, afterSettle);
        }

        public Config withAfterSettle(Consumer<List<SimNode>> hook) {
            return new Config(clients, messagesPerClient, maxPause, faults, tap, hook);
        }
    }

    // ---------------------------------------------------------------- faults

    /** One cluster fault, applied {@code gap} after the previous one ended. */
    sealed interface Fault {
        Duration gap();
    }

    /** Cut node {@code a} off node {@code b} (or, with b = -1, off every other node) for {@code length}, then heal. */
    record Cut(Duration gap, int a, int b, Duration length, boolean refuse, boolean oneWay) implements Fault {
        @Override
        public String toString() {
            return "partition(+" + gap.toNanos() / 1000 + "us, n" + (a + 1) + (oneWay ? " -> " : " <-> ")
                    + (b < 0 ? "all" : "n" + (b + 1)) + ", " + length.toNanos() / 1000 + "us, "
                    + (refuse ? "refuse" : "blackhole") + ")";
        }
    }

    /** Reset the route (every connection) between nodes {@code a} and {@code b}. */
    record RouteReset(Duration gap, int a, int b) implements Fault {
        @Override
        public String toString() {
            return "route-reset(+" + gap.toNanos() / 1000 + "us, n" + (a + 1) + " n" + (b + 1) + ")";
        }
    }

    /** Reset client {@code client}'s connections (it reconnects to the next node). */
    record ClientReset(Duration gap, int client) implements Fault {
        @Override
        public String toString() {
            return "client-reset(+" + gap.toNanos() / 1000 + "us, c" + client + ")";
        }
    }

    /** Crash node {@code node}, keep it down for {@code down}, restart it. */
    record Crash(Duration gap, int node, Duration down) implements Fault {
        @Override
        public String toString() {
            return "crash(+" + gap.toNanos() / 1000 + "us, n" + (node + 1) + ", down " + down.toNanos() / 1000 + "us)";
        }
    }

    /** Pause every thread of node {@code node} for {@code length}. */
    record Pause(Duration gap, int node, Duration length) implements Fault {
        @Override
        public String toString() {
            return "pause(+" + gap.toNanos() / 1000 + "us, n" + (node + 1) + ", " + length.toNanos() / 1000 + "us)";
        }
    }

    enum Kind { PARTITION, ROUTE_RESET, CLIENT_RESET, CRASH, PAUSE }

    /**
     * The seed's faults (swarm: each kind in the mix with probability 1/2, then 1-6 faults of those
     * kinds), gaps up to 20 ms, partitions and pauses up to 50 ms, crashes down up to 30 ms.
     */
    static List<Fault> plan(long seed, int nodes, int clients) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x3C6EF372FE94F82BL);
        List<Kind> mix = new ArrayList<>();
        for (Kind k : Kind.values()) {
            if (r.nextBoolean()) {
                mix.add(k);
            }
        }
        List<Fault> out = new ArrayList<>();
        if (mix.isEmpty()) {
            return out;
        }
        int n = 1 + r.nextInt(6);
        for (int i = 0; i < n; i++) {
            Duration gap = Duration.ofNanos(r.nextLong(20_000_000L));
            int a = r.nextInt(nodes);
            int b = (a + 1 + r.nextInt(nodes - 1)) % nodes;
            out.add(switch (mix.get(r.nextInt(mix.size()))) {
                case PARTITION -> new Cut(gap, a, r.nextBoolean() ? -1 : b, Duration.ofNanos(100_000L + r.nextLong(50_000_000L)),
                        r.nextBoolean(), r.nextInt(4) == 0);
                case ROUTE_RESET -> new RouteReset(gap, a, b);
                case CLIENT_RESET -> new ClientReset(gap, r.nextInt(clients));
                case CRASH -> new Crash(gap, a, Duration.ofNanos(100_000L + r.nextLong(30_000_000L)));
                case PAUSE -> new Pause(gap, a, Duration.ofNanos(100_000L + r.nextLong(50_000_000L)));
            });
        }
        return out;
    }

    private final Config config;

    public CoreCluster(Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "3-5 routed servers, " + config.clients() + " clients spread over them, partitions/route resets/crashes/pauses; "
                + "no wrong, duplicate or reordered delivery per route path, queue messages to at most one member, "
                + "interest converges after the heal and probes reach every subscriber";
    }

    private static final Pattern ROUTE_LOG = Pattern.compile("^INF Route connection (?:created for|accepted from|to) ([^: ]+):");

    @Override
    public SimResult run(long seed, Consumer<String> eventLog) {
        SimWorld world = new SimWorld(seed);
        if (eventLog != null) {
            world.eventLog(eventLog);
        }
        SplittableRandom rnd = world.workload();
        int nodeCount = 3 + rnd.nextInt(3);
        ClusterChecker checker = new ClusterChecker();
        List<SimNode> nodes = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) {
            ServerOptions o = new ServerOptions();
            o.port = 4222;
            o.clusterName = "sim";
            o.clusterPort = CLUSTER_PORT;
            List<String> routes = new ArrayList<>();
            for (int j = 0; j < nodeCount; j++) {
                if (j != i) {
                    routes.add("n" + (j + 1) + ":" + CLUSTER_PORT);
                }
            }
            o.routes = List.copyOf(routes);
            SimNode node = world.addNode("n" + (i + 1), o);
            String host = node.host();
            node.logTap(line -> {
                Matcher m = ROUTE_LOG.matcher(line);
                if (m.find()) {
                    checker.routeChanged(world.scheduler().now(), host, m.group(1));
                }
            });
            nodes.add(node);
        }
        List<SimClient> clients = new ArrayList<>();
        for (int i = 0; i < config.clients(); i++) {
            clients.add(world.addClient(config.tap()));
        }
        List<Fault> plan = config.faults() ? plan(seed, nodeCount, clients.size()) : List.of();
        return world.run(NAME, w -> {
            for (SimNode n : nodes) {
                n.start();
            }
            w.scheduler().note(nodeCount + " nodes, faults " + plan);
            Thread nemesis = w.scheduler().spawn("nemesis", () -> nemesis(w, nodes, clients, plan));
            int n = clients.size();
            CountDownLatch settled = new CountDownLatch(n);
            CountDownLatch finished = new CountDownLatch(n);
            List<Worker> workers = new ArrayList<>();
            for (SimClient c : clients) {
                Worker worker = new Worker(w, nodes, c, new SplittableRandom(rnd.nextLong()), checker);
                workers.add(worker);
                w.scheduler().spawn("c" + c.id() + "/main", () -> {
                    try {
                        worker.run(nemesis, settled);
                    } catch (Exception e) {
                        w.fail("client " + c.id() + ": " + e);
                    } finally {
                        finished.countDown();
                    }
                });
            }
            finished.await();
            nemesis.join();
            config.afterSettle().accept(nodes);
            SimClock clock = new SimClock(w.scheduler());
            for (int round = 0; ; round++) {
                long until = w.scheduler().now() + CONVERGE.toNanos();
                List<String> diff = interestDiff(nodes);
                while (!diff.isEmpty() && w.scheduler().now() < until) {
                    clock.sleep(Duration.ofMillis(5));
                    diff = interestDiff(nodes);
                }
                if (!diff.isEmpty()) {
                    w.fail("interest did not converge within " + CONVERGE + " after the heal: "
                            + String.join("; ", diff.subList(0, Math.min(8, diff.size()))));
                    break;
                }
                w.history().add(-1, History.Type.INFO, "probe-round", String.valueOf(round));
                int events = checker.routeEvents();
                checker.clearExpectations();
                probe(w, clients, workers, checker, round);
                boolean missing = !checker.missingProbes(deliveries(clients), sessions(clients)).isEmpty();
                // core NATS is at-most-once: a probe may be lost while a route is replaced (a duplicate
                // dialled late); only a round during which no route changed must deliver everything
                if (!missing || checker.routeEvents() == events || round + 1 == PROBE_ROUNDS) {
                    break;
                }
                w.scheduler().note("a route changed during probe round " + round + "; probing again");
            }
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

    /** Every client publishes one probe per subject; waits until every expected delivery is in (or the bound). */
    private void probe(SimWorld w, List<SimClient> clients, List<Worker> workers, ClusterChecker checker, int round)
            throws InterruptedException {
        List<String> subjects = List.of("s.0", "s.1", "s.2", "s.3", "work.0");
        for (Worker wk : workers) {
            int k = config.messagesPerClient() + round * subjects.size();
            for (String subject : subjects) {
                k++;
                String payload = "c" + wk.c.id() + "-" + k;
                for (Worker sub : workers) {
                    sub.expectProbe(subject, payload);
                }
                for (String g : new TreeSet<>(queueGroupsWithMembers(workers, subject))) {
                    checker.expectQueue(payload, g);
                }
                checker.published(wk.c.id(), wk.c.session(), k, subject, payload, w.scheduler().now());
                try {
                    wk.c.pub(subject, payload);
                } catch (IOException e) {
                    w.fail("client " + wk.c.id() + " could not publish probe " + payload + ": " + e.getMessage());
                }
            }
            try {
                wk.c.flush();
            } catch (IOException e) {
                w.fail("client " + wk.c.id() + " lost its connection after the heal: " + e.getMessage());
            }
        }
        long until = w.scheduler().now() + PROBE_WAIT.toNanos();
        while (w.scheduler().now() < until && !checker.missingProbes(deliveries(clients), sessions(clients)).isEmpty()) {
            new SimClock(w.scheduler()).sleep(Duration.ofMillis(1));
        }
        // a little longer, so a second copy of a probe would show
        new SimClock(w.scheduler()).sleep(Duration.ofMillis(10));
    }

    private static List<String> queueGroupsWithMembers(List<Worker> workers, String subject) {
        List<String> out = new ArrayList<>();
        for (Worker wk : workers) {
            for (String[] s : wk.subs) {
                if (s[2] != null && PubSubChecker.matches(s[0], subject)) {
                    out.add(s[2]);
                }
            }
        }
        return out;
    }

    private static Map<Integer, List<SimClient.Delivery>> deliveries(List<SimClient> clients) {
        Map<Integer, List<SimClient.Delivery>> out = new TreeMap<>();
        for (SimClient c : clients) {
            out.put(c.id(), c.deliveries());
        }
        return out;
    }

    private static Map<Integer, List<Integer>> sessions(List<SimClient> clients) {
        Map<Integer, List<Integer>> out = new TreeMap<>();
        for (SimClient c : clients) {
            out.put(c.id(), c.deliverySessions());
        }
        return out;
    }

    /**
     * How every live node's view of remote interest differs from the truth (empty when converged):
     * each live node has exactly one route up to each other live node and none to anything else;
     * no remote interest is held for a route that is not up; and the interest held for the route
     * to node M, per account, is exactly M's client subscriptions (plain subjects present, queue
     * groups with their member count as weight).
     */
    public static List<String> interestDiff(List<SimNode> nodes) {
        List<String> out = new ArrayList<>();
        List<SimNode> live = nodes.stream().filter(x -> !x.down()).toList();
        Map<String, SimNode> byId = new HashMap<>();
        for (SimNode m : live) {
            byId.put(m.server().serverId(), m);
        }
        for (SimNode nd : live) {
            Server s = nd.server();
            List<RouteConnection> up = nd.node().routes().snapshot();
            Map<String, List<RouteConnection>> byPeer = new TreeMap<>();
            IdentityHashMap<RouteSink, RouteConnection> upSinks = new IdentityHashMap<>();
            for (RouteConnection r : up) {
                upSinks.put(r, r);
                String id = r.remoteId();
                SimNode peer = id == null ? null : byId.get(id);
                if (peer == null || peer == nd) {
                    out.add(nd.host() + " has a route up to " + id + " (" + r.remoteName() + "), not a live peer");
                    continue;
                }
                byPeer.computeIfAbsent(peer.host(), k -> new ArrayList<>()).add(r);
            }
            for (SimNode m : live) {
                if (m == nd) {
                    continue;
                }
                int count = byPeer.getOrDefault(m.host(), List.of()).size();
                if (count != 1) {
                    out.add(nd.host() + " has " + count + " routes up to " + m.host());
                }
            }
            Map<String, Account> mine = accounts(s);
            for (Account a : mine.values()) {
                for (Map.Entry<RouteSink, SortedMap<String, Integer>> e : a.remoteInterest().entrySet()) {
                    if (!upSinks.containsKey(e.getKey())) {
                        out.add(nd.host() + " account " + a.name() + " keeps interest " + e.getValue()
                                + " of a route that is not up");
                    }
                }
            }
            for (Map.Entry<String, List<RouteConnection>> e : byPeer.entrySet()) {
                SimNode m = live.stream().filter(x -> x.host().equals(e.getKey())).findFirst().orElseThrow();
                Map<String, Account> theirs = accounts(m.server());
                TreeSet<String> names = new TreeSet<>(mine.keySet());
                names.addAll(theirs.keySet());
                for (RouteConnection r : e.getValue()) {
                    for (String acc : names) {
                        SortedMap<String, Integer> truth = theirs.containsKey(acc) ? theirs.get(acc).clientInterest() : new TreeMap<>();
                        SortedMap<String, Integer> view = mine.containsKey(acc)
                                ? mine.get(acc).remoteInterest().getOrDefault(r, new TreeMap<>()) : new TreeMap<>();
                        if (!truth.equals(view)) {
                            out.add(nd.host() + " sees " + view + " of " + m.host() + " in account " + acc
                                    + ", which has " + truth);
                        }
                    }
                }
            }
        }
        return out;
    }

    private static Map<String, Account> accounts(Server s) {
        Map<String, Account> out = new TreeMap<>();
        for (Account a : s.accounts()) {
            out.put(a.name(), a);
        }
        return out;
    }

    private void nemesis(SimWorld w, List<SimNode> nodes, List<SimClient> clients, List<Fault> plan) {
        SimNetwork net = w.network();
        SimClock clock = new SimClock(w.scheduler());
        try {
            for (Fault f : plan) {
                clock.sleep(f.gap());
                record(w, f.toString());
                switch (f) {
                    case Cut c -> {
                        SimNetwork.Cut cut = c.refuse() ? SimNetwork.Cut.REFUSE : SimNetwork.Cut.BLACKHOLE;
                        for (int b = 0; b < nodes.size(); b++) {
                            if (b == c.a() || (c.b() >= 0 && b != c.b())) {
                                continue;
                            }
                            if (c.oneWay()) {
                                net.partitionOneWay(nodes.get(c.a()).host(), nodes.get(b).host(), cut);
                            } else {
                                net.partition(nodes.get(c.a()).host(), nodes.get(b).host(), cut);
                            }
                        }
                        clock.sleep(c.length());
                        record(w, "heal");
                        net.healAll();
                    }
                    case RouteReset r -> net.resetConnections(nodes.get(r.a()).host(), nodes.get(r.b()).host());
                    case ClientReset r -> {
                        for (SimNode nd : nodes) {
                            net.resetConnections("c" + r.client(), nd.host());
                        }
                    }
                    case Crash c -> {
                        SimNode nd = nodes.get(c.node());
                        nd.crash();
                        clock.sleep(c.down());
                        record(w, "restart n" + (c.node() + 1));
                        nd.restart();
                    }
                    case Pause p -> {
                        SimNode nd = nodes.get(p.node());
                        nd.pause();
                        clock.sleep(p.length());
                        record(w, "resume n" + (p.node() + 1));
                        nd.resume();
                    }
                }
            }
        } catch (InterruptedException e) {
            w.fail("nemesis interrupted");
        } catch (IOException e) {
            w.fail("nemesis: " + e);
        }
    }

    private static void record(SimWorld w, String what) {
        w.history().add(-1, History.Type.INFO, "fault", what);
    }

    /** One client's program: subscribe, publish through the faults (reconnecting to the next node as needed), settle. */
    private final class Worker {
        private final SimWorld w;
        private final List<SimNode> nodes;
        final SimClient c;
        private final SplittableRandom rnd;
        private final ClusterChecker checker;
        /** subject, sid, queue group (null: plain). */
        final List<String[]> subs = new ArrayList<>();
        private final SimClock clock;
        private int node;

        Worker(SimWorld w, List<SimNode> nodes, SimClient c, SplittableRandom rnd, ClusterChecker checker) {
            this.w = w;
            this.nodes = nodes;
            this.c = c;
            this.rnd = rnd;
            this.checker = checker;
            this.node = c.id() % nodes.size();
            this.clock = new SimClock(w.scheduler());
        }

        void run(Thread nemesis, CountDownLatch settled) throws Exception {
            sleep(rnd.nextLong(config.maxPause().toNanos() + 1));
            int count = 1 + rnd.nextInt(3);
            for (int s = 0; s < count; s++) {
                String subject = rnd.nextInt(6) == 0 ? (rnd.nextBoolean() ? "s.*" : "s.>") : "s." + rnd.nextInt(4);
                subs.add(new String[] {subject, String.valueOf(s + 1), null});
            }
            if (rnd.nextInt(4) == 0) {
                subs.add(new String[] {"work.>", "w", null});
            }
            if (rnd.nextBoolean()) {
                subs.add(new String[] {"work.*", "q1", "q"});
            }
            if (rnd.nextInt(4) == 0) {
                subs.add(new String[] {"work.>", "r1", "r"});
            }
            for (String[] s : subs) {
                checker.subscribed(c.id(), s[1], s[0], s[2]);
            }
            ensureSession();
            for (int k = 1; k <= config.messagesPerClient(); k++) {
                ensureSession();
                String subject = rnd.nextInt(4) == 0 ? "work." + rnd.nextInt(2) : "s." + rnd.nextInt(4);
                String payload = "c" + c.id() + "-" + k;
                checker.published(c.id(), c.session(), k, subject, payload, w.scheduler().now());
                try {
                    c.pub(subject, payload);
                } catch (IOException e) {
                    continue; // the session died; the next message starts a new one
                }
                int r = rnd.nextInt(10);
                if (r < 2) {
                    flush();
                } else if (r < 7) {
                    sleep(rnd.nextLong(config.maxPause().toNanos() + 1));
                }
            }
            nemesis.join();
            // no more faults: a live, subscribed session that answers a flush
            while (!flush()) {
                sleep(1_000_000L);
            }
            settled.countDown();
            settled.await();
            while (!flush()) {
                sleep(1_000_000L);
            }
        }

        /** Records the deliveries of {@code payload} on {@code subject} this client's final session must get. */
        void expectProbe(String subject, String payload) {
            for (String[] s : subs) {
                if (s[2] == null && PubSubChecker.matches(s[0], subject)) {
                    checker.expect(c.id(), c.session(), s[1], payload);
                }
            }
        }

        /** Connects (to the next node after a failure) and subscribes until a session's subscriptions are acknowledged. */
        private void ensureSession() throws InterruptedException {
            while (c.session() == 0 || c.ended()) {
                SimNode target = nodes.get(node);
                try {
                    c.close();
                    c.connect(w.network().host("c" + c.id()), target.host(), 4222);
                    checker.session(c.id(), c.session(), target.host());
                    for (String[] s : subs) {
                        if (s[2] == null) {
                            c.sub(s[0], s[1]);
                        } else {
                            c.sub(s[0], s[2], s[1]);
                        }
                    }
                    c.flush();
                } catch (IOException e) {
                    node = (node + 1) % nodes.size();
                    sleep(500_000L + rnd.nextLong(4_000_000L));
                }
            }
        }

        /** Flushes in a live session (making one if needed); false if the session died meanwhile. */
        private boolean flush() throws InterruptedException {
            ensureSession();
            try {
                c.flush();
            } catch (IOException e) {
                return false;
            }
            return true;
        }

        private void sleep(long nanos) throws InterruptedException {
            clock.sleep(Duration.ofNanos(nanos));
        }
    }
}
