package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.sim.fault.FaultPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario {@code js-crash} and {@link JsCrashChecker}. The scenario's plumbing and the checker's
 * power are tested against {@link ToyJetStream}, a stand-in with known behaviour (correct when it
 * syncs before acking and the disk is not damaged; losing acked data when it does not sync;
 * serving flipped bits, having no checksum). The real-JetStream tests are at the end.
 */
@Timeout(120)
class JsCrashTest {
    private static final JsCrash.Config TOY_SYNCED = JsCrash.Config.defaults()
            .withStandIn(n -> ToyJetStream.install(n, true))
            .withPlans(seed -> FaultPlan.fromSeed(seed, FaultPlan.CORE));

    // ------------------------------------------------------------------ the checker alone

    @Test
    void checkerPassesAnHonestHistory() {
        JsCrashChecker c = new JsCrashChecker();
        c.publishInvoked(1, "q.a", "a", 1);
        c.publishAcked(1, "a", 1, 2);
        c.publishInvoked(1, "q.b", "b", 3);
        c.publishIndeterminate(1, "b", 4);
        c.publishInvoked(1, "q.c", "c", 5);
        c.publishFailed(1, "c", 6);
        c.finalRead(9, 1, "q.a", "a", 10);
        c.finalRead(9, 2, "q.b", "b", 11);
        assertEquals(List.of(), c.check());
    }

    @Test
    void checkerFindsALostAcknowledgedPublishAndAWrongOne() {
        JsCrashChecker c = new JsCrashChecker();
        c.publishInvoked(1, "q.a", "a", 1);
        c.publishAcked(1, "a", 1, 2);
        c.publishInvoked(1, "q.b", "b", 3);
        c.publishAcked(1, "b", 2, 4);
        c.finalRead(9, 1, "q.b", "b", 10);
        List<String> f = c.check();
        assertTrue(f.stream().anyMatch(s -> s.contains("served b at seq 1 but its publish was acknowledged at seq 2")), f.toString());
        assertTrue(f.stream().anyMatch(s -> s.contains("acknowledged publishes lost") && s.contains("a@1")), f.toString());
    }

    @Test
    void aLossIsExcusedOnlyByAReportedCorruptionAfterDamageAtRest() {
        // reported and damaged: excused; the record after it must still be there
        JsCrashChecker ok = twoAcked();
        ok.damagedAtRest("bitflip js/Q/1.blk 30 of 200");
        ok.serverLog("ERR stream Q: Corruption[firstSeq=1, lastSeq=1, where=js/Q/1.blk:0, reason=bad crc]");
        ok.finalRead(9, 2, "q.b", "b", 10);
        assertEquals(List.of(), ok.check());

        // damaged but not reported: a loss
        JsCrashChecker silent = twoAcked();
        silent.damagedAtRest("bitflip js/Q/1.blk 30 of 200");
        silent.serverLog("WRN something else");
        silent.finalRead(9, 2, "q.b", "b", 10);
        assertFalse(silent.check().isEmpty());

        // reported, but the range does not cover it
        JsCrashChecker elsewhere = twoAcked();
        elsewhere.damagedAtRest("bitflip js/Q/1.blk 30 of 200");
        elsewhere.serverLog("ERR corrupt record seq 2 in js/Q/1.blk");
        elsewhere.finalRead(9, 2, "q.b", "b", 10);
        assertFalse(elsewhere.check().isEmpty());

        // reported without damage at rest (a crash only): never an excuse
        JsCrashChecker crashOnly = twoAcked();
        crashOnly.serverLog("ERR corrupt record seqs 1-1");
        crashOnly.finalRead(9, 2, "q.b", "b", 10);
        assertFalse(crashOnly.check().isEmpty());

        // the corruption took the later record with it, though only seq 1 was reported
        JsCrashChecker tookTheRest = twoAcked();
        tookTheRest.damagedAtRest("bitflip js/Q/1.blk 30 of 200");
        tookTheRest.serverLog("ERR corrupt record seq 1");
        List<String> f = tookTheRest.check();
        assertTrue(f.toString().contains("b@2") && !f.toString().contains("a@1,"), f.toString());
    }

    private static JsCrashChecker twoAcked() {
        JsCrashChecker c = new JsCrashChecker();
        c.publishInvoked(1, "q.a", "a", 1);
        c.publishAcked(1, "a", 1, 2);
        c.publishInvoked(1, "q.b", "b", 3);
        c.publishAcked(1, "b", 2, 4);
        return c;
    }

