package io.weft.sim.raft;

import io.weft.raft.ConfChange;
import io.weft.raft.ConfState;
import io.weft.raft.Role;
import io.weft.raft.driver.RaftDriver;
import io.weft.raft.driver.RaftException;
import io.weft.sim.SimClock;
import io.weft.sim.net.SimNetwork;
import io.weft.sim.world.History;
import io.weft.sim.world.SimWorld;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * Applies a {@link RaftFaults} plan to the hosts of a raft world: each fault on a thread of its own
 * at its start time, so faults overlap; a host already crashed or paused by another fault, or the
 * network already cut, skips the fault (recorded). Each fault undoes itself after its length, so
 * once every thread has ended the world has no fault left.
 */
final class RaftNemesis {
    private final SimWorld world;
    private final List<RaftHost> hosts;
    private final RaftFaults plan;
    private final RaftChecker checker;
    private final SimClock clock;
    private final boolean[] busy;
    private boolean netBusy;
    private boolean confBusy;

    RaftNemesis(SimWorld world, List<RaftHost> hosts, RaftFaults plan, RaftChecker checker) {
        this.world = world;
        this.hosts = List.copyOf(hosts);
        this.plan = plan;
        this.checker = checker;
        this.clock = new SimClock(world.scheduler(), "nemesis/");
        this.busy = new boolean[hosts.size()];
    }

    /** Starts one thread per fault; returns them (join all to know the plan is over). */
    List<Thread> start() {
        world.scheduler().note(plan.toString());
        List<Thread> out = new ArrayList<>();
        int k = 0;
        for (RaftFaults.Fault f : plan.faults()) {
            out.add(world.scheduler().spawn("nemesis-" + (k++), () -> {
                try {
                    clock.sleep(f.at());
                    apply(f);
                } catch (InterruptedException e) {
                    world.fail("nemesis interrupted");
                } catch (IOException e) {
                    world.fail("nemesis: " + e);
                }
            }));
        }
        return out;
    }

    private boolean take(int node) {
        if (busy[node]) {
            record("skip", hosts.get(node).host() + " busy");
            return false;
        }
        busy[node] = true;
        return true;
    }

    private void apply(RaftFaults.Fault f) throws InterruptedException, IOException {
        switch (f) {
            case RaftFaults.Crash c -> {
                if (!take(c.node())) return;
                RaftHost h = hosts.get(c.node());
                record("crash", h.host());
                h.crash();
                clock.sleep(c.length());
                record("restart", h.host());
                h.start();
                busy[c.node()] = false;
            }
            case RaftFaults.Pause p -> {
                if (!take(p.node())) return;
                RaftHost h = hosts.get(p.node());
                record("pause", h.host());
                h.pause();
                clock.sleep(p.length());
                record("resume", h.host());
                h.resume();
                busy[p.node()] = false;
            }
            case RaftFaults.AtRest a -> {
                if (!take(a.victim())) return;
                damage(hosts.get(a.victim()), a);
                busy[a.victim()] = false;
            }
            case RaftFaults.Skew s -> {
                RaftHost h = hosts.get(s.node());
                record("skew", h.host() + " wall " + s.wallMillis() + "ms mono +" + s.monotonicJump().toNanos() + "ns");
                h.clock().skewWallClock(s.wallMillis());
                h.clock().offsetMonotonic(s.monotonicJump().toNanos());
            }
            case RaftFaults.Partition p -> partition(p);
            case RaftFaults.Membership m -> membership(m);
            case RaftFaults.Power p -> power(p);
            case RaftFaults.AtLeader a -> atLeader(a);
            case RaftFaults.SlowLeaderPower s -> slowLeaderPower(s);
            case RaftFaults.MembershipBurst b -> membershipBurst(b);
            case RaftFaults.LoseHardState l -> loseHardState(l);
            case RaftFaults.DeafFollower d -> deafFollower(d);
            case RaftFaults.StaleRejoin st -> staleRejoin(st);
            case RaftFaults.Split sp -> split(sp);
            case RaftFaults.Rollback rb -> rollback(rb);
        }
    }

