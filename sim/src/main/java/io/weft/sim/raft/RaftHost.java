package io.weft.sim.raft;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import io.weft.net.Env;
import io.weft.raft.driver.DriverConfig;
import io.weft.raft.driver.NetTransport;
import io.weft.raft.driver.RaftDriver;
import io.weft.sim.SimClock;
import io.weft.sim.SimEntropy;
import io.weft.sim.SimScheduler;
import io.weft.sim.SimSpawner;
import io.weft.sim.disk.SimDisk;
import io.weft.sim.net.SimNetwork;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One raft-only node of a simulated world (beside {@link io.weft.sim.world.SimNode}, which runs a
 * NATS server): a {@link RaftDriver} with a {@link KvMachine} on its own clock, disk, entropy and
 * spawner, over the simulated network. Its disk takes 50-500 µs of virtual time per fsync (a catalog
 * profile may make it slower), so a
 * crash can strike between a write and its fsync, or between an fsync and the sends after it.
 */
final class RaftHost {
    static final String DIR = "raft";
    static final int PORT = 7000;

    private final long id;
    private final String host;
    private final SimScheduler scheduler;
    private final SimNetwork network;
    private final SimClock clock;
    private final SimDisk disk;
    private final Env env;
    private final DriverConfig config;
    private final Map<Long, NetTransport.Address> peers;
    private final RaftChecker checker;
    private final java.util.function.Consumer<String> fail;
    private volatile RaftDriver driver;
    private volatile KvMachine kv;
    /** What runs on the host instead of the KV register (null: the KV register). */
    private Starter starter;

    /** Starts a replica of another state machine on the host's env and transport; returns its driver. */
    interface Starter {
        RaftDriver start(Env env, DriverConfig config, NetTransport transport) throws IOException;
    }

    RaftHost(long id, SimScheduler scheduler, SimNetwork network, long seed, DriverConfig config,
             Map<Long, NetTransport.Address> peers, RaftChecker checker, java.util.function.Consumer<String> fail) {
        this(id, scheduler, network, seed, config, peers, checker, fail, Duration.ofNanos(500_000));
    }

    /** As above, each fsync taking 50 µs up to {@code slowestSync} of virtual time. */
    RaftHost(long id, SimScheduler scheduler, SimNetwork network, long seed, DriverConfig config,
             Map<Long, NetTransport.Address> peers, RaftChecker checker, java.util.function.Consumer<String> fail,
             Duration slowestSync) {
        this.id = id;
        this.host = "r" + id;
        this.scheduler = scheduler;
        this.network = network;
        this.clock = new SimClock(scheduler, host + "/", host);
        this.disk = new SimDisk(seed ^ 0x5DEECE66DL);
        this.env = new Env(clock, network.host(host), new SlowSync(disk, clock, new SplittableRandom(seed ^ 0x1234L),
                slowestSync.toNanos() - 50_000L, slow),
                new SimEntropy(seed), new SimSpawner(scheduler, host + "/", host));
        this.config = config;
        this.peers = peers;
        this.checker = checker;
        this.fail = fail;
    }

    long id() {
        return id;
    }

    /** Runs {@code s} on this host instead of the KV register (before the first start). */
    RaftHost starter(Starter s) {
        this.starter = s;
        return this;
    }

    String host() {
        return host;
    }

    SimClock clock() {
        return clock;
    }

    SimDisk disk() {
        return disk;
    }

    /** The running driver, or null while crashed. */
    RaftDriver driver() {
        return driver;
    }

    KvMachine kv() {
        return kv;
    }

    boolean down() {
        return driver == null;
    }

    /** True once {@link #retire} ran: the host's replica was closed and deleted; it never starts again. */
    private volatile boolean retired;

    /** The host left its group for good (a removed peer): crashed, and never restarted. */
    void retire() {
        retired = true;
        if (driver != null) crash();
    }

    boolean retired() {
        return retired;
    }

    void start() throws IOException {
        if (retired) return;
        checker.started(id);
        NetTransport t = new NetTransport(env, peers.get(id), peers, 512, Duration.ofMillis(20));
        if (starter != null) {
            driver = starter.start(env, config, t);
            if (retired) crash(); // retired while it was starting
            return;
        }
        KvMachine m = new KvMachine(fail);
        kv = m;
        driver = RaftDriver.start(env, config, m, t);
    }

    /** Power loss: the node's threads die mid-step, its connections reset, unsynced bytes vanish (maybe torn). */
    void crash() {
        driver = null;
        kv = null;
        int threads = scheduler.kill(host);
        network.crashHost(host);
        List<String> torn = disk.crash();
        scheduler.note(host + " crashed (" + threads + " threads" + (torn.isEmpty() ? "" : ", torn " + torn) + ")");
    }

    void pause() {
        scheduler.pause(host);
    }

    void resume() {
        scheduler.resume(host);
    }

    void shutdown() {
        if (scheduler.paused(host)) scheduler.resume(host);
        RaftDriver d = driver;
        if (d != null) d.stop();
    }

    /** The node's disk with a seeded virtual-time cost per fsync. */
    /** Makes every fsync of this host take {@code min} up to {@code max} (a degraded disk); null: back to normal. */
    void degradeDisk(Duration min, Duration max) {
        slow.degraded = min == null ? null : new long[] {min.toNanos(), max.toNanos() - min.toNanos()};
    }

    /** Whether an fsync of this host is under way (its virtual-time cost not yet paid). */
    boolean fsyncing() {
        return slow.inFlight.get() > 0;
    }

    private static final class Degraded {
        volatile long[] degraded;
        final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    }

    private final Degraded slow = new Degraded();

    private record SlowSync(SimDisk disk, SimClock clock, SplittableRandom random, long spread, Degraded slow) implements Disk {
        private void pause() throws IOException {
            try {
                long nanos;
                long[] d = slow.degraded;
                synchronized (random) {
                    nanos = d != null ? d[0] + random.nextLong(d[1]) : 50_000L + random.nextLong(spread);
                }
                slow.inFlight.incrementAndGet();
                try {
                    clock.sleep(Duration.ofNanos(nanos));
                } finally {
                    slow.inFlight.decrementAndGet();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("fsync interrupted");
            }
        }

        @Override
        public DiskFile open(String path, boolean create) throws IOException {
            DiskFile f = disk.open(path, create);
            return new DiskFile() {
                @Override public int read(ByteBuffer dst, long position) throws IOException { return f.read(dst, position); }
                @Override public void write(ByteBuffer src, long position) throws IOException { f.write(src, position); }
                @Override public long size() throws IOException { return f.size(); }
                @Override public void truncate(long size) throws IOException { f.truncate(size); }
                @Override public void force() throws IOException {
                    pause();
                    f.force();
                }
                @Override public void close() throws IOException { f.close(); }
            };
        }

        @Override public boolean exists(String path) { return disk.exists(path); }
        @Override public void mkdirs(String path) throws IOException { disk.mkdirs(path); }
        @Override public List<String> list(String dir) throws IOException { return disk.list(dir); }
        @Override public void delete(String path) throws IOException { disk.delete(path); }
        @Override public void rename(String from, String to) throws IOException { disk.rename(from, to); }
        @Override public void syncDir(String dir) throws IOException {
            pause();
            disk.syncDir(dir);
        }
    }
}