    @Test
    void aDrainedConsumerMustHaveDeliveredEveryStoredMessage() {
        JsCrashChecker c = twoAcked();
        c.delivered("consumer", 1, "q.a", "a");
        c.delivered("consumer", 1, "q.a", "a"); // a redelivery is fine
        c.consumerDrained();
        c.finalRead(9, 1, "q.a", "a", 10);
        c.finalRead(9, 2, "q.b", "b", 11);
        assertEquals(List.of("the drained consumer never delivered 1 messages of the stream: [b]"), c.check());
        JsCrashChecker wrong = twoAcked();
        wrong.delivered("consumer", 2, "q.a", "a");
        assertTrue(wrong.check().toString().contains("consumer served a at seq 2"), wrong.check().toString());
    }

    @Test
    void checkerFindsAStaleKvRead() {
        JsCrashChecker c = new JsCrashChecker();
        c.kvInvoke(1, "cas", "k", Arrays.asList(null, "v1"), 1);
        c.kvOk(1, "cas", "k", Arrays.asList(null, "v1"), 2);
        c.kvInvoke(2, "read", "k", null, 3);
        c.kvOk(2, "read", "k", null, 4); // the acknowledged write vanished
        assertTrue(c.check().stream().anyMatch(s -> s.startsWith("KV history NOT_LINEARIZABLE")), c.check().toString());
        JsCrashChecker good = new JsCrashChecker();
        good.kvInvoke(1, "cas", "k", Arrays.asList(null, "v1"), 1);
        good.kvOk(1, "cas", "k", Arrays.asList(null, "v1"), 2);
        good.kvInvoke(2, "read", "k", null, 3);
        good.kvOk(2, "read", "k", "v1", 4);
        good.kvInvoke(2, "cas", "k", Arrays.asList(null, "v2"), 5);
        good.kvFail(2, "cas", "k", Arrays.asList(null, "v2"), 6);
        assertEquals(List.of(), good.check());
    }

    @Test
    void ackSubjectsOfBothVersionsGiveTheStreamSequence() {
        assertEquals(17, PullDrain.ackStreamSeq("$JS.ACK.Q.work.1.17.5.1700000000000000000.3"));
        assertEquals(17, PullDrain.ackStreamSeq("$JS.ACK.dom.ACCHASH.Q.work.1.17.5.1700000000000000000.3.abc"));
        assertEquals(-1, PullDrain.ackStreamSeq("$JS.ACK.Q"));
    }

    @Test
    void diskTargetsAreTheQueueStreamSegmentsOnly() {
        assertTrue(JsCrash.queueStreamData("js/jetstream/$G/streams/Q/msgs/0000000000000001.blk"));
        assertFalse(JsCrash.queueStreamData("js/jetstream/$G/streams/Q/obs/work/0000000000000001.blk"));
        assertFalse(JsCrash.queueStreamData("js/jetstream/$G/streams/KV_b/msgs/0000000000000001.blk"));
        assertFalse(JsCrash.queueStreamData("js/jetstream/$G/streams/Q/meta.inf"));
    }

    // ------------------------------------------------------------------ the scenario on the toy

    @Test
    void toyThatSyncsBeforeAckingPassesUnderCrashesResetsPausesSkewAndPartitions() {
        JsCrash s = new JsCrash(TOY_SYNCED);
        int crashed = 0;
        long acked = 0;
        long casOk = 0;
        for (long seed = 1; seed <= 40; seed++) {
            SimResult r = s.run(seed, null);
            assertTrue(r.passed(), r.line() + " " + FaultPlan.fromSeed(seed, FaultPlan.CORE) + " " + r.failures());
            crashed += ScenarioSupport.count(r, "crash") > 0 ? 1 : 0;
            acked += r.history().stream().filter(e -> e.op().equals("pub") && e.value().startsWith("q.")).count();
            casOk += r.history().stream().filter(e -> e.op().equals("hpub")).count();
        }
        assertTrue(crashed >= 10, "crashes in " + crashed + " of 40 seeds");
        assertTrue(acked > 40 * 20 && casOk > 40 * 10, acked + " publishes, " + casOk + " KV writes");
    }

