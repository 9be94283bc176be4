package io.weft.sim.world;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks core NATS delivery when connections drop and servers crash, per connection session (a
 * client's connection from connect until it ends; a reconnect starts a new session). Core NATS is
 * at-most-once, so a message may be lost when a session ends; what must hold:
 *
 * <ul>
 *   <li>nothing arrives on a subscription whose subject does not match, or that was never published;
 *   <li>no message arrives twice on one subscription within one session;
 *   <li>messages of one publisher arrive on a subscription in publish order within a session;
 *   <li>a message must arrive when the subscriber's session had its subscriptions acknowledged (a
 *       flush after the SUBs returned) before the message was published, the publisher's session
 *       flushed it (a flush invoked after the PUB got its PONG), and the subscriber's session then
 *       completed a flush invoked after that PONG. The last condition stands in for "the
 *       subscriber's session stayed up until delivery": a server can crash after the publisher's
 *       PONG but before it wrote the message to the subscriber, and then nothing was promised.
 * </ul>
 */
public final class SessionChecker {
    private record Pub(int client, int session, int seq, String subject, String payload, long time) {
    }

    private record Flush(int client, int session, long invoked, long ok) {
    }

    private final Map<Integer, Map<String, String>> subjects = new TreeMap<>();
    private final Map<String, Long> acks = new TreeMap<>();
    private final List<Pub> pubs = new ArrayList<>();
    private final Map<String, Pub> byPayload = new HashMap<>();
    private final List<Flush> flushes = new ArrayList<>();
    private final Map<Integer, List<SimClient.Delivery>> deliveries = new TreeMap<>();
    private final Map<Integer, List<Integer>> sessions = new TreeMap<>();

    public void subscribed(int client, String sid, String subject) {
        subjects.computeIfAbsent(client, k -> new TreeMap<>()).put(sid, subject);
    }

    /** The client's subscriptions are in place in {@code session} from {@code time} on (its flush after SUB). */
    public void acked(int client, int session, long time) {
        acks.putIfAbsent(client + "/" + session, time);
    }

    /** About to publish: recorded before the PUB is written, so any delivery of it is known. */
    public void published(int client, int session, int seq, String subject, String payload, long time) {
        Pub p = new Pub(client, session, seq, subject, payload, time);
        pubs.add(p);
        byPayload.put(payload, p);
    }

    /** A flush (PING) invoked at {@code invoked} got its PONG at {@code ok}, within {@code session}. */
    public void flushed(int client, int session, long invoked, long ok) {
        flushes.add(new Flush(client, session, invoked, ok));
    }

    public void delivered(int client, List<SimClient.Delivery> received, List<Integer> inSession) {
        deliveries.put(client, received);
        sessions.put(client, inSession);
    }

    /** How many (message, subscription, session) deliveries the run promised; a test shows it is not vacuous. */
    public int promised() {
        return required().size();
    }

    public List<String> check() {
        List<String> failures = new ArrayList<>();
        Map<String, Integer> counts = new HashMap<>();
        Map<String, Integer> lastSeq = new HashMap<>();
        for (var e : deliveries.entrySet()) {
            int client = e.getKey();
            List<Integer> sess = sessions.get(client);
            Map<String, String> subs = subjects.getOrDefault(client, Map.of());
            for (int i = 0; i < e.getValue().size(); i++) {
                SimClient.Delivery d = e.getValue().get(i);
                int s = sess.get(i);
                String pattern = subs.get(d.sid());
                Pub p = byPayload.get(d.payload());
                if (pattern == null || p == null || !d.subject().equals(p.subject())
                        || !PubSubChecker.matches(pattern, p.subject())) {
                    add(failures, "client " + client + " session " + s + " sid " + d.sid() + " (" + pattern
                            + ") got unexpected " + d.subject() + " " + d.payload());
                    continue;
                }
                String key = client + "/" + s + "/" + d.sid();
                int n = counts.merge(key + "/" + d.payload(), 1, Integer::sum);
                if (n == 2) {
                    add(failures, "client " + client + " session " + s + " sid " + d.sid() + " got " + d.payload()
                            + " twice");
                }
                Integer prev = lastSeq.put(key + "/" + p.client(), p.seq());
                if (prev != null && prev >= p.seq()) {
                    add(failures, "client " + client + " session " + s + " sid " + d.sid() + " got " + d.payload()
                            + " after c" + p.client() + "-" + prev + " (out of order)");
                }
            }
        }
        for (String r : required()) {
            if (!counts.containsKey(r.substring(0, r.indexOf(' ')))) {
                add(failures, r.substring(r.indexOf(' ') + 1));
            }
        }
        return failures;
    }

    /** "client/session/sid/payload description" for every delivery the run promised. */
    private List<String> required() {
        List<String> out = new ArrayList<>();
        for (Pub m : pubs) {
            long f = Long.MAX_VALUE;
            for (Flush fl : flushes) {
                if (fl.client() == m.client() && fl.session() == m.session() && fl.invoked() >= m.time()) {
                    f = Math.min(f, fl.ok());
                }
            }
            if (f == Long.MAX_VALUE) {
                continue; // never confirmed by its publisher
            }
            for (var e : subjects.entrySet()) {
                int x = e.getKey();
                for (var ack : acks.entrySet()) {
                    if (!ack.getKey().startsWith(x + "/") || ack.getValue() > m.time()) {
                        continue;
                    }
                    int s = Integer.parseInt(ack.getKey().substring(ack.getKey().indexOf('/') + 1));
                    boolean provenAlive = false;
                    for (Flush fl : flushes) {
                        if (fl.client() == x && fl.session() == s && fl.invoked() > f) {
                            provenAlive = true;
                            break;
                        }
                    }
                    if (!provenAlive) {
                        continue;
                    }
                    for (var sub : e.getValue().entrySet()) {
                        if (PubSubChecker.matches(sub.getValue(), m.subject())) {
                            out.add(x + "/" + s + "/" + sub.getKey() + "/" + m.payload() + " client " + x + " session " + s
                                    + " sid " + sub.getKey() + " (" + sub.getValue() + ") never got " + m.payload()
                                    + " on " + m.subject() + ", flushed by c" + m.client() + " session " + m.session()
                                    + " at " + f + "ns");
                        }
                    }
                }
            }
        }
        return out;
    }

    private static void add(List<String> failures, String f) {
        if (failures.size() < 20) {
            failures.add(f);
        } else if (failures.size() == 20) {
            failures.add("... more failures omitted");
        }
    }
}
