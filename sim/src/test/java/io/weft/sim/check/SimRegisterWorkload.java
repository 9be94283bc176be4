package io.weft.sim.check;

import io.weft.sim.SimClock;
import io.weft.sim.SimScheduler;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Client processes hammering a shared register under the {@link SimScheduler}: each operation
 * is recorded as an invoke, then the register is called (with seeded yields and short virtual
 * sleeps around it, so operations of different processes overlap in seeded ways), then the
 * completion is recorded. Some operations "time out": the client records info and the request
 * may still take effect a little later, from another thread, or never.
 */
final class SimRegisterWorkload {

    /** A register implementation under test; {@code process} lets a broken one keep per-client state. */
    interface Register {
        Long read(int process);

        void write(int process, long value);

        boolean cas(int process, long expected, long value);
    }

    /** The correct one: every operation under one lock. */
    static final class AtomicRegister implements Register {
        private final ReentrantLock lock = new ReentrantLock();
        private Long value;

        @Override
        public Long read(int process) {
            lock.lock();
            try {
                return value;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void write(int process, long v) {
            lock.lock();
            try {
                value = v;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean cas(int process, long expected, long v) {
            lock.lock();
            try {
                if (value != null && value == expected) {
                    value = v;
                    return true;
                }
                return false;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Broken: compare-and-set reads, lets other threads run, then writes (no lock). */
    static final class RacyCasRegister implements Register {
        private volatile Long value;

        @Override
        public Long read(int process) {
            return value;
        }

        @Override
        public void write(int process, long v) {
            value = v;
        }

        @Override
        public boolean cas(int process, long expected, long v) {
            Long seen = value;
            Thread.yield();
            if (seen != null && seen == expected) {
                value = v;
                return true;
            }
            return false;
        }
    }

    /** Broken: each client caches what it last read or wrote and serves reads from it at times. */
    static final class StaleCacheRegister implements Register {
        private final AtomicRegister backing = new AtomicRegister();
        private final Long[] cache = new Long[64];
        private final boolean[] cached = new boolean[64];
        private int reads;

        @Override
        public Long read(int process) {
            if (cached[process] && (reads++ % 3) != 0) {
                return cache[process];
            }
            Long v = backing.read(process);
            cache[process] = v;
            cached[process] = true;
            return v;
        }

        @Override
        public void write(int process, long v) {
            backing.write(process, v);
            cache[process] = v;
            cached[process] = true;
        }

        @Override
        public boolean cas(int process, long expected, long v) {
            boolean ok = backing.cas(process, expected, v);
            if (ok) {
                cache[process] = v;
                cached[process] = true;
            }
            return ok;
        }
    }

    record Run(OpHistory history, long traceHash) {
    }

    /** Runs {@code processes} clients doing {@code opsEach} operations; keys > 1 gives KV ops. */
    static Run run(long seed, Register[] registers, int processes, int opsEach) {
        SimScheduler s = new SimScheduler(seed);
        SimClock clock = new SimClock(s);
        OpHistory h = new OpHistory();
        SplittableRandom root = new SplittableRandom(seed);
        boolean keyed = registers.length > 1;
        for (int p = 0; p < processes; p++) {
            int process = p;
            SplittableRandom rnd = root.split();
            s.spawn("client-" + p, () -> {
                for (int i = 0; i < opsEach; i++) {
                    int key = rnd.nextInt(registers.length);
                    Register reg = registers[key];
                    int kind = rnd.nextInt(3);
                    long a = rnd.nextInt(5);
                    long b = rnd.nextInt(5);
                    String f = kind == 0 ? "read" : kind == 1 ? "write" : "cas";
                    Object in = kind == 0 ? null : kind == 1 ? (Object) a : List.of(a, b);
                    h.add(new Op(process, Op.Type.INVOKE, f, keyed ? new KV(key, in) : in, s.now()));
                    pause(rnd, clock);
                    if (rnd.nextInt(25) == 0) {
                        // the client gives up; the request may still land later, or be lost
                        h.add(new Op(process, Op.Type.INFO, f, null, s.now()));
                        if (kind != 0 && rnd.nextBoolean()) {
                            SplittableRandom late = rnd.split();
                            s.spawn("late-" + process + "-" + i, () -> {
                                pause(late, clock);
                                pause(late, clock);
                                apply(reg, process, kind, a, b);
                            });
                        }
                        continue;
                    }
                    Object[] result = apply(reg, process, kind, a, b);
                    pause(rnd, clock);
                    Op.Type type = result[0] == Boolean.FALSE ? Op.Type.FAIL : Op.Type.OK;
                    Object out = result[1];
                    h.add(new Op(process, type, f, keyed && kind == 0 ? new KV(key, out) : out, s.now()));
                }
            });
        }
        SimScheduler.Outcome o = s.runToCompletion();
        if (!o.ok()) {
            throw new AssertionError("seed " + seed + ": " + o);
        }
        return new Run(h, s.traceHash());
    }

    /** {success, output}. */
    private static Object[] apply(Register reg, int process, int kind, long a, long b) {
        return switch (kind) {
            case 0 -> new Object[] {Boolean.TRUE, reg.read(process)};
            case 1 -> {
                reg.write(process, a);
                yield new Object[] {Boolean.TRUE, null};
            }
            default -> new Object[] {reg.cas(process, a, b), null};
        };
    }

    private static void pause(SplittableRandom rnd, SimClock clock) {
        int r = rnd.nextInt(4);
        if (r == 0) {
            Thread.yield();
        } else if (r == 1) {
            try {
                clock.sleep(Duration.ofNanos(1_000 + rnd.nextInt(20_000)));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private SimRegisterWorkload() {
    }
}
