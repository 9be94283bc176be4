package io.weft.sim.fault;

import io.weft.sim.net.SimNetwork;
import io.weft.sim.world.SimNode;
import io.weft.sim.world.SimWorld;
import java.io.IOException;
import java.util.List;

/**
 * Applies a {@link FaultPlan} to one node of a world, on a simulated thread of its own: each fault
 * after its gap, one at a time (a crash includes its downtime and restart, a pause its length).
 * Every fault is recorded in the history as process -1, so checkers and traces see when it struck.
 */
public final class Nemesis {
    private final SimWorld world;
    private final SimNode node;
    private final FaultPlan plan;
    private final List<String> clientHosts;
    private final FaultSteps steps;
    private long monotonicOffset;
    private java.util.function.Predicate<String> diskTargets = path -> true;

    public Nemesis(SimWorld world, SimNode node, FaultPlan plan, List<String> clientHosts) {
        this.world = world;
        this.node = node;
        this.plan = plan;
        this.clientHosts = List.copyOf(clientHosts);
        this.steps = new FaultSteps(world, node.clock());
    }

    /**
     * Which of the node's files a fault at rest ({@link FaultPlan.AtRest}) may damage (default: any).
     * Scenarios use it to aim at the data a checker can judge.
     */
    public Nemesis diskTargets(java.util.function.Predicate<String> targets) {
        this.diskTargets = targets;
        return this;
    }

    /** Starts the nemesis thread; join it to know the plan has been applied in full. */
    public Thread start() {
        world.scheduler().note(plan.toString());
        return world.scheduler().spawn("nemesis", this::run);
    }

    private void run() {
        try {
            for (FaultPlan.Fault f : plan.faults()) {
                node.clock().sleep(f.gap());
                apply(f);
            }
        } catch (InterruptedException e) {
            world.fail("nemesis interrupted");
        } catch (IOException e) {
            world.fail("nemesis: " + e);
        }
    }

    private void apply(FaultPlan.Fault f) throws InterruptedException, IOException {
        switch (f) {
            case FaultPlan.Reset r -> {
                if (!clientHosts.isEmpty()) {
                    String c = clientHosts.get(r.client() % clientHosts.size());
                    record("reset", c);
                    world.network().resetConnections(c, node.host());
                }
            }
            case FaultPlan.CrashRestart c -> steps.crashFor(node, c.down());
            case FaultPlan.AtRest a -> steps.damageAtRest(node, diskTargets, a.truncate(), a.file(), a.offset(), a.down(), "");
            case FaultPlan.DiskFull d -> {
                record("disk-full", node.host());
                node.disk().full(true);
                node.clock().sleep(d.length());
                record("disk-space", node.host());
                node.disk().full(false);
            }
            case FaultPlan.Pause p -> steps.pauseFor(node, p.length());
            case FaultPlan.Partition p -> {
                if (!clientHosts.isEmpty()) {
                    String c = clientHosts.get(p.client() % clientHosts.size());
                    SimNetwork.Cut cut = p.refuse() ? SimNetwork.Cut.REFUSE : SimNetwork.Cut.BLACKHOLE;
                    record("partition", c + (p.oneWay() ? " -> " : " <-> ") + node.host() + " " + cut);
                    if (p.oneWay()) {
                        world.network().partitionOneWay(c, node.host(), cut);
                    } else {
                        world.network().partition(c, node.host(), cut);
                    }
                    node.clock().sleep(p.length());
                    record("heal", c);
                    world.network().healAll();
                }
            }
            case FaultPlan.Skew s -> {
                record("skew", node.host() + " wall " + s.wallMillis() + "ms mono +" + s.monotonicJump().toNanos() + "ns");
                node.clock().skewWallClock(s.wallMillis());
                monotonicOffset += s.monotonicJump().toNanos();
                node.clock().offsetMonotonic(monotonicOffset);
            }
        }
    }

    private void record(String op, String value) {
        steps.record(op, value);
    }
}
