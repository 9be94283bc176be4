package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario {@code js-cluster}: a CI-sized seed range passes on the full stack (more with
 * {@code -Djscluster.to=N}), the faults and the workload did what they should (acks, timeouts,
 * leader crashes and isolations, consumer redeliveries), a seed replays to the same trace, the
 * scenario is registered, and with the test-only switch that acks a publish before the quorum
 * commit ({@code ReplicatedStreamLog.Options.ackBeforeCommit}) the same scenario finds lost
 * acknowledged writes on some seed of the range.
 */
@Timeout(300)
class JsClusterTest {
    static final long FROM = Long.getLong("jscluster.from", 1);
    static final long TO = Long.getLong("jscluster.to", 40);
    private static final Pattern SUMMARY = Pattern.compile("acked (\\d+) failed (\\d+) indeterminate (\\d+) delivered (\\d+) "
            + "redelivered (\\d+) stored (\\d+)");

    @Test
    void seedsPassAndTheFaultsBite() {
        JsCluster s = new JsCluster(JsCluster.Config.defaults());
        List<String> failed = new ArrayList<>();
        long acked = 0;
        long indeterminate = 0;
        long redelivered = 0;
        long seedsWithLeaderFaults = 0;
        for (long seed = FROM; seed <= TO; seed++) {
            SimResult r = s.run(seed, null);
            if (!r.passed()) {
                failed.add(r.line() + " " + r.failures());
                continue;
            }
            long[] sum = summary(r);
            acked += sum[0];
            indeterminate += sum[2];
            redelivered += sum[4];
            assertTrue(sum[5] >= sum[0], "seed " + seed + ": the stream holds at least every acked value: " + r.history());
            if (s.plan(seed).has(io.weft.sim.fault.ClusterFaultPlan.Kind.LEADER)) {
                seedsWithLeaderFaults++;
            }
        }
        assertEquals(List.of(), failed);
        assertTrue(acked > 0 && indeterminate > 0 && redelivered > 0 && seedsWithLeaderFaults > 0,
                "acked " + acked + ", indeterminate " + indeterminate + ", redelivered " + redelivered
                        + ", seeds with leader faults " + seedsWithLeaderFaults);
    }

    @Test
    void sameSeedSameTrace() {
        ScenarioSupport.sameSeedSameTrace(new JsCluster(JsCluster.Config.defaults()), 3);
    }

    @Test
    void registered() {
        assertTrue(Scenarios.byName(JsCluster.NAME).isPresent());
        assertTrue(Scenarios.byName(JsCluster.NAME, java.util.Map.of("messages", "4")).isPresent());
        assertEquals(JsCluster.HEAVY_NAME, Scenarios.byName(JsCluster.HEAVY_NAME).orElseThrow().name());
    }

    /**
     * The leader answers a publish as soon as it proposed it: a leader cut off from its followers
     * (or crashed) acknowledges values no quorum holds, and the next leader never has them.
     */
    @Test
    void ackBeforeQuorumCommitLosesAcknowledgedWrites() {
        JsCluster s = new JsCluster(JsCluster.Config.defaults().withAckBeforeCommit(true));
        List<String> caught = new ArrayList<>();
        for (long seed = FROM; seed <= TO && caught.isEmpty(); seed++) {
            SimResult r = s.run(seed, null);
            for (String f : r.failures()) {
                if (f.contains("acknowledged publishes lost")) {
                    caught.add("seed " + seed + ": " + f);
                }
            }
        }
        System.out.println("js-cluster with ack before commit: " + caught);
        assertTrue(!caught.isEmpty(), "no seed of " + FROM + ".." + TO + " lost an acknowledged write");
    }

    /**
     * Found by {@code js-cluster-heavy} seed 171 of the first fault plan (3 nodes): n3, the KV
     * bucket's leader, was paused for 3 s; n2 was elected and committed a CAS (v6-2 -> v7-2); a
     * client's STREAM.MSG.GET sent to n3 meanwhile waited in its socket. On resume n3 answered it
     * from its own state as the leader it still believed it was (v6-2), before it heard of the new
     * term, while the request also reached n2 over the route; the stale answer came first and the
     * KV history was not linearizable. A replicated stream's MSG.GET now waits for a Raft read index
     * ({@code GroupLog.confirmRead}) and a deposed leader stays silent. With the plan as it is now
     * (leader faults may also pause the leader), seeds 79, 87 and 91 fail with a stale KV read without the check
     * (NOT_LINEARIZABLE, checked by disabling it by hand) and pass with it.
     */
    @Test
    void aPausedDeposedLeaderServesNoStaleRead() {
        JsCluster s = new JsCluster(JsCluster.Config.heavyDefaults());
        for (long seed : new long[] {79, 87, 91}) {
            SimResult r = s.run(seed, null);
            assertTrue(r.passed(), r.line() + " " + r.failures());
            assertTrue(summary(r)[0] > 0, "seed " + seed + " acknowledged publishes");
        }
    }

    /**
     * Found by {@code js-cluster-heavy} seed 64 (5 nodes): n2 was re-dialling n1 (after a route
     * reset) when the world shut every node down; the dial's connect completed after
     * {@code Routes.stop()}, and the route registered on a stopped server (and n1 accepted it on
     * its way down), so route threads were still alive 30 virtual s after shutdown. A route that
     * registers once the routes are stopped is now refused and closed.
     */
    @Test
    void aRouteSetUpDuringShutdownDoesNotOutliveIt() {
        SimResult r = new JsCluster(JsCluster.Config.heavyDefaults()).run(64, null);
        assertTrue(r.passed(), r.line() + " " + r.failures());
    }

    private static long[] summary(SimResult r) {
        for (History.Entry e : r.history()) {
            if (e.op().equals("summary")) {
                Matcher m = SUMMARY.matcher(e.value());
                assertTrue(m.find(), e.value());
                long[] out = new long[6];
                for (int i = 0; i < 6; i++) {
                    out[i] = Long.parseLong(m.group(i + 1));
                }
                return out;
            }
        }
        throw new AssertionError("no summary in the history of seed " + r.seed());
    }
}
