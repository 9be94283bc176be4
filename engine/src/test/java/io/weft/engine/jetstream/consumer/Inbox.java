package io.weft.engine.jetstream.consumer;

import io.weft.engine.server.Account;
import io.weft.engine.server.InternalSubscription;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** Collects what an account delivers to one subject (tests only; waits in real time). */
final class Inbox implements AutoCloseable {
    record Msg(String subject, String reply, String headers, String payload, long at) {
        String[] ackTokens() {
            return reply.split("\\.");
        }

        int status() {
            return headers.startsWith("NATS/1.0 ") ? Integer.parseInt(headers.substring(9, 12)) : 0;
        }
    }

    private final Account account;
    private final InternalSubscription sub;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Msg> msgs = new ArrayList<>();

    Inbox(Account account, String subject) {
        this.account = account;
        this.sub = account.subscribe(subject, null, (s, r, data, off, hdrLen, total) -> {
            Msg m = new Msg(s, r, new String(data, off, hdrLen, StandardCharsets.UTF_8),
                    new String(data, off + hdrLen, total - hdrLen, StandardCharsets.UTF_8), System.nanoTime());
            lock.lock();
            try {
                msgs.add(m);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        });
    }

    /** Waits until at least {@code n} messages arrived (fails after {@code millis}). */
    List<Msg> await(int n, long millis) throws InterruptedException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while (msgs.size() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + n + " messages, got " + msgs);
                }
                changed.awaitNanos(left);
            }
            return new ArrayList<>(msgs);
        } finally {
            lock.unlock();
        }
    }

    List<Msg> snapshot() {
        lock.lock();
        try {
            return new ArrayList<>(msgs);
        } finally {
            lock.unlock();
        }
    }

    void clear() {
        lock.lock();
        try {
            msgs.clear();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        account.unsubscribe(sub);
    }
}