    /** Crashes every free host of the group at once; restarts each after the outage plus its own delay. */
    private void power(RaftFaults.Power p) throws InterruptedException, IOException {
        SplittableRandom r = new SplittableRandom(p.stagger());
        java.util.TreeMap<Long, List<Integer>> restarts = new java.util.TreeMap<>();
        List<String> names = new ArrayList<>();
        for (int k = 0; k < p.count(); k++) {
            int node = (p.first() + k) % hosts.size();
            if (!take(node)) continue;
            restarts.computeIfAbsent(p.down().toNanos() + r.nextLong(20_000_000L), x -> new ArrayList<>()).add(node);
            names.add(hosts.get(node).host());
        }
        if ((p.stagger() & 1) == 1) awaitFsync(restarts.values(), 5_000_000L);
        record("power", "crash " + names);
        for (List<Integer> group : restarts.values()) for (int node : group) hosts.get(node).crash();
        long start = clock.nanoTime();
        for (var e : restarts.entrySet()) {
            long wait = start + e.getKey() - clock.nanoTime();
            if (wait > 0) clock.sleep(Duration.ofNanos(wait));
            for (int node : e.getValue()) {
                record("restart", hosts.get(node).host());
                hosts.get(node).start();
                busy[node] = false;
            }
        }
    }

    /**
     * Waits (up to {@code maxNanos} of virtual time) until one of {@code groups}' hosts is in the
     * middle of an fsync: half the power losses strike then, the moment a replica that sends what
     * it has not yet made durable (or counts it) is caught out.
     */
    private void awaitFsync(java.util.Collection<List<Integer>> groups, long maxNanos) throws InterruptedException {
        for (long waited = 0; waited < maxNanos; waited += 20_000L) {
            for (List<Integer> group : groups) for (int node : group) if (hosts.get(node).fsyncing()) return;
            clock.sleep(Duration.ofNanos(20_000L));
        }
    }

    private int leaderIndex() {
        for (int k = 0; k < hosts.size(); k++) {
            RaftDriver d = hosts.get(k).driver();
            if (d != null && d.softState().role() == Role.LEADER) return k;
        }
        return -1;
    }

    /** The leader's disk slows and a follower is cut off, then every host loses power at once. */
    private void slowLeaderPower(RaftFaults.SlowLeaderPower s) throws InterruptedException, IOException {
        int k = leaderIndex();
        if (k < 0 || netBusy) {
            record("skip", k < 0 ? "no leader" : "network already cut");
            return;
        }
        for (int node = 0; node < hosts.size(); node++) {
            if (busy[node]) {
                record("skip", hosts.get(node).host() + " busy");
                return;
            }
        }
        java.util.Arrays.fill(busy, true);
        netBusy = true;
        List<Integer> others = new ArrayList<>();
        for (int node = 0; node < hosts.size() - 1; node++) if (node != k) others.add(node);
        RaftHost leader = hosts.get(k);
        RaftHost cut = hosts.get(others.get(s.follower() % others.size()));
        SimNetwork net = world.network();
        record("slow disk", leader.host() + "; " + cut.host() + " isolated");
        leader.degradeDisk(Duration.ofMillis(2), Duration.ofMillis(6));
        for (RaftHost o : hosts) if (o != cut) net.partition(cut.host(), o.host(), SimNetwork.Cut.BLACKHOLE);
        clock.sleep(s.powerAfter());
        SplittableRandom r = new SplittableRandom(s.stagger());
        java.util.TreeMap<Long, List<Integer>> restarts = new java.util.TreeMap<>();
        for (int node = 0; node < hosts.size(); node++) {
            restarts.computeIfAbsent(s.down().toNanos() + r.nextLong(20_000_000L), x -> new ArrayList<>()).add(node);
        }
        record("power", "crash all");
        for (RaftHost h : hosts) if (!h.down()) h.crash();
        leader.degradeDisk(null, null);
        net.healAll();
        netBusy = false;
        long start = clock.nanoTime();
        for (var e : restarts.entrySet()) {
            long wait = start + e.getKey() - clock.nanoTime();
            if (wait > 0) clock.sleep(Duration.ofNanos(wait));
            for (int node : e.getValue()) {
                record("restart", hosts.get(node).host());
                hosts.get(node).start();
                busy[node] = false;
            }
        }
    }