    @Test
    void toyThatAcksBeforeSyncingLosesAcknowledgedPublishesAndIsCaught() {
        JsCrash s = new JsCrash(TOY_SYNCED.withStandIn(n -> ToyJetStream.install(n, false))
                .withPlans(seed -> new FaultPlan(List.of(FaultPlan.Kind.CRASH_RESTART),
                        List.of(new FaultPlan.CrashRestart(Duration.ofMillis(3 + seed % 7), Duration.ofMillis(2))))));
        int caught = 0;
        List<String> examples = new ArrayList<>();
        for (long seed = 1; seed <= 10; seed++) {
            SimResult r = s.run(seed, null);
            if (r.failures().stream().anyMatch(f -> f.contains("acknowledged publishes lost") || f.contains("KV history"))) {
                caught++;
                examples.add(r.failures().get(0));
            }
        }
        assertTrue(caught >= 5, "caught in " + caught + " of 10 seeds: " + examples);
    }

    @Test
    void toyWithoutChecksumsServesFlippedBitsAndIsCaught() {
        JsCrash s = new JsCrash(TOY_SYNCED.withPlans(seed -> new FaultPlan(List.of(FaultPlan.Kind.BIT_FLIP),
                List.of(new FaultPlan.AtRest(Duration.ofMillis(8), Duration.ofMillis(2), false, (int) seed, seed * 7919L)))));
        int caught = 0;
        List<String> examples = new ArrayList<>();
        for (long seed = 1; seed <= 10; seed++) {
            SimResult r = s.run(seed, null);
            assertTrue(ScenarioSupport.count(r, "bitflip") == 1, r.line());
            if (!r.passed()) {
                caught++;
                examples.add(r.failures().toString());
            }
        }
        // a flip in a sequence number or subject cuts the toy's log there (the rest is lost, not
        // reported), a flip in a payload is served as is: either way the run fails
        assertTrue(caught >= 8, "caught in " + caught + " of 10 seeds: " + examples);
    }

    @Test
    void toyThatSyncsIsCaughtByTruncationAtRest() {
        JsCrash s = new JsCrash(TOY_SYNCED.withPlans(seed -> new FaultPlan(List.of(FaultPlan.Kind.TRUNCATE),
                List.of(new FaultPlan.AtRest(Duration.ofMillis(15), Duration.ofMillis(2), true, 0, seed * 31L)))));
        int caught = 0;
        for (long seed = 1; seed <= 10; seed++) {
            SimResult r = s.run(seed, null);
            caught += r.failures().stream().anyMatch(f -> f.contains("acknowledged publishes lost")) ? 1 : 0;
        }
        assertTrue(caught >= 8, "caught in " + caught + " of 10 seeds");
    }

    @Test
    void toyRunsReplayToTheSameTrace() {
        ScenarioSupport.sameSeedSameTrace(new JsCrash(TOY_SYNCED), 4);
    }

    @Test
    void registeredUnderItsNameWithSizes() {
        assertEquals(JsCrash.NAME, Scenarios.byName("js-crash").orElseThrow().name());
        var small = Scenarios.byName("js-crash", java.util.Map.of("clients", "2", "messages", "5")).orElseThrow();
        assertTrue(small.description().contains("2 publishers"), small.description());
    }

    // ------------------------------------------------------------------ the real JetStream

    /** The real server under the scenario replays exactly, faults at rest included. */
    @Test
    void realJetStreamRunsReplayToTheSameTrace() {
        ScenarioSupport.sameSeedSameTrace(new JsCrash(JsCrash.Config.defaults()), 5);
    }

    // ------------------------------------------------------------------ js-crash-ttl on the real JetStream

    /**
     * Seeds 1..30 of {@code js-crash-ttl} pass, and together they exercise what the checker judges:
     * TTL messages served before their expiry, sequences found gone, reads judged by the expiry
     * rule, deliveries of the paused consumers, and restarts that re-armed a pause before it ended.
     */
    @Test
    void ttlAndPauseSeedsPassAndExerciseTheRules() {
        JsCrash s = new JsCrash(JsCrash.Config.defaults().withTimed());
        long served = 0;
        long missing = 0;
        long judged = 0;
        long deliveries = 0;
        long rearmed = 0;
        for (long seed = 1; seed <= 30; seed++) {
            List<String> log = new ArrayList<>();
            SimResult r = s.run(seed, log::add);
            assertTrue(r.passed(), r.line() + " " + r.failures());
            String line = log.stream().filter(l -> l.contains("ttl-summary")).findFirst().orElseThrow();
            served += stat(line, "served-with-ttl");
            missing += stat(line, "missing");
            judged += stat(line, "judged");
            deliveries += stat(line, "paused-deliveries");
            rearmed += stat(line, "rearmed-during-pause");
        }
        assertTrue(served > 30 && missing > 30 && judged > 300 && deliveries > 30 * 2 * 20 && rearmed >= 3,
                "served " + served + ", missing " + missing + ", judged " + judged + ", deliveries " + deliveries
                        + ", rearmed " + rearmed);
    }

