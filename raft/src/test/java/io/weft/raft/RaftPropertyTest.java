package io.weft.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Randomized runs of 3 and 5 replicas over a seeded network that drops, reorders and duplicates
 * messages, with partitions, crashes that lose everything not yet persisted (including a crash in
 * the middle of writing a Ready), compaction, and recovery faults on at most one replica at a time
 * (damaged entries, lost hard state). After every step: at most one leader per term, applied
 * entries identical everywhere (state machine safety), contiguous application; every few steps:
 * log matching, committed entries unchanged in every log, leader completeness. After the faults
 * stop: a leader is elected and a new proposal commits everywhere within a bounded number of ticks.
 */
class RaftPropertyTest {
    static final long DEBUG = Long.getLong("raft.debugNode", 0);
    static final long ONLY_SEED = Long.getLong("raft.seed", 0);
    static final long SEEDS = Long.getLong("raft.seeds", 120);
    /** -Draft.hold=N runs every replica with the restart hold (R9) of N election timeouts (fewer reads get served: its price). */
    static final int HOLD = Integer.getInteger("raft.hold", 0);

    @Test
    void threeReplicas() {
        long reads = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            if (ONLY_SEED != 0 && ONLY_SEED != seed) continue;
            Run run = new Run(seed, 3, Set.of());
            run.check();
            reads += run.readsServed;
        }
        System.out.println("linearizable reads served: " + reads);
        if (ONLY_SEED == 0) assertTrue(reads > (HOLD > 0 ? SEEDS / 2 : SEEDS), "only " + reads + " linearizable reads were served, the check is idle");
    }

    @Test
    void threeVotersWithMembershipChanges() {
        long changes = 0;
        for (long seed = 1; seed <= SEEDS / 2; seed++) {
            if (ONLY_SEED != 0 && ONLY_SEED != seed) continue;
            Run run = new Run(seed, 3, Set.of(), true);
            run.check();
            changes += run.confChangesCommitted();
        }
        if (ONLY_SEED == 0) assertTrue(changes > SEEDS / 4, "only " + changes + " membership changes committed");
        System.out.println("membership changes committed: " + changes);
    }

    @Test
    void fiveReplicas() {
        for (long seed = 1; seed <= SEEDS / 2; seed++) if (ONLY_SEED == 0 || ONLY_SEED == seed) new Run(seed, 5, Set.of()).check();
    }

    static final class Replica {
        final long id;
        final RaftConfig cfg;
        final MemoryStorage storage;
        RaftNode raft;
        final List<String> values = new ArrayList<>();
        long lastApplied;

        Replica(long id, RaftConfig cfg, MemoryStorage storage) {
            this.id = id;
            this.cfg = cfg;
            this.storage = storage;
            start();
        }

        void start() {
            raft = new RaftNode(cfg, storage);
            values.clear();
            Snapshot s = storage.snapshot();
            String d = new String(s.data(), StandardCharsets.UTF_8);
            if (!d.isEmpty()) values.addAll(Arrays.asList(d.split(",")));
            lastApplied = s.index();
        }
    }

    static final class Run {
        final long seed;
        final SplittableRandom rnd;
        final TreeMap<Long, Replica> reps = new TreeMap<>();
        final List<Message> net = new ArrayList<>();
        final Map<Long, Integer> group = new TreeMap<>();
        final TreeMap<Long, Entry> committed = new TreeMap<>();
        final TreeMap<Long, Long> leaders = new TreeMap<>();
        int proposals;
        final Map<String, Long> readFloor = new TreeMap<>();
        int readsServed;
        int step;
        final StringBuilder trace = new StringBuilder();

        final boolean confChanges;

        Run(long seed, int n, Set<Bug> bugs) {
            this(seed, n, bugs, false);
        }

        /** With {@code confChanges}, one more replica starts outside the configuration and voters come and go. */
        Run(long seed, int n, Set<Bug> bugs, boolean confChanges) {
            this.seed = seed;
            this.confChanges = confChanges;
            this.rnd = new SplittableRandom(seed * 7919 + n + (confChanges ? 1 : 0));
            List<Long> voters = new ArrayList<>();
            for (long i = 1; i <= n; i++) voters.add(i);
            int total = confChanges ? n + 1 : n;
            for (long i = 1; i <= total; i++) {
                RaftConfig cfg = RaftConfig.of(i, new SplittableRandom(seed * 31 + i)).withElection(10, 2, true, true)
                        .withFlowControl(4, 1 << 16, 64).withBugs(bugs).withRestartHold(HOLD);
                ConfState boot = i <= n ? ConfState.of(voters) : ConfState.of(List.of());
                reps.put(i, new Replica(i, cfg, new MemoryStorage(boot)));
            }
        }

        long confChangesCommitted() {
            return committed.values().stream().filter(e -> e.kind() == Entry.Kind.CONF_CHANGE).count();
        }

        private void changeMembership() {
            for (Replica p : reps.values()) {
                RaftNode.Status s = p.raft.status();
                if (s.role() != Role.LEADER) continue;
                long target = 1 + (long) rnd.nextInt(reps.size());
                boolean voter = s.conf().voters().contains(target);
                if (voter && s.conf().voters().size() <= 3) continue;
                ConfChange cc = new ConfChange(voter ? ConfChange.Type.REMOVE
                        : rnd.nextBoolean() ? ConfChange.Type.ADD_VOTER : ConfChange.Type.ADD_LEARNER, target);
                long idx = p.raft.proposeConfChange(cc);
                note(p.id + " conf change " + cc + " at " + idx);
            }
        }

        void check() {
            try {
                for (step = 0; step < 4000; step++) {
                    faultyStep();
                    checkEveryStep();
                    if (step % 25 == 0) checkLogs();
                }
                liveness();
                checkLogs();
            } catch (AssertionError | RuntimeException e) {
                int keep = DEBUG != 0 ? 20000 : 6000;
                String t = trace.length() > keep ? trace.substring(trace.length() - keep) : trace.toString();
                throw new AssertionError("seed " + seed + " n=" + reps.size() + " step " + step + ": " + e + "\n" + t, e);
            }
        }

        private void note(String s) {
            trace.append(step).append(": ").append(s).append('\n');
        }

        private Replica pick() {
            return reps.get(1 + (long) rnd.nextInt(reps.size()));
        }

        private void faultyStep() {
            int r = rnd.nextInt(1000);
            if (r < 380) pick().raft.tick();
            else if (r < 620) deliverOne(true);
            else if (r < 880) processReady(pick(), true);
            else if (r < 940) propose();
            else if (r < 955) partition();
            else if (r < 965) {
                group.clear();
                note("heal");
            } else if (r < 970) crash(pick(), false);
            else if (r < 975) read(pick());
            else if (r < 990 && confChanges) changeMembership();
            else if (r < 980) compact(pick());
            else if (r < 984) crash(pick(), true);
            else deliverOne(true);
        }

        /** A read must see every entry committed anywhere before it was asked: its index is at least that commit. */
        private void read(Replica p) {
            long floor = 0;
            for (Replica q : reps.values()) floor = Math.max(floor, q.raft.status().commit());
            String ctx = "r" + readFloor.size();
            if (p.raft.readIndex(ctx.getBytes(StandardCharsets.UTF_8))) readFloor.put(ctx, floor);
        }

        private void propose() {
            for (Replica p : reps.values()) {
                if (p.raft.status().role() == Role.LEADER) {
                    String v = "v" + (++proposals);
                    long idx = p.raft.propose(v.getBytes(StandardCharsets.UTF_8));
                    note(p.id + " propose " + v + " at " + idx);
                }
            }
        }

        private void partition() {
            group.clear();
            for (long id : reps.keySet()) group.put(id, rnd.nextInt(2));
            note("partition " + group);
        }

        private void deliverOne(boolean faults) {
            if (net.isEmpty()) return;
            int i = faults ? rnd.nextInt(net.size()) : 0;
            Message m = faults && rnd.nextInt(20) == 0 ? net.get(i) : net.remove(i);
            if (faults && rnd.nextInt(15) == 0) return; // dropped
            Integer gf = group.get(m.from());
            Integer gt = group.get(m.to());
            if (gf != null && gt != null && !gf.equals(gt)) return;
            Replica dst = reps.get(m.to());
            if (m instanceof Message.VoteResp v && !v.preVote() && !v.reject()) note("deliver " + Fmt.msg(m));
            if (!faults && DEBUG != 0 && (m.to() == DEBUG || m.from() == DEBUG) && trace.length() < 200000) note("deliver " + Fmt.msg(m));
            dst.raft.step(MessageCodec.decode(MessageCodec.encode(m)));
        }

        void processReady(Replica p, boolean faults) {
            if (!p.raft.hasReady()) return;
            Ready rd = p.raft.ready();
            if (faults && rnd.nextInt(60) == 0) {
                // crash while writing: a prefix of the entries reaches the disk, nothing is sent
                if (rd.snapshot() == null && !rd.entries().isEmpty() && !rd.atomicRewrite()) {
                    int k = rnd.nextInt(rd.entries().size() + 1);
                    p.storage.append(rd.entries().subList(0, k));
                }
                note(p.id + " crash mid-ready");
                p.start();
                return;
            }
            p.storage.persist(rd);
            if (rd.snapshot() != null) restoreSnapshot(p, rd.snapshot());
            for (Entry e : rd.committedEntries()) apply(p, e);
            for (ReadState r : rd.readStates()) {
                Long floor = readFloor.get(new String(r.ctx(), StandardCharsets.UTF_8));
                if (floor != null && r.index() < floor) fail("stale read on " + p.id + ": index " + r.index() + " < " + floor);
                readsServed++;
            }
            net.addAll(rd.messages());
            p.raft.advance(rd);
        }

        private void restoreSnapshot(Replica p, Snapshot s) {
            p.values.clear();
            String d = new String(s.data(), StandardCharsets.UTF_8);
            if (!d.isEmpty()) p.values.addAll(Arrays.asList(d.split(",")));
            p.lastApplied = s.index();
            List<String> expect = new ArrayList<>();
            for (Entry e : committed.headMap(s.index(), true).values()) {
                if (e.kind() == Entry.Kind.NORMAL) expect.add(new String(e.data(), StandardCharsets.UTF_8));
            }
            if (committed.size() >= s.index()) assertEquals(expect, p.values, "snapshot " + s.index() + " state on " + p.id);
        }

        private void apply(Replica p, Entry e) {
            assertEquals(p.lastApplied + 1, e.index(), "replica " + p.id + " applies out of order");
            p.lastApplied = e.index();
            Entry known = committed.putIfAbsent(e.index(), e);
            if (known != null) assertEquals(known, e, "state machine safety at " + e.index() + " on " + p.id);
            if (e.kind() == Entry.Kind.NORMAL) p.values.add(new String(e.data(), StandardCharsets.UTF_8));
        }

        private void compact(Replica p) {
            long applied = p.raft.status().applied();
            if (applied <= p.storage.firstIndex() + 2 || applied != p.lastApplied) return;
            p.raft.compact(applied, String.join(",", p.values).getBytes(StandardCharsets.UTF_8));
            note(p.id + " compact " + applied);
        }

        private boolean someoneImpaired() {
            for (Replica p : reps.values()) {
                RaftNode.Status s = p.raft.status();
                boolean onDisk = p.storage.initialState().damage().any() || p.storage.hardState().vote() == RaftNode.VOTE_BLOCKED;
                if (s.damaged() || s.votingBlocked() || onDisk) return true;
            }
            return false;
        }

        private void crash(Replica p, boolean storageFault) {
            net.removeIf(m -> m.to() == p.id && rnd.nextBoolean());
            if (storageFault && !someoneImpaired()) {
                long lo = p.storage.firstIndex();
                long hi = p.storage.lastIndex();
                if (rnd.nextInt(4) == 0) {
                    p.storage.loseHardState();
                    note(p.id + " restart, hard state lost");
                } else if (hi > lo) {
                    long at = lo + rnd.nextLong(hi - lo);
                    p.storage.damage(at, Math.min(hi - 1, at + rnd.nextInt(3)));
                    note(p.id + " restart, damaged from " + at);
                }
            } else {
                note(p.id + " restart");
            }
            p.start();
        }

        private void checkEveryStep() {
            for (Replica p : reps.values()) {
                RaftNode.Status s = p.raft.status();
                if (s.role() != Role.LEADER) continue;
                Long prev = leaders.putIfAbsent(s.term(), p.id);
                if (prev == null) note(p.id + " leads term " + s.term());
                if (prev != null && prev != p.id) fail("two leaders in term " + s.term() + ": " + prev + " and " + p.id);
            }
        }

        /** Log matching and committed entries unchanged, over the durable logs; leader completeness. */
        void checkLogs() {
            List<Replica> all = new ArrayList<>(reps.values());
            for (Replica p : all) {
                MemoryStorage st = p.storage;
                for (long i = st.firstIndex(); i <= st.lastIndex(); i++) {
                    Entry e = st.entryAt(i);
                    Entry c = committed.get(i);
                    if (e != null && c != null && p.raft.status().commit() >= i && i <= st.hardState().commit()) {
                        assertEquals(c, e, "committed entry " + i + " changed on " + p.id);
                    }
                }
                if (p.raft.status().role() == Role.LEADER) {
                    for (Entry c : committed.tailMap(st.firstIndex(), true).values()) {
                        assertEquals(c.term(), p.raft.termOf(c.index()), "leader " + p.id + " lacks committed entry " + c.index());
                    }
                }
            }
            for (int a = 0; a < all.size(); a++) {
                for (int b = a + 1; b < all.size(); b++) logMatching(all.get(a).storage, all.get(b).storage);
            }
        }

        private static void logMatching(MemoryStorage x, MemoryStorage y) {
            long lo = Math.max(x.firstIndex(), y.firstIndex());
            long hi = Math.min(x.lastIndex(), y.lastIndex());
            long top = -1;
            for (long i = hi; i >= lo; i--) {
                Entry ex = x.entryAt(i);
                Entry ey = y.entryAt(i);
                if (ex != null && ey != null && ex.term() == ey.term()) {
                    top = i;
                    break;
                }
            }
            for (long i = lo; i <= top; i++) {
                Entry ex = x.entryAt(i);
                Entry ey = y.entryAt(i);
                if (ex != null && ey != null) assertEquals(ex, ey, "log matching at " + i + " (same term at " + top + ")");
            }
        }

        private void liveness() {
            group.clear();
            note("faults stop");
            long target = -1;
            for (int round = 0; round < 600; round++) {
                for (Replica p : reps.values()) p.raft.tick();
                for (int k = 0; k < 4; k++) {
                    for (Replica p : reps.values()) processReady(p, false);
                    while (!net.isEmpty()) deliverOne(false);
                }
                checkEveryStep();
                if (target < 0 || round % 100 == 99) {
                    for (Replica p : reps.values()) {
                        if (p.raft.status().role() == Role.LEADER) {
                            long idx = p.raft.propose("final".getBytes(StandardCharsets.UTF_8));
                            if (idx > 0) target = idx;
                        }
                    }
                }
                if (target > 0 && allApplied(target) && allRepaired()) return;
            }
            StringBuilder sb = new StringBuilder("no progress after faults stopped:");
            for (Replica p : reps.values()) sb.append("\n  ").append(p.raft.status());
            fail(sb.toString());
        }

        private List<Replica> members() {
            for (Replica p : reps.values()) {
                RaftNode.Status s = p.raft.status();
                if (s.role() == Role.LEADER) {
                    List<Replica> out = new ArrayList<>();
                    for (Replica q : reps.values()) {
                        if (s.conf().voters().contains(q.id) || s.conf().learners().contains(q.id)) out.add(q);
                    }
                    return out;
                }
            }
            return new ArrayList<>(reps.values());
        }

        private boolean allRepaired() {
            for (Replica p : members()) {
                RaftNode.Status s = p.raft.status();
                if (s.damaged() || s.votingBlocked()) return false;
            }
            return true;
        }

        private boolean allApplied(long index) {
            for (Replica p : members()) if (p.lastApplied < index) return false;
            return true;
        }
    }
}