    /** Crashes or cuts off the current leader; for a deaf leader, optionally probes that the rest stays available. */
    private void atLeader(RaftFaults.AtLeader a) throws InterruptedException, IOException {
        int k = leaderIndex();
        if (k < 0) {
            record("skip", "no leader");
            return;
        }
        RaftHost h = hosts.get(k);
        if (a.crash()) {
            apply(new RaftFaults.Crash(a.at(), k, a.length()));
            return;
        }
        if (netBusy) {
            record("skip", "leader cut: network already cut");
            return;
        }
        netBusy = true;
        SimNetwork net = world.network();
        record("partition", "leader " + h.host() + (a.deaf() ? " cannot receive" : " isolated"));
        for (RaftHost o : hosts) {
            if (o == h) continue;
            if (a.deaf()) net.partitionOneWay(o.host(), h.host(), SimNetwork.Cut.BLACKHOLE);
            else net.partition(h.host(), o.host(), SimNetwork.Cut.BLACKHOLE);
        }
        long end = clock.nanoTime() + a.length().toNanos();
        if (a.probeWithin() != null) probe(h, clock.nanoTime() + a.probeWithin().toNanos());
        long left = end - clock.nanoTime();
        if (left > 0) clock.sleep(Duration.ofNanos(left));
        record("heal", "all");
        net.healAll();
        netBusy = false;
    }

    /**
     * Liveness while {@code deaf} cannot receive: the other voters hear each other both ways, so
     * (with check-quorum) they must elect a leader among themselves and commit a write by {@code deadline}.
     */
    private void probe(RaftHost deaf, long deadline) throws InterruptedException {
        long v = 0;
        while (clock.nanoTime() < deadline) {
            RaftHost lead = null;
            for (RaftHost o : hosts) {
                RaftDriver d = o.driver();
                if (o != deaf && d != null && d.softState().role() == Role.LEADER) lead = o;
            }
            if (lead == null) {
                clock.sleep(Duration.ofMillis(2));
                continue;
            }
            CompletableFuture<byte[]> f = lead.driver().propose(KvMachine.write("probe", ++v));
            while (!f.isDone() && clock.nanoTime() < deadline) clock.sleep(Duration.ofMillis(1));
            if (f.isDone() && !f.isCompletedExceptionally()) {
                record("probe", "committed through " + lead.host());
                return;
            }
        }
        world.fail("liveness: with only " + deaf.host() + "'s incoming links cut, the other replicas committed no write in time");
    }

    /**
     * Cuts a voter's incoming links (moved off the leader if it leads); after a warm-up of writes
     * (which leaves its log behind), the others must commit a write at least every {@code gap}: a
     * node that cannot hear the leader must not disrupt it (pre-vote's promise).
     */
    private void deafFollower(RaftFaults.DeafFollower d) throws InterruptedException {
        if (netBusy) {
            record("skip", "deaf follower: network already cut");
            return;
        }
        netBusy = true;
        int voters = hosts.size() - 1;
        int k = d.node() == leaderIndex() ? (d.node() + 1) % voters : d.node();
        RaftHost deaf = hosts.get(k);
        SimNetwork net = world.network();
        record("partition", deaf.host() + " cannot receive");
        for (RaftHost o : hosts) if (o != deaf) net.partitionOneWay(o.host(), deaf.host(), SimNetwork.Cut.BLACKHOLE);
        long start = clock.nanoTime();
        long end = start + d.length().toNanos();
        steadyWrites(deaf, start + d.warmUp().toNanos(), start + d.warmUp().toNanos() + d.window().toNanos(), d.gap().toNanos());
        long left = end - clock.nanoTime();
        if (left > 0) clock.sleep(Duration.ofNanos(left));
        record("heal", "all");
        net.healAll();
        netBusy = false;
    }

