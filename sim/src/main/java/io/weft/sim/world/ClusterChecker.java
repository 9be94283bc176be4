package io.weft.sim.world;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks core NATS delivery across a cluster of servers joined by routes, per connection session
 * (a client's connection from connect until it ends; each session is on one node). Interest
 * crosses the cluster asynchronously and core NATS is at-most-once, so during faults only safety
 * is checked:
 *
 * <ul>
 *   <li>nothing arrives on a subscription whose subject does not match, or that was never published;
 *   <li>no message arrives twice on one subscription within one session;
 *   <li>messages of one publisher session arrive on a subscription in publish order, per route path:
 *       a message published on node A and delivered on node B may overtake an earlier one only when
 *       the route between A and B changed (a route to the other was created, accepted or closed on
 *       either node) between the earlier message's publish and the later one's delivery; on the same
 *       node never;
 *   <li>a message to a queue group reaches at most one member of that group, cluster-wide.
 * </ul>
 *
 * And liveness after the heal: every probe published once the faults are over and interest has
 * converged reaches every matching subscription of the subscribers' final sessions, and exactly
 * one member of each queue group that has members.
 */
public final class ClusterChecker {
    private record Pub(int client, int session, int seq, String subject, String payload, long time) {
    }

    /** A subscription of a client: its pattern and queue group (null for a plain one). */
    private record Sub(String pattern, String queue) {
    }

    private record RouteEvent(long time, String a, String b) {
    }

    private final Map<Integer, Map<String, Sub>> subs = new TreeMap<>();
    private final Map<String, String> sessionNode = new HashMap<>();
    private final Map<String, Pub> byPayload = new HashMap<>();
    private final List<RouteEvent> routeEvents = new ArrayList<>();
    private final Map<Integer, List<SimClient.Delivery>> deliveries = new TreeMap<>();
    private final Map<Integer, List<Integer>> sessions = new TreeMap<>();
    /** "client/session/sid/payload" of every probe delivery that must happen. */
    private final List<String> expected = new ArrayList<>();
    /** payload -> groups that must get it exactly once. */
    private final Map<String, List<String>> expectedQueue = new TreeMap<>();

    public void subscribed(int client, String sid, String pattern, String queue) {
        subs.computeIfAbsent(client, k -> new TreeMap<>()).put(sid, new Sub(pattern, queue));
    }

    /** The client's {@code session} is a connection to {@code node}. */
    public void session(int client, int session, String node) {
        sessionNode.put(client + "/" + session, node);
    }

    /** About to publish: recorded before the PUB is written, so any delivery of it is known. */
    public void published(int client, int session, int seq, String subject, String payload, long time) {
        byPayload.put(payload, new Pub(client, session, seq, subject, payload, time));
    }

    /** A route between nodes {@code a} and {@code b} was created, accepted or closed (as either logged it). */
    public void routeChanged(long time, String a, String b) {
        routeEvents.add(new RouteEvent(time, a, b));
    }

    /** How many route changes were seen so far. */
    public int routeEvents() {
        return routeEvents.size();
    }

    /** Forgets the probes expected so far (a new probe round replaces them). */
    public void clearExpectations() {
        expected.clear();
        expectedQueue.clear();
    }

    public void delivered(int client, List<SimClient.Delivery> received, List<Integer> inSession) {
        deliveries.put(client, received);
        sessions.put(client, inSession);
    }

    /** The probe {@code payload} must reach {@code client}'s subscription {@code sid} in {@code session}. */
    public void expect(int client, int session, String sid, String payload) {
        expected.add(client + "/" + session + "/" + sid + "/" + payload);
    }

    /** The probe {@code payload} must reach exactly one member of {@code group}. */
    public void expectQueue(String payload, String group) {
        expectedQueue.computeIfAbsent(payload, k -> new ArrayList<>()).add(group);
    }

    /** The probe deliveries still missing (for waiting until they are in). */
    public List<String> missingProbes(Map<Integer, List<SimClient.Delivery>> received, Map<Integer, List<Integer>> inSession) {
        java.util.Set<String> got = new java.util.HashSet<>();
        Map<String, Integer> perGroup = new HashMap<>();
        for (var e : received.entrySet()) {
            List<Integer> sess = inSession.get(e.getKey());
            for (int i = 0; i < e.getValue().size(); i++) {
                SimClient.Delivery d = e.getValue().get(i);
                got.add(e.getKey() + "/" + sess.get(i) + "/" + d.sid() + "/" + d.payload());
                Sub s = subs.getOrDefault(e.getKey(), Map.of()).get(d.sid());
                if (s != null && s.queue() != null) {
                    perGroup.merge(d.payload() + " " + s.queue(), 1, Integer::sum);
                }
            }
        }
        List<String> missing = new ArrayList<>();
        for (String x : expected) {
            if (!got.contains(x)) {
                missing.add(x);
            }
        }
        for (var e : expectedQueue.entrySet()) {
            for (String g : e.getValue()) {
                if (!perGroup.containsKey(e.getKey() + " " + g)) {
                    missing.add(e.getKey() + " to group " + g);
                }
            }
        }
        return missing;
    }

    public List<String> check() {
        List<String> failures = new ArrayList<>();
        Map<String, Integer> counts = new HashMap<>();
        Map<String, Integer> queueCounts = new TreeMap<>();
        /* key (subscriber session, sid, publisher session) -> deliveries so far: seq, time */
        Map<String, List<long[]>> seen = new HashMap<>();
        for (var e : deliveries.entrySet()) {
            int client = e.getKey();
            List<Integer> sess = sessions.get(client);
            Map<String, Sub> mine = subs.getOrDefault(client, Map.of());
            for (int i = 0; i < e.getValue().size(); i++) {
                SimClient.Delivery d = e.getValue().get(i);
                int s = sess.get(i);
                Sub sub = mine.get(d.sid());
                Pub p = byPayload.get(d.payload());
                if (sub == null || p == null || !d.subject().equals(p.subject())
                        || !PubSubChecker.matches(sub.pattern(), p.subject())) {
                    add(failures, "client " + client + " session " + s + " sid " + d.sid() + " ("
                            + (sub == null ? null : sub.pattern()) + ") got unexpected " + d.subject() + " " + d.payload());
                    continue;
                }
                String at = "client " + client + " session " + s + " (on " + sessionNode.get(client + "/" + s) + ") sid "
                        + d.sid() + " (" + sub.pattern() + (sub.queue() == null ? "" : " queue " + sub.queue()) + ")";
                if (counts.merge(client + "/" + s + "/" + d.sid() + "/" + d.payload(), 1, Integer::sum) == 2) {
                    add(failures, at + " got " + d.payload() + " twice");
                }
                if (sub.queue() != null && queueCounts.merge(d.payload() + " " + sub.queue(), 1, Integer::sum) == 2) {
                    add(failures, d.payload() + " reached more than one member of queue group " + sub.queue()
                            + " (the second: " + at + ")");
                }
                String key = client + "/" + s + "/" + d.sid() + "/" + p.client() + "/" + p.session();
                List<long[]> before = seen.computeIfAbsent(key, k -> new ArrayList<>());
                for (long[] b : before) {
                    if (b[0] > p.seq() && !routeChangedBetween(sessionNode.get(p.client() + "/" + p.session()),
                            sessionNode.get(client + "/" + s), p.time(), b[1])) {
                        add(failures, at + " got " + d.payload() + " after c" + p.client() + "-" + b[0]
                                + " of the same publisher session " + p.session() + " (on "
                                + sessionNode.get(p.client() + "/" + p.session()) + "), out of order on one route path");
                        break;
                    }
                }
                before.add(new long[] {p.seq(), d.time()});
            }
        }
        for (String x : expected) {
            if (!counts.containsKey(x)) {
                String[] f = x.split("/", 4);
                add(failures, "probe " + f[3] + " published after the heal never reached client " + f[0] + " session "
                        + f[1] + " (on " + sessionNode.get(f[0] + "/" + f[1]) + ") sid " + f[2]);
            }
        }
        for (var e : expectedQueue.entrySet()) {
            for (String g : e.getValue()) {
                if (!queueCounts.containsKey(e.getKey() + " " + g)) {
                    add(failures, "probe " + e.getKey() + " published after the heal reached no member of queue group " + g);
                }
            }
        }
        return failures;
    }

    /** True when a route between the two nodes changed in [from, to]; never for the same node. */
    private boolean routeChangedBetween(String a, String b, long from, long to) {
        if (a == null || b == null || a.equals(b)) {
            return false;
        }
        for (RouteEvent e : routeEvents) {
            if (e.time() >= from && e.time() <= to
                    && ((e.a().equals(a) && e.b().equals(b)) || (e.a().equals(b) && e.b().equals(a)))) {
                return true;
            }
        }
        return false;
    }

    private static void add(List<String> failures, String f) {
        if (failures.size() < 20) {
            failures.add(f);
        } else if (failures.size() == 20) {
            failures.add("... more failures omitted");
        }
    }
}
