package io.weft.engine.jetstream;

import io.weft.net.Spawner;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Runs one account's API requests in lanes: requests with the same key (the stream they name, or
 * the empty key for account-wide ones such as {@code INFO}) run one at a time in arrival order;
 * requests with different keys run side by side, so a slow create holds up only later requests
 * on the same stream. A lane has a thread (through the {@link Spawner}) while it has work, at most
 * {@code maxThreads} at once besides the one of the {@code alwaysKey} lane, which never waits for
 * a thread; a lane beyond that waits for one in arrival order. Submitting never blocks the caller
 * (a publisher's reader).
 */
final class ApiLanes<T> {
    private final Spawner spawner;
    private final String threadName;
    private final int maxThreads;
    private final String alwaysKey;
    private final Consumer<T> handler;
    private final ReentrantLock lock = new ReentrantLock();
    /** Requests not yet started, per key with work: a key here is owned by a thread or in waiting. */
    private final Map<String, ArrayDeque<T>> queues = new HashMap<>();
    /** Keys with work and no thread, in the order they got it. */
    private final ArrayDeque<String> waiting = new ArrayDeque<>();
    /** Threads running lanes other than alwaysKey's (the thread of alwaysKey's lane takes no others). */
    private int threads;
    private boolean stopped;

    ApiLanes(Spawner spawner, String threadName, int maxThreads, String alwaysKey, Consumer<T> handler) {
        assert maxThreads > 0;
        this.spawner = spawner;
        this.threadName = threadName;
        this.maxThreads = maxThreads;
        this.alwaysKey = alwaysKey;
        this.handler = handler;
    }

    /** Queues {@code request} on lane {@code key}; dropped after {@link #stop}. */
    void submit(String key, T request) {
        boolean start = false;
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            ArrayDeque<T> q = queues.get(key);
            if (q != null) {
                q.addLast(request); // the lane's thread (or the one that will take it) runs it in turn
                return;
            }
            q = new ArrayDeque<>();
            q.addLast(request);
            queues.put(key, q);
            if (key.equals(alwaysKey)) {
                start = true;
            } else if (threads < maxThreads) {
                threads++;
                start = true;
            } else {
                waiting.addLast(key);
            }
        } finally {
            lock.unlock();
        }
        if (start) {
            spawner.spawn(threadName, () -> work(key));
        }
    }

    /** Stops taking requests; those not started are dropped, running ones finish. */
    void stop() {
        lock.lock();
        try {
            stopped = true;
            queues.clear();
            waiting.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Runs lane {@code first} until it is empty, then waiting lanes, then ends. */
    private void work(String first) {
        String key = first;
        boolean clean = false;
        try {
            while (key != null) {
                T r;
                while ((r = next(key)) != null) {
                    handler.accept(r);
                }
                key = nextLane(key);
            }
            clean = true;
        } finally {
            if (!clean) {
                carryOn(key); // an error escaped the handler: the lane keeps its place and its queue
            }
        }
    }

    private void carryOn(String key) {
        boolean again;
        lock.lock();
        try {
            again = !stopped;
            if (!again) {
                queues.remove(key);
                if (!key.equals(alwaysKey)) {
                    threads--;
                }
            }
        } finally {
            lock.unlock();
        }
        if (again) {
            spawner.spawn(threadName, () -> work(key));
        }
    }

    private T next(String key) {
        lock.lock();
        try {
            ArrayDeque<T> q = queues.get(key);
            return q == null ? null : q.peekFirst() == null ? null : q.removeFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Closes lane {@code done} (it was found empty) and takes the next waiting lane, or ends the thread. */
    private String nextLane(String done) {
        lock.lock();
        try {
            ArrayDeque<T> q = queues.get(done);
            if (q != null && !q.isEmpty()) {
                return done; // more came between next() and here
            }
            queues.remove(done);
            if (done.equals(alwaysKey)) {
                return null;
            }
            String k = stopped ? null : waiting.pollFirst();
            if (k == null) {
                threads--;
            }
            return k;
        } finally {
            lock.unlock();
        }
    }

    /** Lanes with work (running or waiting for a thread). */
    int busyLanes() {
        lock.lock();
        try {
            return queues.size();
        } finally {
            lock.unlock();
        }
    }
}
