package io.weft.sim.world;

import io.weft.sim.SimClock;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Request/reply for a {@link SimClient} the way JetStream clients do it: one wildcard inbox
 * subscription ({@code _INBOX.c<id>.>}), a fresh reply subject per request, and a virtual-time
 * timeout. Reconnects (re-sending the inbox subscription) whenever the connection has dropped.
 * Used by scenario {@code js-crash}.
 */
final class JsConn {
    /** One message that arrived on a request's reply subject, at world time {@code at}. */
    record Reply(String subject, String reply, String headers, String payload, long at) {
        /** The status code of a header-only status message ({@code NATS/1.0 404 ...}), or 0. */
        int status() {
            if (headers == null || !headers.startsWith("NATS/1.0 ")) {
                return 0;
            }
            String rest = headers.substring(9).strip();
            int end = 0;
            while (end < rest.length() && Character.isDigit(rest.charAt(end))) {
                end++;
            }
            return end == 0 ? 0 : Integer.parseInt(rest.substring(0, end));
        }

        /** A header's value, or null. */
        String header(String name) {
            if (headers == null) {
                return null;
            }
            for (String line : headers.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    private final SimWorld world;
    private final SimClient client;
    /** The nodes this connection may use; it moves to the next one by {@link #moveOn()} or a failed connect. */
    private final List<SimNode> nodes;
    private int at;
    /** Set by {@link #moveOn()}: the next request starts a new session on the next node. */
    private boolean stale;
    private final SimClock clock;
    private final SplittableRandom rnd;
    private final String prefix;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final Map<String, List<Reply>> replies = new HashMap<>();
    private boolean connectedOnce;
    /** The reply subject of the request in flight (one at a time per connection). */
    private String current;
    /** Consumer messages that arrived while no request was open; handed to the next one. */
    private final List<Reply> late = new ArrayList<>();
    private long next;

    JsConn(SimWorld world, SimClient client, SimNode node, SimClock clock, SplittableRandom rnd) {
        this(world, client, List.of(node), 0, clock, rnd);
    }

    /**
     * A connection to one of {@code nodes}, first {@code first}: a connect that fails moves on to the
     * next node, as a client with a cluster's URLs does (scenario {@code js-cluster}).
     */
    JsConn(SimWorld world, SimClient client, List<SimNode> nodes, int first, SimClock clock, SplittableRandom rnd) {
        this.world = world;
        this.client = client;
        this.nodes = List.copyOf(nodes);
        this.at = first % nodes.size();
        this.clock = clock;
        this.rnd = rnd;
        this.prefix = "_INBOX.c" + client.id() + ".";
        client.noResponders(true).listener(this::onMessage);
    }

    SimWorld world() {
        return world;
    }

    SimClient client() {
        return client;
    }

    private void onMessage(SimClient c, String subject, String sid, String reply, String headers, String payload) {
        if (!sid.equals("inbox")) {
            return;
        }
        lock.lock();
        try {
            // a pull consumer's messages keep their own subject: they belong to the open request
            boolean own = subject.startsWith(prefix);
            List<Reply> l = replies.get(own ? subject : current);
            if (l != null) {
                l.add(new Reply(subject, reply, headers, payload, world.scheduler().now()));
                arrived.signalAll();
            } else if (!own) {
                // a pull's message that came after its request gave up waiting: still owed an ack
                late.add(new Reply(subject, reply, headers, payload, world.scheduler().now()));
            }
        } finally {
            lock.unlock();
        }
    }

    /** The node this connection uses (or will connect to next). */
    SimNode node() {
        return nodes.get(at);
    }

    /**
     * Drops the connection and uses the next node from now on (a client that gave up on a server
     * that does not answer); with one node it just reconnects.
     */
    void moveOn() {
        at = (at + 1) % nodes.size();
        stale = true;
    }

    /** Connects (or reconnects) until a session with the inbox subscription in place is up. */
    void ensureSession() throws InterruptedException {
        while (stale || client.session() == 0 || client.ended()) {
            SimNode node = nodes.get(at);
            try {
                if (!connectedOnce) {
                    client.close();
                    client.connect(world.network().host("c" + client.id()), node.host(), 4222);
                    client.sub(prefix + ">", "inbox");
                    connectedOnce = true;
                } else {
                    client.reconnect(world.network().host("c" + client.id()), node.host(), 4222);
                }
                stale = false;
                client.flush();
            } catch (IOException e) {
                if (nodes.size() > 1) {
                    at = (at + 1) % nodes.size();
                }
                clock.sleep(Duration.ofNanos(500_000L + rnd.nextLong(4_000_000L)));
            }
        }
    }

    /** Sends a request and waits for its first reply; null on timeout or when the send failed. */
    Reply request(String subject, String headers, String body, Duration timeout) throws InterruptedException {
        List<Reply> got = requestAll(subject, headers, body, timeout, true);
        return got.isEmpty() ? null : got.get(0);
    }

    /**
     * Sends a request and collects what arrives on its reply subject until the timeout (or, with
     * {@code firstOnly}, until the first reply).
     */
    List<Reply> requestAll(String subject, String headers, String body, Duration timeout, boolean firstOnly)
            throws InterruptedException {
        ensureSession();
        String inbox;
        lock.lock();
        try {
            inbox = prefix + (++next);
            replies.put(inbox, new ArrayList<>());
            current = inbox;
        } finally {
            lock.unlock();
        }
        try {
            if (headers == null) {
                client.pub(subject, inbox, body);
            } else {
                client.hpub(subject, inbox, headers, body);
            }
        } catch (IOException e) {
            forget(inbox);
            return List.of();
        }
        long deadline = clock.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (true) {
                List<Reply> l = replies.get(inbox);
                if (firstOnly && !l.isEmpty()) {
                    break;
                }
                if (!clock.awaitUntil(arrived, deadline)) {
                    break;
                }
            }
            List<Reply> got = new ArrayList<>(late);
            late.clear();
            got.addAll(replies.remove(inbox));
            return got;
        } finally {
            lock.unlock();
        }
    }

    /** Publishes without waiting for anything (acks); false if the connection was down. */
    boolean publish(String subject, String body) throws InterruptedException {
        try {
            client.pub(subject, body);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    void sleep(long nanos) throws InterruptedException {
        clock.sleep(Duration.ofNanos(nanos));
    }

    /** Virtual time for history entries (the world's clock, not a node's skewed one). */
    long now() {
        return world.scheduler().now();
    }

    private void forget(String inbox) {
        lock.lock();
        try {
            replies.remove(inbox);
        } finally {
            lock.unlock();
        }
    }
}