    private static long stat(String line, String key) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(key + "=(\\d+)").matcher(line);
        assertTrue(m.find(), line);
        return Long.parseLong(m.group(1));
    }

    /**
     * Seeds 1..30 of {@code js-crash-batch} pass, and the faults reach the batches: some are
     * acknowledged, and across the range some are refused (a staged message lost to a crash or a
     * partition leaves a gap; a full disk refuses the commit).
     */
    @Test
    void atomicBatchSeedsPassAndFaultsReachTheBatches() {
        JsCrash s = new JsCrash(JsCrash.Config.defaults().withBatches());
        long acked = 0;
        long refused = 0;
        for (long seed = 1; seed <= 30; seed++) {
            List<String> log = new ArrayList<>();
            SimResult r = s.run(seed, log::add);
            assertTrue(r.passed(), r.line() + " " + r.failures());
            String line = log.stream().filter(l -> l.contains("batches acked")).findFirst().orElseThrow();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("batches acked (\\d+) refused (\\d+)").matcher(line);
            assertTrue(m.find(), line);
            acked += Long.parseLong(m.group(1));
            refused += Long.parseLong(m.group(2));
        }
        assertTrue(acked > 30 * 3 && refused > 0, "acked " + acked + ", refused " + refused);
        ScenarioSupport.sameSeedSameTrace(s, 5);
        assertEquals(JsCrash.BATCH_NAME, Scenarios.byName("js-crash-batch").orElseThrow().name());
    }

    @Test
    void ttlAndPauseRunsReplayToTheSameTrace() {
        ScenarioSupport.sameSeedSameTrace(new JsCrash(JsCrash.Config.defaults().withTimed()), 11);
        assertEquals(JsCrash.TTL_NAME, Scenarios.byName("js-crash-ttl").orElseThrow().name());
    }

    /**
     * A diagnostic, not a CI check (CI runs {@code weft sim run --scenario js-crash --seeds 1..300}):
     * {@code -Djscrash.probe=true [-Djscrash.from=1 -Djscrash.seeds=20 -Djscrash.trace=SEED
     * -Djscrash.consumer=false -Djscrash.kv=2 -Djscrash.kvops=6 -Djscrash.keys=2 -Djscrash.nofaults=false]} prints each seed with its fault plan and run time, writes one
     * seed's trace to /tmp/jscrash-SEED.trace, and fails listing the failed seeds.
     */
    @Test
    void realJetStreamProbe() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("jscrash.probe"), "-Djscrash.probe=true to run");
        JsCrash.Config config = JsCrash.Config.defaults().withKv(Integer.getInteger("jscrash.kv", 2),
                Integer.getInteger("jscrash.kvops", 6), Integer.getInteger("jscrash.keys", 2));
        if (Boolean.getBoolean("jscrash.nofaults")) {
            config = config.withPlans(seed -> FaultPlan.none());
        }
        JsCrash s = new JsCrash(Boolean.parseBoolean(System.getProperty("jscrash.consumer", "true"))
                ? config : config.withoutConsumer());
        List<String> failed = new ArrayList<>();
        long traced = Long.getLong("jscrash.trace", -1);
        for (long seed = Long.getLong("jscrash.from", 1); seed <= Long.getLong("jscrash.seeds", 20); seed++) {
            List<String> trace = new ArrayList<>();
            SimResult r = s.run(seed, seed == traced ? trace::add : null);
            if (seed == traced) {
                try {
                    java.nio.file.Files.write(java.nio.file.Path.of("/tmp/jscrash-" + seed + ".trace"), trace);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            System.out.println(r.line() + " " + FaultPlan.fromSeed(seed, FaultPlan.WITH_DISK) + " "
                    + r.realNanos() / 1_000_000 + " ms");
            if (!r.passed()) {
                failed.add(r.line() + " " + r.failures());
            }
        }
        failed.forEach(f -> System.out.println(f.length() > 3000 ? f.substring(0, 3000) : f));
        assertEquals(List.of(), failed);
    }
}
