package io.weft.sim.raft;

import io.weft.raft.Role;
import io.weft.raft.driver.RaftDriver;
import io.weft.raft.driver.RaftException;
import io.weft.sim.SimClock;
import io.weft.sim.check.KV;
import io.weft.sim.check.Op;
import io.weft.sim.check.OpHistory;
import io.weft.sim.world.SimWorld;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One simulated client of a raft world: read (by read index), write and cas on a few keys, sent to
 * the replica it believes leads, retried elsewhere on a refusal (which never took effect). An op
 * that timed out or whose leader lost leadership is recorded as info (indeterminate).
 */
final class RaftClient {
    private static final List<String> KEYS = List.of("k0", "k1", "k2");

    private final int process;
    private final SimWorld world;
    private final List<RaftHost> hosts;
    private final OpHistory history;
    private final SplittableRandom rnd;
    private final Duration timeout;
    private final SimClock clock;
    private final Long[] seen = new Long[KEYS.size()];
    private long leader;
    private long counter;

    RaftClient(int process, SimWorld world, List<RaftHost> hosts, OpHistory history, SplittableRandom rnd, Duration timeout) {
        this.process = process;
        this.world = world;
        this.hosts = hosts;
        this.history = history;
        this.rnd = rnd;
        this.timeout = timeout;
        this.clock = new SimClock(world.scheduler(), "client-" + process + "/");
    }

    void randomOp() throws InterruptedException {
        clock.sleep(Duration.ofNanos(rnd.nextLong(3_000_000L)));
        int k = rnd.nextInt(KEYS.size());
        int r = rnd.nextInt(10);
        if (r < 4) read(k);
        else if (r < 7) write(k, timeout.toNanos());
        else cas(k);
    }

    /** Writes until one is acknowledged or {@code deadline} passes; true when one was. */
    boolean writeUntil(long deadline) throws InterruptedException {
        while (clock.nanoTime() < deadline) {
            if (write(rnd.nextInt(KEYS.size()), Math.min(timeout.toNanos(), deadline - clock.nanoTime()))) return true;
            clock.sleep(Duration.ofMillis(1));
        }
        return false;
    }

    private long nextValue() {
        return process * 100_000L + (++counter);
    }

    private void read(int k) throws InterruptedException {
        String key = KEYS.get(k);
        record(Op.Type.INVOKE, "read", key, null);
        long deadline = clock.nanoTime() + timeout.toNanos();
        while (clock.nanoTime() < deadline) {
            RaftHost h = target();
            RaftDriver d = h == null ? null : h.driver();
            KvMachine kv = h == null ? null : h.kv();
            if (d == null || kv == null) {
                clock.sleep(Duration.ofMillis(2));
                continue;
            }
            CompletableFuture<Long> f = d.read();
            if (!await(f, deadline)) break;
            RaftException x = failure(f);
            if (x == null) {
                Long v = kv.get(key);
                seen[k] = v;
                record(Op.Type.OK, "read", key, v);
                return;
            }
            if (!retry(x)) {
                record(Op.Type.FAIL, "read", key, null);
                return;
            }
        }
        leader = 0;
        record(Op.Type.INFO, "read", key, null);
    }

    private boolean write(int k, long within) throws InterruptedException {
        long v = nextValue();
        return propose(k, "write", v, KvMachine.write(KEYS.get(k), v), within);
    }

    private void cas(int k) throws InterruptedException {
        Long expected = rnd.nextInt(3) == 0 ? null : seen[k];
        long v = nextValue();
        propose(k, "cas", Arrays.asList(expected, v), KvMachine.cas(KEYS.get(k), expected, v), timeout.toNanos());
    }

    /** Proposes {@code cmd}; records the outcome; true when acknowledged. */
    private boolean propose(int k, String f, Object value, byte[] cmd, long within) throws InterruptedException {
        String key = KEYS.get(k);
        record(Op.Type.INVOKE, f, key, value);
        long deadline = clock.nanoTime() + within;
        while (clock.nanoTime() < deadline) {
            RaftHost h = target();
            RaftDriver d = h == null ? null : h.driver();
            if (d == null) {
                clock.sleep(Duration.ofMillis(2));
                continue;
            }
            CompletableFuture<byte[]> fut = d.propose(cmd);
            if (!await(fut, deadline)) break;
            RaftException x = failure(fut);
            if (x == null) {
                boolean ok = new String(fut.join(), StandardCharsets.UTF_8).equals("ok");
                record(ok ? Op.Type.OK : Op.Type.FAIL, f, key, value);
                return ok;
            }
            if (x.maybeApplied()) {
                leader = 0;
                record(Op.Type.INFO, f, key, value);
                return false;
            }
            retry(x);
        }
        leader = 0; // the one we believed in did not answer: look again next time
        record(Op.Type.INFO, f, key, value);
        return false;
    }

    /** After a refusal: remember the leader it named (or forget ours) and pause briefly. True if worth retrying. */
    private boolean retry(RaftException x) throws InterruptedException {
        if (x.kind() != RaftException.Kind.NOT_LEADER) return false;
        leader = x.leaderHint();
        clock.sleep(Duration.ofMillis(1));
        return true;
    }

    /**
     * The replica believed to lead: the last hint, else one of those that say they lead (there may be
     * a deposed one that does not know yet), else a random live one.
     */
    private RaftHost target() {
        if (leader > 0 && leader <= hosts.size() && !hosts.get((int) leader - 1).down()) return hosts.get((int) leader - 1);
        List<RaftHost> claim = new java.util.ArrayList<>();
        for (RaftHost h : hosts) {
            RaftDriver d = h.driver();
            if (d != null && d.softState().role() == Role.LEADER) claim.add(h);
        }
        if (!claim.isEmpty()) {
            RaftHost h = claim.get(rnd.nextInt(claim.size()));
            leader = h.id();
            return h;
        }
        RaftHost h = hosts.get(rnd.nextInt(hosts.size()));
        return h.down() ? null : h;
    }

    private boolean await(CompletableFuture<?> f, long deadline) throws InterruptedException {
        return JsStreamGroup.await(clock, f, deadline);
    }

    private static RaftException failure(CompletableFuture<?> f) {
        try {
            f.join();
            return null;
        } catch (CompletionException e) {
            if (e.getCause() instanceof RaftException r) return r;
            throw e;
        }
    }

    private void record(Op.Type type, String f, String key, Object value) {
        Op op = new Op(process, type, f, new KV(key, value), world.scheduler().now());
        history.add(op);
        world.history().add(process, io.weft.sim.world.History.Type.valueOf(type.name()), f,
                io.weft.sim.check.Values.edn(op.value()));
    }
}