    /** See {@link RaftFaults.StaleRejoin}. */
    private void staleRejoin(RaftFaults.StaleRejoin s) throws InterruptedException, IOException {
        int voters = hosts.size() - 1;
        int lead = leaderIndex();
        if (netBusy || lead < 0 || lead >= voters) {
            record("skip", "stale rejoin: " + (netBusy ? "network already cut" : "no voter leads"));
            return;
        }
        int x = s.node() % voters == lead ? (s.node() + 1) % voters : s.node() % voters;
        if (!take(x)) return;
        netBusy = true;
        RaftHost stale = hosts.get(x);
        SimNetwork net = world.network();
        record("partition", stale.host() + " isolated");
        for (RaftHost o : hosts) if (o != stale) net.partition(stale.host(), o.host(), SimNetwork.Cut.BLACKHOLE);
        // writes the stale node misses (the clients may be done by now)
        long until = clock.nanoTime() + s.isolate().toNanos();
        long v = 0;
        while (clock.nanoTime() < until) {
            int k = leaderIndex();
            if (k < 0 || k == x) {
                clock.sleep(Duration.ofMillis(1));
                continue;
            }
            CompletableFuture<byte[]> f = hosts.get(k).driver().propose(KvMachine.write("stale", ++v));
            while (!f.isDone() && clock.nanoTime() < until) clock.sleep(Duration.ofMillis(1));
        }
        // crash the leader (if it still leads) and more, until the live voters other than the stale one are one short of a quorum
        List<Integer> crashed = new ArrayList<>();
        int quorum = voters / 2 + 1;
        int now = leaderIndex();
        List<Integer> order = new ArrayList<>();
        if (now >= 0 && now < voters && now != x) order.add(now);
        for (int k = 0; k < voters; k++) if (k != x && !order.contains(k)) order.add(k);
        int live = 0;
        for (int k = 0; k < voters; k++) if (k != x && !hosts.get(k).down()) live++;
        for (int k : order) {
            if (live <= quorum - 1) break;
            if (hosts.get(k).down() || !take(k)) continue;
            crashed.add(k);
            live--;
        }
        List<String> names = new ArrayList<>();
        for (int k : crashed) names.add(hosts.get(k).host());
        record("crash", names.toString());
        for (int k : crashed) hosts.get(k).crash();
        clock.sleep(s.leaderless());
        // the check holds only while every live voter's log is ahead of the stale one's (no leader appends meanwhile)
        boolean behind = live == quorum - 1 && leaderIndex() < 0 && stale.driver() != null;
        String mine = "";
        if (behind) {
            RaftDriver sd = stale.driver();
            long li = sd.status().lastIndex();
            long lt = sd.termOf(li);
            mine = li + "@" + lt;
            for (int k = 0; k < voters && behind; k++) {
                RaftHost o = hosts.get(k);
                if (k == x || o.down() || o.driver() == null) continue;
                long oi = o.driver().status().lastIndex();
                long ot = o.driver().termOf(oi);
                behind = lt < ot || (lt == ot && li < oi);
            }
        }
        record("heal", "all" + (behind ? "" : " (stale check off: the stale log is not behind every live voter)"));
        net.healAll();
        long end = clock.nanoTime() + s.watch().toNanos();
        while (behind && clock.nanoTime() < end) {
            RaftDriver sd = stale.driver();
            if (sd != null && sd.softState().role() == Role.CANDIDATE) {
                world.fail("pre-vote: " + stale.host() + " became a candidate with log " + mine
                        + ", behind every live voter's (a pre-vote was granted to a stale log)");
                break;
            }
            if (leaderIndex() >= 0) break;
            clock.sleep(Duration.ofNanos(200_000L));
        }
        for (int k : crashed) {
            record("restart", hosts.get(k).host());
            hosts.get(k).start();
            busy[k] = false;
        }
        busy[x] = false;
        netBusy = false;
    }

