package io.weft.fuzz;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A simple model of plain (non-queue) subscriptions for the live-server properties. Operations
 * are split into epochs: a SUB or UNSUB starts a new one (the test makes sure the server applied
 * it before anything else happens), while the PUBs inside one epoch may race each other. For each
 * subscription and epoch the model knows which messages may arrive: exactly the matching ones
 * when the subscription has no limit, otherwise exactly {@code min(remaining, matching)} of them.
 * Published payloads are the decimal message id.
 */
final class DeliveryModel {
    record Pub(int id, int client, String subject, int epoch) {
    }

    /** What one subscription must receive from one epoch. */
    record Expect(Set<Integer> candidates, boolean exact, int count) {
    }

    private static final class Sub {
        final int client;
        final String sid;
        final String pattern;
        final String queue;
        long max;
        long delivered;
        final Map<Integer, Expect> byEpoch = new HashMap<>();

        Sub(int client, String sid, String pattern, String queue) {
            this.client = client;
            this.sid = sid;
            this.pattern = pattern;
            this.queue = queue;
        }
    }

    private final Map<String, Sub> active = new LinkedHashMap<>();
    private final Map<String, Sub> all = new HashMap<>();
    private final List<Pub> pubs = new ArrayList<>();
    private final List<Pub> current = new ArrayList<>();
    private int epoch;
    private final Set<Integer> noEcho = new HashSet<>();
    /** "pubId/group" to the members that may take that message (one of them must). */
    private final Map<String, Set<String>> queueExpect = new HashMap<>();
    /** "pubId/group" to the members that did take it. */
    private final Map<String, List<String>> queueGot = new HashMap<>();

    /** A client that connected with {@code echo: false} never gets its own messages. */
    void noEcho(int client) {
        noEcho.add(client);
    }

    /** True when {@code subject} (no wildcards) matches {@code pattern} (with * and >). */
    static boolean matches(String pattern, String subject) {
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

    private static String key(int client, String sid) {
        return client + "/" + sid;
    }

    void sub(int client, String sid, String pattern) {
        sub(client, sid, pattern, null);
    }

    /** A queue subscription when {@code queue} is not null (tests give queue members no max). */
    void sub(int client, String sid, String pattern, String queue) {
        closeEpoch();
        String k = key(client, sid);
        if (!active.containsKey(k) && !all.containsKey(k)) {
            Sub s = new Sub(client, sid, pattern, queue);
            active.put(k, s);
            all.put(k, s);
        }
    }

    /** {@code max <= 0}: unsubscribe now; otherwise auto-unsubscribe after max deliveries in total. */
    void unsub(int client, String sid, long max) {
        closeEpoch();
        Sub s = active.get(key(client, sid));
        if (s == null) {
            return;
        }
        if (max > 0 && s.delivered < max) {
            s.max = max;
        } else {
            active.remove(key(client, sid));
        }
    }

    boolean isQueue(int client, String sid) {
        Sub s = all.get(key(client, sid));
        return s != null && s.queue != null;
    }

    Pub pub(int client, String subject) {
        Pub p = new Pub(pubs.size(), client, subject, epoch);
        pubs.add(p);
        current.add(p);
        return p;
    }

    void finish() {
        closeEpoch();
    }

    private void closeEpoch() {
        if (!current.isEmpty()) {
            for (Pub p : current) {
                Map<String, Set<String>> groups = new HashMap<>();
                for (Sub s : active.values()) {
                    if (s.queue != null && eligible(s, p)) {
                        groups.computeIfAbsent(s.queue, g -> new HashSet<>()).add(key(s.client, s.sid));
                    }
                }
                groups.forEach((g, members) -> queueExpect.put(p.id() + "/" + g, members));
            }
            for (Sub s : new ArrayList<>(active.values())) {
                if (s.queue != null) {
                    continue;
                }
                Set<Integer> m = new HashSet<>();
                for (Pub p : current) {
                    if (eligible(s, p)) {
                        m.add(p.id());
                    }
                }
                if (s.max > 0) {
                    int k = (int) Math.min(s.max - s.delivered, m.size());
                    s.byEpoch.put(epoch, new Expect(m, false, k));
                    s.delivered += k;
                    if (s.delivered >= s.max) {
                        active.remove(key(s.client, s.sid));
                    }
                } else {
                    s.byEpoch.put(epoch, new Expect(m, true, m.size()));
                    s.delivered += m.size();
                }
            }
            current.clear();
        }
        epoch++;
    }

    /** Subscriptions of {@code client} still active (the server must hold exactly these). */
    int activeCount(int client) {
        int n = 0;
        for (Sub s : active.values()) {
            if (s.client == client) {
                n++;
            }
        }
        return n;
    }

    private boolean eligible(Sub s, Pub p) {
        return matches(s.pattern, p.subject()) && !(p.client() == s.client && noEcho.contains(s.client));
    }

    /** After {@link #check} ran for every client: each message went to exactly one member of each group that could take it. */
    List<String> checkQueues() {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : queueExpect.entrySet()) {
            List<String> got = queueGot.getOrDefault(e.getKey(), List.of());
            if (got.size() != 1) {
                problems.add("queue delivery " + e.getKey() + " went to " + got + ", expected one of " + e.getValue());
            }
        }
        for (String k : queueGot.keySet()) {
            if (!queueExpect.containsKey(k)) {
                problems.add("queue delivery " + k + " to " + queueGot.get(k) + " that no member could take");
            }
        }
        return problems;
    }

