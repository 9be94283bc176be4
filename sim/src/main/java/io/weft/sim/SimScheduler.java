package io.weft.sim;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A deterministic scheduler for virtual threads. Threads are created with the JDK's virtual thread
 * builder on an {@link Executor} of our own that only queues the continuations the JDK hands it;
 * {@link #runUntil} then runs them, one at a time, on the calling platform thread (the single
 * carrier), picking the next one with a seeded {@link SplittableRandom}. A continuation runs until
 * its thread parks (a lock, a condition, a queue, a sleep of {@link SimClock}) or ends.
 *
 * <p>Virtual time only moves when nothing is runnable: it jumps to the earliest timer. Nothing
 * runnable and no timer is a deadlock; too many steps at one virtual instant is a livelock.
 *
 * <p>Every decision (which continuation, of how many, whose thread, at what virtual time) is
 * folded into a 64-bit trace hash, so the same seed gives the same hash.
 *
 * <p>Needs {@code --add-opens java.base/java.lang=ALL-UNNAMED} (the builder taking an executor is
 * package-private in {@code java.lang}).
 */
public final class SimScheduler {
    private static final Constructor<?> BUILDER = builderConstructor();

    /** Limits that turn a runaway run into a reported failure. */
    public record Limits(long maxSteps, long maxVirtualNanos, long maxStepsAtOneInstant) {
        public static Limits defaults() {
            return new Limits(50_000_000L, 3_600_000_000_000L, 2_000_000L);
        }
    }

    /** How a {@link #runUntil} call ended. */
    public enum Stop { DONE, DEADLOCK, LIVELOCK, STEP_LIMIT, TIME_LIMIT, NONDETERMINISM }

    /** The end of a {@link #runUntil} call: why it stopped and, for failures, a description. */
    public record Outcome(Stop stop, String detail) {
        public boolean ok() {
            return stop == Stop.DONE;
        }
    }

    private final SplittableRandom random;
    private final Limits limits;
    private final Thread.Builder.OfVirtual builder;
    private final Executor executor = this::submit;

    private final ReentrantLock queueLock = new ReentrantLock();
    private final ArrayList<Runnable> runnable = new ArrayList<>();
    /** A continuation's thread and its name, looked up once per step (hash kept to skip a call). */
    private record Owner(Thread thread, String name, int nameHash) {
    }

    private final Map<Runnable, Owner> threadOf = new IdentityHashMap<>();
    private final Map<Thread, String> names = new IdentityHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final List<String> uncaught = new ArrayList<>();
    private final List<String> foreign = new ArrayList<>();
    /** The node (group) each thread belongs to, for pause and kill; absent for world threads. */
    private final Map<Thread, String> groupOf = new IdentityHashMap<>();
    private final java.util.TreeSet<String> paused = new java.util.TreeSet<>();
    private final Map<Thread, Boolean> killed = new IdentityHashMap<>();
    private final java.util.TreeMap<String, Integer> generations = new java.util.TreeMap<>();

    /** The platform thread that drives the run (and may set up threads before it). */
    private Thread carrier;
    private Thread starting;
    private long now;
    private long steps;
    private long stepsAtInstant;
    private long timerSeq;
    private long idleMoments;
    private static final int SCAN_EVERY = 64;
    private long trace = 0x9E3779B97F4A7C15L;
    private Consumer<String> eventLog;

    public SimScheduler(long seed) {
        this(seed, Limits.defaults());
    }

    public SimScheduler(long seed, Limits limits) {
        this.random = new SplittableRandom(seed);
        this.limits = limits;
        this.carrier = Thread.currentThread().isVirtual() ? null : Thread.currentThread();
        try {
            this.builder = (Thread.Builder.OfVirtual) BUILDER.newInstance(executor);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create a virtual thread builder with our executor", e);
        }
        builder.uncaughtExceptionHandler((t, e) -> {
            String line = nameOf(t) + ": " + e;
            uncaught.add(line);
            event("uncaught " + line);
        });
        mix(seed);
    }

    private static Constructor<?> builderConstructor() {
        try {
            Class<?> c = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
            Constructor<?> ctor = c.getDeclaredConstructor(Executor.class);
            ctor.setAccessible(true);
            return ctor;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError(new IllegalStateException(
                    "the simulator needs the JDK's VirtualThreadBuilder(Executor); run the JVM with "
                            + "--add-opens java.base/java.lang=ALL-UNNAMED (" + e + ")", e));
        }
    }