    /** See {@link RaftFaults.Rollback}. */
    private void rollback(RaftFaults.Rollback rb) throws InterruptedException, IOException {
        List<Integer> voters = new ArrayList<>();
        for (long id : checker.conf().voters()) voters.add((int) id - 1);
        int quorum = voters.size() / 2 + 1;
        int lead = leaderIndex();
        if (voters.size() < 3 || !checker.conf().votersOutgoing().isEmpty()) {
            record("skip", "rollback: " + voters.size() + " voters");
            return;
        }
        int victim = voters.contains(lead) ? lead : voters.get((int) (rb.pick() % voters.size()));
        List<Integer> others = new ArrayList<>(voters);
        others.remove(Integer.valueOf(victim));
        java.util.Collections.rotate(others, (int) (rb.pick() % others.size()));
        List<Integer> paused = others.subList(0, quorum - 1);
        List<Integer> holders = others.subList(quorum - 1, others.size());
        List<Integer> all = new ArrayList<>(voters);
        for (int k : all) {
            if (busy[k] || hosts.get(k).down()) {
                record("skip", "rollback: " + hosts.get(k).host() + (busy[k] ? " busy" : " down"));
                return;
            }
        }
        RaftHost v = hosts.get(victim);
        if (checker.lastApplied(v.id()) < 1) {
            // a copy of a disk that holds nothing yet is a wiped disk, which no restart rule can tell
            // from a brand-new replica (R9 exempts those): beyond what Raft tolerates of one replica
            record("skip", "rollback: " + v.host() + " has applied nothing yet");
            return;
        }
        for (int k : all) busy[k] = true;
        record("pause", names(paused));
        for (int k : paused) hosts.get(k).pause();
        java.util.SortedMap<String, byte[]> copy = v.disk().durableImage();
        record("copy", v.host() + " disk (" + copy.size() + " files)");
        // writes only the victim and the holders see (the clients may be done by now)
        long until = clock.nanoTime() + rb.commitFor().toNanos();
        long n = 0;
        long done = 0;
        while (clock.nanoTime() < until) {
            int k = leaderIndex();
            if (k < 0 || paused.contains(k)) {
                clock.sleep(Duration.ofMillis(1));
                continue;
            }
            CompletableFuture<byte[]> f = hosts.get(k).driver().propose(KvMachine.write("rollback", ++n));
            while (!f.isDone() && clock.nanoTime() < until) clock.sleep(Duration.ofMillis(1));
            if (f.isDone() && !f.isCompletedExceptionally()) done++;
        }
        record("crash", v.host() + " after " + done + " writes committed without " + names(paused));
        v.crash();
        v.disk().restore(copy);
        record("restore", v.host() + " disk from the copy; restart");
        v.start();
        record("resume", names(paused));
        for (int k : paused) hosts.get(k).resume();
        record("crash", names(holders));
        for (int k : holders) hosts.get(k).crash();
        clock.sleep(rb.holderDown());
        record("restart", names(holders));
        for (int k : holders) hosts.get(k).start();
        for (int k : all) busy[k] = false;
    }

    private String names(List<Integer> ks) {
        List<String> out = new ArrayList<>();
        for (int k : ks) out.add(hosts.get(k).host());
        return out.toString();
    }

    /** Writes through the leader (not {@code deaf}) until {@code until}; from {@code from} on no gap between commits may exceed {@code gap}. */
    private void steadyWrites(RaftHost deaf, long from, long until, long gap) throws InterruptedException {
        long v = 0;
        long last = from;
        while (clock.nanoTime() < until) {
            long now = clock.nanoTime();
            if (now >= from && now - last > gap) {
                world.fail("liveness: with only " + deaf.host() + "'s incoming links cut, no write committed for "
                        + (now - last) / 1_000_000 + " ms (bound " + gap / 1_000_000 + " ms)");
                return;
            }
            RaftHost lead = null;
            for (RaftHost o : hosts) {
                RaftDriver dr = o.driver();
                if (o != deaf && dr != null && dr.softState().role() == Role.LEADER) lead = o;
            }
            if (lead == null) {
                clock.sleep(Duration.ofMillis(1));
                continue;
            }
            CompletableFuture<byte[]> f = lead.driver().propose(KvMachine.write("probe", ++v));
            long stop = Math.max(from, last) + gap + 1;
            while (!f.isDone() && clock.nanoTime() < Math.min(until, stop)) clock.sleep(Duration.ofNanos(200_000L));
            if (f.isDone() && !f.isCompletedExceptionally()) last = Math.max(from, clock.nanoTime());
            else if (!f.isDone() && clock.nanoTime() < from) last = from;
        }
    }

