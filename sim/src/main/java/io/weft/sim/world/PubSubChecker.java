package io.weft.sim.world;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks core NATS delivery for a run without faults: each published message reaches every
 * subscription whose subject matches exactly once, messages from one publisher arrive at a
 * subscription in publish order, and nothing arrives that was not published to a match.
 */
public final class PubSubChecker {
    private record Sub(int client, String sid, String subject) {
    }

    private record Pub(int client, int seq, String subject, String payload) {
    }

    private final Set<Integer> cut = new TreeSet<>();
    private final List<Sub> subs = new ArrayList<>();
    private final List<Pub> pubs = new ArrayList<>();
    private final Map<String, Pub> byPayload = new HashMap<>();
    private final TreeMap<Integer, List<SimClient.Delivery>> deliveries = new TreeMap<>();

    public void subscribed(int client, String sid, String subject) {
        subs.add(new Sub(client, sid, subject));
    }

    public void published(int client, int seq, String subject, String payload) {
        Pub p = new Pub(client, seq, subject, payload);
        pubs.add(p);
        byPayload.put(payload, p);
    }

    public void delivered(int client, List<SimClient.Delivery> received) {
        deliveries.put(client, received);
    }

    /**
     * Marks a client whose connection a fault cut: what it receives, and what others receive from
     * it, may stop early, but only as a prefix (no gap followed by a later message), never
     * duplicated or reordered.
     */
    public void cut(int client) {
        cut.add(client);
    }

    /** The failed checks, empty when the run is correct. At most a few per kind are listed. */
    public List<String> check() {
        List<String> failures = new ArrayList<>();
        Map<String, List<SimClient.Delivery>> bySub = new HashMap<>();
        for (Map.Entry<Integer, List<SimClient.Delivery>> e : deliveries.entrySet()) {
            for (SimClient.Delivery d : e.getValue()) {
                bySub.computeIfAbsent(e.getKey() + " " + d.sid(), k -> new ArrayList<>()).add(d);
            }
        }
        for (Sub s : subs) {
            Map<String, Boolean> match = new HashMap<>();
            List<SimClient.Delivery> got = bySub.getOrDefault(s.client() + " " + s.sid(), List.of());
            Map<String, Integer> counts = new HashMap<>();
            Map<Integer, Integer> lastSeq = new HashMap<>();
            for (SimClient.Delivery d : got) {
                Pub p = byPayload.get(d.payload());
                if (p == null || !match.computeIfAbsent(p.subject(), subj -> matches(s.subject(), subj))
                        || !d.subject().equals(p.subject())) {
                    add(failures, "client " + s.client() + " sid " + s.sid() + " (" + s.subject() + ") got unexpected "
                            + d.subject() + " " + d.payload());
                    continue;
                }
                counts.merge(d.payload(), 1, Integer::sum);
                Integer prev = lastSeq.put(p.client(), p.seq());
                if (prev != null && prev >= p.seq()) {
                    add(failures, "client " + s.client() + " sid " + s.sid() + " got " + d.payload()
                            + " after c" + p.client() + "-" + prev + " (out of order)");
                }
            }
            Map<Integer, String> firstLost = new HashMap<>();
            for (Pub p : pubs) { // in publish order, so per publisher in sequence order
                if (!match.computeIfAbsent(p.subject(), subj -> matches(s.subject(), subj))) {
                    continue;
                }
                int n = counts.getOrDefault(p.payload(), 0);
                boolean relaxed = cut.contains(s.client()) || cut.contains(p.client());
                if (n == 0) {
                    if (!relaxed) {
                        add(failures, "client " + s.client() + " sid " + s.sid() + " (" + s.subject() + ") never got "
                                + p.payload() + " on " + p.subject());
                    }
                    firstLost.putIfAbsent(p.client(), p.payload());
                    continue;
                }
                if (n > 1) {
                    add(failures, "client " + s.client() + " sid " + s.sid() + " got " + p.payload() + " " + n + " times");
                }
                String lost = firstLost.get(p.client());
                if (relaxed && lost != null) {
                    add(failures, "client " + s.client() + " sid " + s.sid() + " got " + p.payload()
                            + " although the earlier " + lost + " was lost (not a prefix)");
                }
            }
        }
        return failures;
    }

    private static void add(List<String> failures, String f) {
        if (failures.size() < 20) {
            failures.add(f);
        } else if (failures.size() == 20) {
            failures.add("... more failures omitted");
        }
    }

    /** NATS subject matching: {@code *} is one token, {@code >} one or more trailing tokens. */
    static boolean matches(String pattern, String subject) {
        if (pattern.equals(subject)) {
            return true;
        }
        if (pattern.indexOf('*') < 0 && pattern.indexOf('>') < 0) {
            return false;
        }
        String[] p = pattern.split("\\.", -1);
        String[] s = subject.split("\\.", -1);
        for (int i = 0; i < p.length; i++) {
            if (p[i].equals(">")) {
                return s.length > i;
            }
            if (i >= s.length || !(p[i].equals("*") || p[i].equals(s[i]))) {
                return false;
            }
        }
        return p.length == s.length;
    }
}