    int published() {
        return pubs.size();
    }

    /** Every way what {@code client} received breaks the model (empty when it conforms). */
    List<String> check(int client, List<WireClient.Msg> received) {
        List<String> problems = new ArrayList<>();
        Map<String, Map<Integer, List<Integer>>> got = new HashMap<>();
        Map<Integer, Integer> lastFromPublisher = new HashMap<>();
        int lastEpoch = -1;
        for (WireClient.Msg m : received) {
            int id;
            try {
                id = Integer.parseInt(m.text());
            } catch (NumberFormatException e) {
                problems.add("unknown payload " + m.text());
                continue;
            }
            if (id < 0 || id >= pubs.size()) {
                problems.add("unknown message id " + id);
                continue;
            }
            Pub p = pubs.get(id);
            if (!p.subject().equals(m.subject())) {
                problems.add("message " + id + " arrived as " + m.subject() + ", published to " + p.subject());
            }
            Sub s = all.get(key(client, m.sid()));
            if (s == null) {
                problems.add("message " + id + " for unknown sid " + m.sid());
                continue;
            }
            if (p.client() == client && noEcho.contains(client)) {
                problems.add("message " + id + " echoed to its publisher, who asked for no echo");
            }
            if (!matches(s.pattern, p.subject())) {
                problems.add("message " + id + " on " + p.subject() + " delivered to sid " + m.sid() + " (" + s.pattern + ")");
            }
            Integer last = lastFromPublisher.get(p.client());
            if (last != null && last > id) {
                problems.add("publisher " + p.client() + " order broken: " + id + " after " + last);
            }
            lastFromPublisher.put(p.client(), id);
            if (p.epoch() < lastEpoch) {
                problems.add("message " + id + " of epoch " + p.epoch() + " after epoch " + lastEpoch);
            }
            lastEpoch = Math.max(lastEpoch, p.epoch());
            if (s.queue != null) {
                String k = id + "/" + s.queue;
                Set<String> allowed = queueExpect.getOrDefault(k, Set.of());
                if (!allowed.contains(key(client, m.sid()))) {
                    problems.add("queue message " + id + " to " + key(client, m.sid()) + ", allowed " + allowed);
                }
                queueGot.computeIfAbsent(k, x -> new ArrayList<>()).add(key(client, m.sid()));
                continue;
            }
            got.computeIfAbsent(m.sid(), x -> new HashMap<>()).computeIfAbsent(p.epoch(), x -> new ArrayList<>()).add(id);
        }
        for (Sub s : all.values()) {
            if (s.client != client || s.queue != null) {
                continue;
            }
            Map<Integer, List<Integer>> mine = got.getOrDefault(s.sid, Map.of());
            for (Map.Entry<Integer, List<Integer>> e : mine.entrySet()) {
                if (!s.byEpoch.containsKey(e.getKey())) {
                    problems.add("sid " + s.sid + " got " + e.getValue() + " in epoch " + e.getKey() + " while not subscribed");
                }
            }
            for (Map.Entry<Integer, Expect> e : s.byEpoch.entrySet()) {
                List<Integer> ids = mine.getOrDefault(e.getKey(), List.of());
                Set<Integer> set = new HashSet<>(ids);
                Expect x = e.getValue();
                if (set.size() != ids.size()) {
                    problems.add("sid " + s.sid + " got duplicates " + ids);
                }
                if (!x.candidates().containsAll(set)) {
                    problems.add("sid " + s.sid + " got " + ids + ", allowed " + x.candidates());
                }
                if (x.exact() ? !set.equals(x.candidates()) : set.size() != x.count()) {
                    problems.add("sid " + s.sid + " (" + s.pattern + ") epoch " + e.getKey() + " got " + ids
                            + ", expected " + (x.exact() ? "" : x.count() + " of ") + x.candidates());
                }
            }
        }
        return problems;
    }
}