    // ---------------------------------------------------------------- threads

    /** Creates and starts a simulated virtual thread; it first runs when the scheduler picks it. */
    public Thread spawn(String name, Runnable task) {
        return spawn(name, null, task);
    }

    /**
     * Creates and starts a simulated thread that belongs to {@code group} (a node), so that it can
     * be paused with the group and killed when the node crashes; null for no group.
     */
    public Thread spawn(String name, String group, Runnable task) {
        Thread t = builder.name(name).unstarted(task);
        queueLock.lock();
        try {
            names.put(t, name);
            threads.add(t);
            if (group != null) {
                groupOf.put(t, group);
            }
        } finally {
            queueLock.unlock();
        }
        event("spawn " + name);
        mix(name.hashCode());
        Thread previous = starting;
        starting = t;
        try {
            t.start();
        } finally {
            starting = previous;
        }
        return t;
    }

    /** The executor the JDK hands continuations to: queue only, never run. */
    private void submit(Runnable continuation) {
        Thread caller = Thread.currentThread();
        queueLock.lock();
        try {
            Owner owner = threadOf.get(continuation);
            if (owner == null) {
                Thread t = starting;
                if (t == null) {
                    throw new IllegalStateException("a continuation of an unknown thread was submitted");
                }
                String name = names.get(t);
                owner = new Owner(t, name, name.hashCode());
                threadOf.put(continuation, owner);
            }
            if (killed.containsKey(owner.thread())) {
                return; // its node crashed: the thread never runs again
            }
            if (caller != carrier && !names.containsKey(caller)) {
                // woken by a thread outside the simulation (e.g. a real-time timed park): not replayable
                foreign.add(owner.name + " woken by " + caller);
            }
            runnable.add(continuation);
        } finally {
            queueLock.unlock();
        }
    }

    /** The name the thread was spawned with. */
    public String nameOf(Thread t) {
        queueLock.lock();
        try {
            String n = names.get(t);
            return n != null ? n : t.getName();
        } finally {
            queueLock.unlock();
        }
    }

    /** Threads spawned and not yet terminated, in spawn order. */
    public List<String> liveThreads() {
        List<String> out = new ArrayList<>();
        queueLock.lock();
        try {
            for (Thread t : threads) {
                if (t.isAlive()) {
                    out.add(names.get(t));
                }
            }
        } finally {
            queueLock.unlock();
        }
        return out;
    }

    /** Interrupts every live thread (in spawn order), to end a run. */
    public void interruptAll() {
        List<Thread> live = new ArrayList<>();
        queueLock.lock();
        try {
            for (Thread t : threads) {
                if (t.isAlive()) {
                    live.add(t);
                }
            }
        } finally {
            queueLock.unlock();
        }
        for (Thread t : live) {
            t.interrupt();
        }
    }

    /** Uncaught exceptions of simulated threads, as "thread: exception", in order. */
    public List<String> uncaught() {
        return List.copyOf(uncaught);
    }

    /** True when the calling thread is one of this scheduler's virtual threads. */
    public boolean isSimThread() {
        Thread t = Thread.currentThread();
        queueLock.lock();
        try {
            return names.containsKey(t);
        } finally {
            queueLock.unlock();
        }
    }

    // ---------------------------------------------------------------- node faults

    /** Stops scheduling the threads of {@code group} (they stay queued) until {@link #resume}. */
    public void pause(String group) {
        queueLock.lock();
        try {
            paused.add(group);
        } finally {
            queueLock.unlock();
        }
        note("pause " + group);
    }

    public void resume(String group) {
        queueLock.lock();
        try {
            paused.remove(group);
        } finally {
            queueLock.unlock();
        }
        note("resume " + group);
    }

    public boolean paused(String group) {
        queueLock.lock();
        try {
            return paused.contains(group);
        } finally {
            queueLock.unlock();
        }
    }

    /**
     * Abandons every thread of {@code group}, as a crash of its process would: queued
     * continuations are dropped, later wake-ups are ignored, and the threads no longer count as
     * live. Also ends the group's pause and moves it to a new {@link #generation}, so timers armed
     * before the crash can tell. Returns how many threads were abandoned.
     */
    public int kill(String group) {
        int n = 0;
        queueLock.lock();
        try {
            for (Thread t : threads) {
                if (group.equals(groupOf.get(t)) && t.isAlive()) {
                    killed.put(t, Boolean.TRUE);
                    n++;
                }
            }
            runnable.removeIf(r -> killed.containsKey(threadOf.get(r).thread()));
            threads.removeIf(killed::containsKey);
            paused.remove(group);
            generations.merge(group, 1, Integer::sum);
        } finally {
            queueLock.unlock();
        }
        note("kill " + group + " " + n + " threads");
        return n;
    }

