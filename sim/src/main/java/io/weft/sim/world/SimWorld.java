package io.weft.sim.world;

import io.weft.engine.ServerOptions;
import io.weft.sim.SimScheduler;
import io.weft.sim.net.SimNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A simulated world for one seed: the scheduler, the network, server nodes and clients. Every
 * source of randomness (scheduling, latency, node entropy, the workload) is split from the seed, so
 * the seed alone decides the run.
 */
public final class SimWorld {
    /** The world's main program, run on a simulated thread. */
    @FunctionalInterface
    public interface Body {
        void run(SimWorld world) throws Exception;
    }

    private static final Duration DRAIN = Duration.ofSeconds(30);
    private Duration workloadLimit = Duration.ofMinutes(10);

    private final long seed;
    private final SplittableRandom seeds;
    private final SimScheduler scheduler;
    private final SimNetwork network;
    private final History history;
    private final SplittableRandom workload;
    private final List<SimNode> nodes = new ArrayList<>();
    private final List<SimClient> clients = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    public SimWorld(long seed) {
        this(seed, SimScheduler.Limits.defaults(), SimNetwork.Latency.lan());
    }

    public SimWorld(long seed, SimScheduler.Limits limits, SimNetwork.Latency latency) {
        this.seed = seed;
        this.seeds = new SplittableRandom(seed);
        this.scheduler = new SimScheduler(seeds.nextLong(), limits);
        this.network = new SimNetwork(scheduler, seeds.nextLong(), latency);
        this.workload = new SplittableRandom(seeds.nextLong());
        this.history = new History(scheduler);
    }

    /** Adds a server node on {@code host} (started by {@link SimNode#start()}). */
    public SimNode addNode(String host, ServerOptions options) {
        SimNode n = new SimNode(host, scheduler, network, seeds.nextLong(), options);
        nodes.add(n);
        return n;
    }

    public SimClient addClient(SimClient.DeliveryTap tap) {
        SimClient c = new SimClient(clients.size(), scheduler, history, tap);
        clients.add(c);
        return c;
    }

    public void eventLog(Consumer<String> log) {
        scheduler.eventLog(log);
    }

    public SimScheduler scheduler() { return scheduler; }
    public SimNetwork network() { return network; }
    public History history() { return history; }
    public SplittableRandom workload() { return workload; }
    public List<SimNode> nodes() { return List.copyOf(nodes); }
    public List<SimClient> clients() { return List.copyOf(clients); }
    public long seed() { return seed; }

    /**
     * How long (virtual) the main program may take. A server keeps timers running, so a stuck
     * workload never looks like a scheduler deadlock; this limit reports it instead.
     */
    public void workloadLimit(Duration limit) {
        this.workloadLimit = limit;
    }

    /** Records a failed check. */
    public void fail(String why) {
        failures.add(why);
        scheduler.note("FAIL " + why);
    }

    /**
     * Runs {@code body} on a simulated thread named "main", then closes the clients, shuts the
     * nodes down and lets every thread end. A scheduler stop (deadlock, livelock, limits), an
     * uncaught exception or a thread that outlives the shutdown is a failure.
     */
    public SimResult run(String scenario, Body body) {
        long realStart = System.nanoTime();
        boolean[] done = new boolean[1];
        long[] workload = new long[1];
        scheduler.spawn("main", () -> {
            try {
                body.run(this);
            } catch (Exception e) {
                fail("main: " + e);
            } finally {
                workload[0] = scheduler.now();
                for (SimClient c : clients) {
                    c.close();
                }
                for (SimNode n : nodes) {
                    n.shutdown();
                }
                done[0] = true;
            }
        });
        long limit = workloadLimit.toNanos();
        SimScheduler.Outcome o = scheduler.runUntil(() -> done[0] || scheduler.now() > limit);
        if (!o.ok()) {
            fail(o.stop() + ": " + o.detail());
        } else if (!done[0]) {
            fail("STALLED: the workload did not finish within " + workloadLimit + " of virtual time; live threads: "
                    + scheduler.liveThreads());
        } else {
            long drainUntil = scheduler.now() + DRAIN.toNanos();
            o = scheduler.runUntil(() -> scheduler.liveThreads().isEmpty() || scheduler.now() > drainUntil);
            if (!o.ok() || !scheduler.liveThreads().isEmpty()) {
                fail("threads still alive after shutdown: " + scheduler.liveThreads()
                        + (o.ok() ? "" : " (" + o.stop() + ")"));
            }
        }
        long virtual = scheduler.now();
        // end whatever is left so no parked virtual thread outlives the run
        scheduler.interruptAll();
        scheduler.runUntil(() -> scheduler.liveThreads().isEmpty());
        for (String u : scheduler.uncaught()) {
            fail("uncaught exception in " + u);
        }
        return new SimResult(scenario, seed, scheduler.traceHash(), List.copyOf(failures), virtual,
                workload[0], scheduler.steps(), System.nanoTime() - realStart, history.entries());
    }
}