    /** Proposes two or three single-server changes back to back (each picked as if the previous took effect). */
    private void membershipBurst(RaftFaults.MembershipBurst b) throws InterruptedException {
        if (confBusy) return;
        confBusy = true;
        try {
            int k = leaderIndex();
            RaftHost leader = k < 0 ? null : hosts.get(k);
            ConfState conf = checker.conf();
            List<CompletableFuture<byte[]>> out = new ArrayList<>();
            List<ConfChange> ccs = new ArrayList<>();
            for (int i = 0; i < b.count(); i++) {
                ConfChange cc = pick(conf, leader, b.pick() + i);
                if (cc == null) break;
                ccs.add(cc);
                out.add(leader.driver().proposeConfChange(cc));
                conf = cc.applyTo(conf);
            }
            record("membership", "burst " + ccs + (leader == null ? "" : " via " + leader.host()));
            long deadline = clock.nanoTime() + 100_000_000L;
            for (int i = 0; i < out.size(); i++) {
                while (!out.get(i).isDone() && clock.nanoTime() < deadline) clock.sleep(Duration.ofMillis(1));
                CompletableFuture<byte[]> f = out.get(i);
                record("membership", ccs.get(i) + " " + (!f.isDone() ? "timed out" : f.isCompletedExceptionally() ? "failed: " + cause(f) : "applied"));
            }
        } finally {
            confBusy = false;
        }
    }

    private void loseHardState(RaftFaults.LoseHardState l) throws InterruptedException, IOException {
        if (!take(l.victim())) return;
        RaftHost h = hosts.get(l.victim());
        record("crash", h.host());
        h.crash();
        for (String f : List.copyOf(h.disk().files().keySet())) {
            if (f.endsWith("/hardstate")) {
                record("delete", h.host() + " " + f);
                h.disk().delete(f);
            }
        }
        clock.sleep(l.length());
        record("restart", h.host());
        h.start();
        busy[l.victim()] = false;
    }

    private void damage(RaftHost h, RaftFaults.AtRest a) throws InterruptedException, IOException {
        record("crash", h.host());
        h.crash();
        List<java.util.Map.Entry<String, Long>> files = h.disk().files().entrySet().stream()
                .filter(e -> e.getValue() > 0 && (a.target() == 1 ? e.getKey().endsWith("/hardstate") : e.getKey().endsWith(".log")))
                .toList();
        if (files.isEmpty()) {
            record("damage", h.host() + " no file to damage");
        } else {
            var hit = files.get((int) (a.pick() % files.size()));
            long at = a.offset() % hit.getValue();
            if (a.truncate()) {
                long to = a.target() == 1 ? at % 64 : at;
                record("truncate", h.host() + " " + hit.getKey() + " to " + to + " of " + hit.getValue());
                h.disk().truncate(hit.getKey(), to);
            } else {
                record("bitflip", h.host() + " " + hit.getKey() + " at " + at + " of " + hit.getValue());
                h.disk().flipBit(hit.getKey(), at);
            }
        }
        clock.sleep(a.length());
        record("restart", h.host());
        h.start();
    }

    private void partition(RaftFaults.Partition p) throws InterruptedException {
        if (netBusy) {
            record("skip", "partition: network already cut");
            return;
        }
        netBusy = true;
        SimNetwork net = world.network();
        SimNetwork.Cut cut = p.refuse() ? SimNetwork.Cut.REFUSE : SimNetwork.Cut.BLACKHOLE;
        String center = hosts.get(p.node()).host();
        switch (p.cut()) {
            case ISOLATE -> {
                record("partition", center + " isolated " + cut);
                for (RaftHost o : hosts) if (!o.host().equals(center)) net.partition(center, o.host(), cut);
            }
            case ONE_WAY -> {
                record("partition", center + " cannot send " + cut);
                for (RaftHost o : hosts) if (!o.host().equals(center)) net.partitionOneWay(center, o.host(), cut);
            }
            case ONE_WAY_IN -> {
                record("partition", center + " cannot receive " + cut);
                for (RaftHost o : hosts) if (!o.host().equals(center)) net.partitionOneWay(o.host(), center, cut);
            }
            case BRIDGE -> {
                List<String> others = new ArrayList<>();
                for (RaftHost o : hosts) if (!o.host().equals(center)) others.add(o.host());
                SplittableRandom r = new SplittableRandom(p.shuffle());
                for (int i = others.size() - 1; i > 0; i--) java.util.Collections.swap(others, i, r.nextInt(i + 1));
                List<String> a = others.subList(0, others.size() / 2);
                List<String> b = others.subList(others.size() / 2, others.size());
                record("partition", a + " | " + b + " bridged by " + center + " " + cut);
                for (String x : a) for (String y : b) net.partition(x, y, cut);
            }
        }
        clock.sleep(p.length());
        record("heal", "all");
        net.healAll();
        netBusy = false;
    }