    /** How many times {@code group} was killed. */
    public int generation(String group) {
        queueLock.lock();
        try {
            return generations.getOrDefault(group, 0);
        } finally {
            queueLock.unlock();
        }
    }

    // ---------------------------------------------------------------- time

    /** Virtual nanoseconds since the start of the run. */
    public long now() {
        return now;
    }

    /**
     * Runs {@code action} on the carrier when virtual time reaches {@code deadline}. The action
     * must not block: it may unpark or interrupt threads, or spawn one.
     */
    public Timer at(long deadline, Runnable action) {
        Timer t = new Timer(Math.max(deadline, now), timerSeq++, action);
        timers.add(t);
        return t;
    }

    /** A pending timer; {@link #cancel()} is idempotent. */
    public final class Timer implements Comparable<Timer> {
        private final long deadline;
        private final long seq;
        private final Runnable action;
        private boolean cancelled;

        private Timer(long deadline, long seq, Runnable action) {
            this.deadline = deadline;
            this.seq = seq;
            this.action = action;
        }

        public void cancel() {
            // lazily: a cancelled timer stays in the heap until it reaches the top (removing it
            // from the middle is a linear scan; most timers are short waits that get cancelled)
            cancelled = true;
        }

        public long deadline() {
            return deadline;
        }

        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    // ---------------------------------------------------------------- the run loop

    /**
     * Runs simulated threads on the calling platform thread until {@code stop} holds (checked
     * between steps), or a deadlock, livelock or limit ends the run.
     */
    public Outcome runUntil(BooleanSupplier stop) {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("the scheduler must run on a platform thread");
        }
        carrier = Thread.currentThread();
        stepsAtInstant = 0;
        {
            while (true) {
                fireDueTimers();
                if (!foreign.isEmpty()) {
                    return new Outcome(Stop.NONDETERMINISM, "woken from outside the simulation: " + foreign);
                }
                if (stop.getAsBoolean()) {
                    String outside = waitingOutsideSimulation();
                    if (outside != null) {
                        return new Outcome(Stop.NONDETERMINISM, outside);
                    }
                    return new Outcome(Stop.DONE, "");
                }
                if (hasRunnable()) {
                    if (steps + 1 > limits.maxSteps) {
                        return new Outcome(Stop.STEP_LIMIT, "step limit " + limits.maxSteps + " reached at " + now + "ns");
                    }
                    if (stepsAtInstant + 1 > limits.maxStepsAtOneInstant) {
                        return new Outcome(Stop.LIVELOCK, "virtual time stuck at " + now + "ns for "
                                + limits.maxStepsAtOneInstant + " steps; live: " + liveThreads());
                    }
                }
                Runnable next = pick();
                if (next == null) {
                    Timer first = firstLiveTimer();
                    // The scan for threads waiting on real time walks every thread; run it on every
                    // SCAN_EVERY-th idle moment and before reporting a stop. A thread it would find
                    // late is still caught: a real-time wake is submitted by a JDK thread (foreign), unless it
                    // fired before the thread finished yielding (see waitingOutsideSimulation).
                    if (first == null || first.deadline > limits.maxVirtualNanos || ++idleMoments % SCAN_EVERY == 0) {
                        String outside = waitingOutsideSimulation();
                        if (outside != null) {
                            return new Outcome(Stop.NONDETERMINISM, outside);
                        }
                    }
                    String woken = foreignWakeups();
                    if (woken != null) {
                        // a real-time wake-up raced the checks above: still not replayable
                        return new Outcome(Stop.NONDETERMINISM, "woken from outside the simulation: " + woken);
                    }
                    if (first == null) {
                        return new Outcome(Stop.DEADLOCK, "nothing runnable and no timer; parked: " + liveThreads());
                    }
                    if (first.deadline > limits.maxVirtualNanos) {
                        return new Outcome(Stop.TIME_LIMIT, "virtual time limit " + limits.maxVirtualNanos + "ns reached");
                    }
                    now = first.deadline;
                    stepsAtInstant = 0;
                    continue;
                }
                steps++;
                stepsAtInstant++;
                next.run();
            }
        }
    }

