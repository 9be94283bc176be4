package io.weft.engine.server;

import io.weft.engine.sublist.Sublist;
import io.weft.engine.sublist.SublistResult;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An isolated subject space: its own sublist; clients of one account never see another's messages.
 * Server-side services (JetStream) subscribe and publish inside an account through
 * {@link #subscribe} and {@link #publish}, and see exactly what a client of the account would.
 */
public final class Account {
    public static final String GLOBAL = "$G";

    private final String name;
    final Sublist<Subscription> sublist = new Sublist<>();
    final LongAdder clients = new LongAdder();
    private final ReentrantLock randomLock = new ReentrantLock();
    private final SplittableRandom random;

    Account(String name, long seed) {
        this.name = name;
        this.random = new SplittableRandom(seed);
    }

    public String name() {
        return name;
    }

    public Sublist<?> sublist() {
        return sublist;
    }

    public long clientCount() {
        return clients.sum();
    }

    /** Subscribes a server-side handler to {@code subject} (optionally in a queue group). */
    public InternalSubscription subscribe(String subject, String queue, InternalHandler handler) {
        Subscription sub = new Subscription(handler, subject, queue);
        sublist.insert(sub);
        return new InternalSubscription(sub);
    }

    public void unsubscribe(InternalSubscription handle) {
        if (handle != null) {
            sublist.remove(handle.sub);
        }
    }

    /** True if any subscriber (client or internal) would receive a message on {@code subject}. */
    public boolean hasInterest(String subject) {
        SublistResult<Subscription> r = sublist.match(subject);
        return !r.plainSubs().isEmpty() || !r.queueGroups().isEmpty();
    }

    /**
     * Publishes a message from the server itself to every matching subscriber of this account, as
     * if a client had sent it (one member per queue group). {@code headers} is a complete header
     * block or null. Returns how many subscribers (queue groups counting once) received it.
     */
    public int publish(String subject, String reply, byte[] headers, byte[] payload) {
        int hdrLen = headers == null ? 0 : headers.length;
        int payLen = payload == null ? 0 : payload.length;
        byte[] data;
        if (hdrLen == 0) {
            data = payload == null ? new byte[0] : payload;
        } else {
            data = new byte[hdrLen + payLen];
            System.arraycopy(headers, 0, data, 0, hdrLen);
            if (payLen > 0) {
                System.arraycopy(payload, 0, data, hdrLen, payLen);
            }
        }
        return publish(subject, reply, data, 0, hdrLen, hdrLen + payLen);
    }

    /**
     * Delivers a message to the subscribers of {@code routeSubject} while showing them
     * {@code shownSubject} in the MSG line, as JetStream does when it hands a stream message to a
     * consumer's deliver subject or a pull request's reply subject.
     */
    public int deliverAs(String routeSubject, String shownSubject, String reply, byte[] headers, byte[] payload) {
        int hdrLen = headers == null ? 0 : headers.length;
        int payLen = payload == null ? 0 : payload.length;
        byte[] data = new byte[hdrLen + payLen];
        if (hdrLen > 0) {
            System.arraycopy(headers, 0, data, 0, hdrLen);
        }
        if (payLen > 0) {
            System.arraycopy(payload, 0, data, hdrLen, payLen);
        }
        return route(routeSubject, shownSubject, reply, data, 0, hdrLen, hdrLen + payLen);
    }

    /** As {@link #publish(String, String, byte[], byte[])} over a buffer slice laid out as a message. */
    public int publish(String subject, String reply, byte[] data, int off, int hdrLen, int totalLen) {
        return route(subject, subject, reply, data, off, hdrLen, totalLen);
    }

    private int route(String routeSubject, String subject, String reply, byte[] data, int off, int hdrLen, int totalLen) {
        SublistResult<Subscription> result = sublist.match(routeSubject);
        int delivered = 0;
        for (Subscription sub : result.plainSubs()) {
            if (sub.deliver(subject, reply, data, off, hdrLen, totalLen, null)) {
                delivered++;
            }
        }
        for (List<Subscription> group : result.queueGroups()) {
            int n = group.size();
            if (n == 0) {
                continue;
            }
            int start = n == 1 ? 0 : nextInt(n);
            for (int i = 0; i < n; i++) {
                if (group.get((start + i) % n).deliver(subject, reply, data, off, hdrLen, totalLen, null)) {
                    delivered++;
                    break;
                }
            }
        }
        return delivered;
    }

    private int nextInt(int bound) {
        randomLock.lock();
        try {
            return random.nextInt(bound);
        } finally {
            randomLock.unlock();
        }
    }
}