    /** A minority and a majority, each whole, cut from each other. */
    private void split(RaftFaults.Split sp) throws InterruptedException {
        if (netBusy) {
            record("skip", "split: network already cut");
            return;
        }
        netBusy = true;
        SimNetwork net = world.network();
        SimNetwork.Cut cut = sp.refuse() ? SimNetwork.Cut.REFUSE : SimNetwork.Cut.BLACKHOLE;
        List<String> names = new ArrayList<>();
        for (RaftHost h : hosts) names.add(h.host());
        SplittableRandom r = new SplittableRandom(sp.shuffle());
        for (int i = names.size() - 1; i > 0; i--) java.util.Collections.swap(names, i, r.nextInt(i + 1));
        List<String> minority = names.subList(0, (names.size() - 1) / 2);
        List<String> majority = names.subList((names.size() - 1) / 2, names.size());
        record("partition", minority + " | " + majority + " " + cut);
        for (String x : minority) for (String y : majority) net.partition(x, y, cut);
        clock.sleep(sp.length());
        record("heal", "all");
        net.healAll();
        netBusy = false;
    }

    private void membership(RaftFaults.Membership m) throws InterruptedException {
        if (confBusy) return;
        confBusy = true;
        try {
            RaftHost leader = null;
            for (RaftHost h : hosts) {
                RaftDriver d = h.driver();
                if (d != null && d.softState().role() == Role.LEADER) leader = h;
            }
            ConfState conf = checker.conf();
            ConfChange cc = pick(conf, leader, m.pick());
            if (leader == null || cc == null) {
                record("membership", "skipped (no leader or no change)");
                return;
            }
            record("membership", cc.type() + " r" + cc.node() + " via " + leader.host());
            CompletableFuture<byte[]> f = leader.driver().proposeConfChange(cc);
            long deadline = clock.nanoTime() + 100_000_000L;
            while (!f.isDone() && clock.nanoTime() < deadline) clock.sleep(Duration.ofMillis(1));
            String how = !f.isDone() ? "timed out" : f.isCompletedExceptionally() ? "failed: " + cause(f) : "applied";
            record("membership", cc.type() + " r" + cc.node() + " " + how);
        } finally {
            confBusy = false;
        }
    }

    private static String cause(CompletableFuture<?> f) {
        try {
            f.join();
            return "";
        } catch (java.util.concurrent.CompletionException e) {
            return e.getCause() instanceof RaftException r ? r.kind().name() : String.valueOf(e.getCause());
        }
    }

    /** Promote a learner, demote or remove a follower voter, or add a removed host back as a learner. */
    private ConfChange pick(ConfState conf, RaftHost leader, long pick) {
        if (leader == null) return null;
        List<Long> removed = new ArrayList<>();
        for (RaftHost h : hosts) if (!conf.voters().contains(h.id()) && !conf.learners().contains(h.id())) removed.add(h.id());
        List<Long> followers = new ArrayList<>(conf.voters());
        followers.remove(leader.id());
        int base = hosts.size() - 1;
        if (!removed.isEmpty()) return new ConfChange(ConfChange.Type.ADD_LEARNER, removed.get((int) (pick % removed.size())));
        if (conf.voters().size() > base && !followers.isEmpty()) {
            long victim = followers.get((int) (pick % followers.size()));
            return new ConfChange(pick % 3 == 0 ? ConfChange.Type.REMOVE : ConfChange.Type.ADD_LEARNER, victim);
        }
        if (conf.learners().isEmpty()) return null;
        return new ConfChange(ConfChange.Type.ADD_VOTER, conf.learners().get((int) (pick % conf.learners().size())));
    }

    private void record(String op, String value) {
        world.history().add(-1, History.Type.INFO, op, value);
    }
}
