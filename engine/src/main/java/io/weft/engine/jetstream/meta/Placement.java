package io.weft.engine.jetstream.meta;

import io.weft.net.Entropy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Chooses the peer group of a new stream, as nats-server's {@code selectPeerGroup} does: among the
 * JetStream servers the meta leader knows, those of the target cluster that it has heard from,
 * that are not tagged {@code !jetstream}, that carry every wanted tag and none of the excluded
 * ({@code !tag}) ones, and (with {@code unique_tag}) whose value of that tag prefix no chosen peer
 * has. Candidates are shuffled with the server's {@link Entropy} (seeded under simulation, so a
 * seed picks the same group every run), then ordered online first, then fewest streams assigned,
 * and for a replicated stream fewest replicated streams; the first {@code replicas} win. It fails
 * when fewer fit, or fewer than a quorum ({@code replicas/2+1}) of them are online, with
 * nats-server's text ({@code no suitable peers for placement[, peer offline]...}, 400/10005).
 * Free storage is not weighed: the leader does not learn other servers' usage yet.
 */
public final class Placement {
    private Placement() {
    }

    /** A JetStream server as the meta leader sees it: {@code seen} false if it never heard from it. */
    public record Candidate(long peer, String name, String cluster, List<String> tags, boolean seen, boolean offline) {
        public Candidate {
            tags = List.copyOf(tags);
        }