    /** Runs until every simulated thread has ended (or a failure). */
    public Outcome runToCompletion() {
        return runUntil(() -> liveThreads().isEmpty());
    }

    /**
     * A thread in a real-time timed wait (Thread.sleep, parkNanos, a timed Condition.await) or
     * blocked on a monitor would be woken by a JDK thread outside the simulation: not replayable.
     * Our own waits park untimed, so they show as WAITING. Also drops ended threads. Best effort:
     * a real-time wake that fires before the waiting thread has finished yielding is resubmitted
     * by the carrier (the JDK's own path), so neither this scan nor the foreign-submit check sees it.
     */
    private String waitingOutsideSimulation() {
        List<String> bad = new ArrayList<>();
        queueLock.lock();
        try {
            threads.removeIf(t -> t.getState() == Thread.State.TERMINATED);
            for (Thread t : threads) {
                Thread.State st = t.getState();
                if (st == Thread.State.TIMED_WAITING || st == Thread.State.BLOCKED) {
                    bad.add(names.get(t) + " " + st);
                }
            }
        } finally {
            queueLock.unlock();
        }
        return bad.isEmpty() ? null : "waiting on real time or a monitor, outside the simulation: " + bad;
    }

    private String foreignWakeups() {
        queueLock.lock();
        try {
            return foreign.isEmpty() ? null : foreign.toString();
        } finally {
            queueLock.unlock();
        }
    }

    private List<Integer> eligible() {
        List<Integer> out = new ArrayList<>();
        for (int j = 0; j < runnable.size(); j++) {
            String g = groupOf.get(threadOf.get(runnable.get(j)).thread());
            if (g == null || !paused.contains(g)) {
                out.add(j);
            }
        }
        return out;
    }

    private boolean hasRunnable() {
        queueLock.lock();
        try {
            return paused.isEmpty() ? !runnable.isEmpty() : !eligible().isEmpty();
        } finally {
            queueLock.unlock();
        }
    }

    private Runnable pick() {
        queueLock.lock();
        try {
            int n = runnable.size();
            if (n == 0) {
                return null;
            }
            int i;
            if (paused.isEmpty()) {
                i = n == 1 ? 0 : random.nextInt(n);
            } else {
                // threads of paused nodes stay queued; pick among the others
                List<Integer> eligible = eligible();
                if (eligible.isEmpty()) {
                    return null;
                }
                int k = eligible.size() == 1 ? 0 : random.nextInt(eligible.size());
                i = eligible.get(k);
                mix(eligible.size());
            }
            Runnable r = runnable.get(i);
            runnable.set(i, runnable.get(n - 1));
            runnable.remove(n - 1);
            Owner owner = threadOf.get(r);
            String name = owner.name;
            mix(((long) i << 32) | n);
            mix(owner.nameHash);
            mix(now);
            if (eventLog != null) {
                eventLog.accept(now + " run " + name + " (" + i + "/" + n + ")");
            }
            return r;
        } finally {
            queueLock.unlock();
        }
    }

    private void fireDueTimers() {
        Timer t;
        while ((t = firstLiveTimer()) != null && t.deadline <= now) {
            timers.poll();
            t.cancelled = true;
            mix(t.seq);
            t.action.run();
        }
    }

    /** The earliest timer not cancelled, dropping cancelled ones from the top of the heap. */
    private Timer firstLiveTimer() {
        Timer t;
        while ((t = timers.peek()) != null && t.cancelled) {
            timers.poll();
        }
        return t;
    }

    /** Steps taken so far. */
    public long steps() {
        return steps;
    }

    // ---------------------------------------------------------------- trace

    /** Folds a value into the trace hash. */
    public void mix(long v) {
        long h = trace ^ v;
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        trace = h ^ (h >>> 31);
    }

    /** Records an application event (history, log line) in the trace and the event log. */
    public void note(String event) {
        // String.hashCode is specified (same in every JVM) and vectorized; with the length it is
        // one mix per event instead of one per four characters (history entries carry payloads)
        mix(((long) event.hashCode() << 32) ^ event.length());
        event(event);
    }

    private void event(String event) {
        Consumer<String> log = eventLog;
        if (log != null) {
            log.accept(now + " " + event);
        }
    }

    /** The running trace hash. */
    public long traceHash() {
        return trace;
    }

    /** Receives every scheduling decision and event, prefixed with the virtual time in ns. */
    public void eventLog(Consumer<String> log) {
        this.eventLog = log;
    }
}
