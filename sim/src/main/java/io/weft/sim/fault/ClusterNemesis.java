package io.weft.sim.fault;

import io.weft.sim.SimClock;
import io.weft.sim.net.SimNetwork;
import io.weft.sim.world.SimNode;
import io.weft.sim.world.SimWorld;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

/**
 * Applies a {@link ClusterFaultPlan} to the nodes of a world, on a simulated thread of its own, one
 * fault at a time: each after its gap, a crash with its downtime and restart, a pause with its
 * length, a partition until its heal. So once the thread has ended every node runs and the network
 * is whole. Every fault is a history entry of process -1 (what, and on which nodes).
 */
public final class ClusterNemesis {
    private final SimWorld world;
    private final List<SimNode> nodes;
    private final ClusterFaultPlan plan;
    private final IntUnaryOperator leader;
    private final long[] monotonic;
    private final SimClock clock;
    private final FaultSteps steps;
    private java.util.function.Predicate<String> diskTargets = path -> true;

    /**
     * {@code leader}: for a group the scenario cares about (its {@code which}, as the plan draws it),
     * the index of the node that leads it, or -1 if unknown; {@link ClusterFaultPlan.AtLeader}
     * faults aim at it (or at node 0 when unknown).
     */
    public ClusterNemesis(SimWorld world, List<SimNode> nodes, ClusterFaultPlan plan, IntUnaryOperator leader) {
        this.world = world;
        this.nodes = List.copyOf(nodes);
        this.plan = plan;
        this.leader = leader;
        this.monotonic = new long[nodes.size()];
        this.clock = new SimClock(world.scheduler());
        this.steps = new FaultSteps(world, clock);
    }

    /** Which files of a victim a fault at rest may damage (default: any). */
    public ClusterNemesis diskTargets(java.util.function.Predicate<String> targets) {
        this.diskTargets = targets;
        return this;
    }

    /** Starts the nemesis thread; join it to know the plan has been applied in full and undone. */
    public Thread start() {
        world.scheduler().note(plan.toString());
        return world.scheduler().spawn("nemesis", this::run);
    }

    private void run() {
        try {
            for (ClusterFaultPlan.Fault f : plan.faults()) {
                clock.sleep(f.gap());
                apply(f);
            }
        } catch (InterruptedException e) {
            world.fail("nemesis interrupted");
        } catch (IOException e) {
            world.fail("nemesis: " + e);
        }
    }

    private void apply(ClusterFaultPlan.Fault f) throws InterruptedException, IOException {
        SimNetwork net = world.network();
        switch (f) {
            case ClusterFaultPlan.Crash c -> crash(c.node(), c.down());
            case ClusterFaultPlan.Power p -> {
                record("power", "all nodes");
                for (SimNode n : nodes) {
                    n.crash();
                }
                SplittableRandom r = new SplittableRandom(p.stagger());
                long[] at = new long[nodes.size()];
                for (int i = 0; i < at.length; i++) {
                    at[i] = p.down().toNanos() + r.nextLong(20_000_000L);
                }
                long slept = 0;
                // restart in order of each node's own delay
                for (int done = 0; done < at.length; done++) {
                    int next = -1;
                    for (int i = 0; i < at.length; i++) {
                        if (at[i] >= 0 && (next < 0 || at[i] < at[next])) {
                            next = i;
                        }
                    }
                    clock.sleep(Duration.ofNanos(at[next] - slept));
                    slept = at[next];
                    at[next] = -1;
                    record("restart", nodes.get(next).host());
                    nodes.get(next).restart();
                }
            }
            case ClusterFaultPlan.Pause p -> steps.pauseFor(nodes.get(p.node()), p.length());
            case ClusterFaultPlan.Split s -> {
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < nodes.size(); i++) {
                    order.add(i);
                }
                SplittableRandom r = new SplittableRandom(s.shuffle());
                for (int i = order.size() - 1; i > 0; i--) {
                    int j = r.nextInt(i + 1);
                    order.set(i, order.set(j, order.get(i)));
                }
                List<Integer> minority = order.subList(0, s.minority());
                List<Integer> majority = order.subList(s.minority(), order.size());
                cut(minority, majority, s.refuse(), s.oneWay(), s.length());
            }
            case ClusterFaultPlan.AtLeader a -> {
                int l = leader.applyAsInt(a.which());
                int target = l < 0 ? 0 : l;
                if (a.mode() == ClusterFaultPlan.LeaderFault.CRASH) {
                    crash(target, a.length());
                } else if (a.mode() == ClusterFaultPlan.LeaderFault.PAUSE) {
                    steps.pauseFor(nodes.get(target), a.length());
                } else {
                    List<Integer> others = new ArrayList<>();
                    for (int i = 0; i < nodes.size(); i++) {
                        if (i != target) {
                            others.add(i);
                        }
                    }
                    cut(List.of(target), others, a.refuse(), false, a.length());
                }
            }
            case ClusterFaultPlan.Skew s -> {
                SimNode n = nodes.get(s.node());
                record("skew", n.host() + " wall " + s.wallMillis() + "ms mono +" + s.monotonicJump().toNanos() + "ns");
                n.clock().skewWallClock(s.wallMillis());
                monotonic[s.node()] += s.monotonicJump().toNanos();
                n.clock().offsetMonotonic(monotonic[s.node()]);
            }
            case ClusterFaultPlan.AtRest a -> {
                SimNode n = nodes.get(plan.victims().get(a.victim() % plan.victims().size()));
                steps.damageAtRest(n, diskTargets, a.truncate(), a.file(), a.offset(), a.down(), n.host() + " ");
            }
            case ClusterFaultPlan.RouteReset rr -> {
                record("route-reset", nodes.get(rr.a()).host() + " " + nodes.get(rr.b()).host());
                net.resetConnections(nodes.get(rr.a()).host(), nodes.get(rr.b()).host());
            }
        }
    }

    private void crash(int index, Duration down) throws InterruptedException, IOException {
        steps.crashFor(nodes.get(index), down);
    }

    private void cut(List<Integer> side, List<Integer> rest, boolean refuse, boolean oneWay, Duration length)
            throws InterruptedException {
        SimNetwork net = world.network();
        SimNetwork.Cut cut = refuse ? SimNetwork.Cut.REFUSE : SimNetwork.Cut.BLACKHOLE;
        List<String> a = side.stream().map(i -> nodes.get(i).host()).toList();
        List<String> b = rest.stream().map(i -> nodes.get(i).host()).toList();
        record("partition", a + (oneWay ? " -> " : " <-> ") + b + " " + cut);
        for (String x : a) {
            for (String y : b) {
                if (oneWay) {
                    net.partitionOneWay(x, y, cut);
                } else {
                    net.partition(x, y, cut);
                }
            }
        }
        clock.sleep(length);
        record("heal", a.toString());
        net.healAll();
    }

    private void record(String op, String value) {
        steps.record(op, value);
    }
}