        boolean hasTag(String tag) {
            for (String t : tags) {
                if (t.toLowerCase(Locale.ROOT).equals(tag.toLowerCase(Locale.ROOT))) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * What placing asks for: the replica count, the cluster (never empty), the tags of
     * {@code placement}, the server tag prefix whose values must differ ({@code unique_tag}), and
     * {@code staying}: the members that keep their place when a group grows or a member is
     * replaced, whose unique tag values the new peers may not share.
     */
    public record Request(int replicas, String cluster, List<String> tags, String uniqueTagPrefix, List<Candidate> staying) {
        public Request {
            tags = tags == null ? List.of() : List.copyOf(tags);
            uniqueTagPrefix = uniqueTagPrefix == null ? "" : uniqueTagPrefix;
            staying = staying == null ? List.of() : List.copyOf(staying);
        }

        /** A new stream's placement (no members yet). */
        public Request(int replicas, String cluster, List<String> tags, String uniqueTagPrefix) {
            this(replicas, cluster, tags, uniqueTagPrefix, List.of());
        }
    }

    /** The outcome: the chosen peers in preference order, or why none fit. */
    public sealed interface Result permits Placed, Failed {
    }

    public record Placed(List<Long> peers) implements Result {
        public Placed {
            peers = List.copyOf(peers);
        }
    }

    /** {@code description}: nats-server's text for error 10005. */
    public record Failed(String description) implements Result {
    }

    private record Node(Candidate c, int streams, int ha) {
    }

    /**
     * Places a stream. {@code load} is {@link Assignments#load}: per peer, the streams and the
     * replicated streams it already holds.
     */
    public static Result select(Request req, List<Candidate> known, Map<Long, int[]> load, Entropy random) {
        int r = Math.max(1, req.replicas());
        boolean offline = false;
        boolean excludeTag = false;
        boolean uniqueTag = false;
        boolean misc = req.cluster() == null || req.cluster().isEmpty();
        TreeSet<String> missing = new TreeSet<>();
        TreeSet<String> excluded = new TreeSet<>();
        String unique = req.uniqueTagPrefix();
        for (String t : req.tags()) {
            if (!unique.isEmpty() && stripBang(t).startsWith(unique)) {
                unique = ""; // a placement naming the unique tag itself disables the uniqueness check
            }
        }
        // a random order first (nats-server shuffles its peers), so ties fall differently per stream
        List<Candidate> peers = new ArrayList<>(known);
        peers.sort(Comparator.comparingLong(Candidate::peer)); // the same start whatever order they came in
        for (int i = peers.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Candidate x = peers.get(i);
            peers.set(i, peers.get(j));
            peers.set(j, x);
        }
        TreeMap<String, Long> uniqueOwners = new TreeMap<>();
        if (!unique.isEmpty()) {
            for (Candidate s : req.staying()) {
                for (String t : s.tags()) {
                    if (t.startsWith(unique)) {
                        uniqueOwners.put(t, s.peer()); // a member that stays holds its value already
                        break;
                    }
                }
            }
        }
        List<Node> nodes = new ArrayList<>();
        int online = 0;
        if (!misc) {
            for (Candidate c : peers) {
                if (!req.cluster().equals(c.cluster())) {
                    continue;
                }
                if (!c.seen()) {
                    offline = true;
                    continue;
                }
                if (c.hasTag("!jetstream")) {
                    excludeTag = true;
                    continue;
                }
                boolean matched = true;
                for (String t : req.tags()) {
                    boolean exclude = t.startsWith("!");
                    String tag = stripBang(t);
                    boolean has = c.hasTag(tag);
                    if (exclude && has) {
                        excluded.add(tag);
                        matched = false;
                        break;
                    }
                    if (!exclude && !has) {
                        missing.add(tag);
                        matched = false;
                        break;
                    }
                }
                if (!matched) {
                    continue;
                }
                if (!unique.isEmpty()) {
                    String value = null;
                    for (String t : c.tags()) {
                        if (t.startsWith(unique)) {
                            value = t;
                            break;
                        }
                    }
                    if (value == null || uniqueOwners.containsKey(value)) {
                        uniqueTag = true; // the prefix is required, and each value may hold one replica
                        continue;
                    }
                    uniqueOwners.put(value, c.peer());
                }
                int[] l = load.getOrDefault(c.peer(), new int[2]);
                nodes.add(new Node(c, l[0], l[1]));
                if (!c.offline()) {
                    online++;
                }
            }
        }
        int quorum = r / 2 + 1;
        boolean missingNodes = nodes.size() < r;
        boolean missingQuorum = online < quorum;
        if (missingNodes || missingQuorum) {
            if (!missingNodes) {
                offline = true;
            }
            return new Failed(describe(offline, excludeTag, uniqueTag, misc, known.isEmpty(), missing, excluded));
        }
        Comparator<Node> order = Comparator.comparing((Node n) -> n.c().offline()).thenComparingInt(Node::streams);
        if (r > 1) {
            order = Comparator.comparing((Node n) -> n.c().offline()).thenComparingInt(Node::ha)
                    .thenComparingInt(Node::streams);
        }
        nodes.sort(order); // stable: the shuffle breaks the remaining ties
        List<Long> chosen = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            chosen.add(nodes.get(i).c().peer());
        }
        return new Placed(chosen);
    }

    private static String stripBang(String t) {
        return t.startsWith("!") ? t.substring(1) : t;
    }

    private static String describe(boolean offline, boolean excludeTag, boolean uniqueTag, boolean misc,
                                   boolean noPeers, TreeSet<String> missing, TreeSet<String> excluded) {
        StringBuilder b = new StringBuilder("no suitable peers for placement");
        if (offline) {
            b.append(", peer offline");
        }
        if (excludeTag) {
            b.append(", exclude tag set");
        }
        if (uniqueTag) {
            b.append(", server tag not unique");
        }
        if (misc) {
            b.append(", miscellaneous issue");
        }
        if (noPeers) {
            b.append(", jetstream not enabled in cluster");
        }
        if (!missing.isEmpty()) {
            b.append(", tags not matched [");
            b.append(String.join(", ", missing.stream().map(t -> "'" + t + "'").toList()));
            b.append("]");
        }
        if (!excluded.isEmpty()) {
            b.append(", tags excluded [");
            b.append(String.join(", ", excluded.stream().map(t -> "'" + t + "'").toList()));
            b.append("]");
        }
        return b.toString();
    }
}
