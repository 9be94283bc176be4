package io.weft.raft;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A small cluster of {@link RaftNode}s with memory storage, a message queue and partitions, driven
 * command by command from the data-driven test files. Each command returns its output text.
 */
final class InteractionEnv {
    static final class Node {
        final long id;
        RaftConfig cfg;
        MemoryStorage storage;
        RaftNode raft;
        boolean down;
        MemoryStorage saved;
        final List<String> applied = new ArrayList<>();

        Node(long id, RaftConfig cfg, MemoryStorage storage) {
            this.id = id;
            this.cfg = cfg;
            this.storage = storage;
            this.raft = new RaftNode(cfg, storage);
        }
    }

    final TreeMap<Long, Node> nodes = new TreeMap<>();
    final List<Message> network = new ArrayList<>();
    private final Map<Long, Integer> group = new TreeMap<>();
    private final StringBuilder out = new StringBuilder();
    private long seed = 1;

    String run(String line) {
        out.setLength(0);
        String[] a = line.trim().split("\\s+");
        switch (a[0]) {
            case "add-nodes" -> addNodes(a);
            case "campaign" -> node(a[1]).raft.campaign();
            case "tick" -> tick(a);
            case "tick-election" -> tickElection(node(a[1]));
            case "tick-heartbeat" -> tickHeartbeat(a);
            case "stabilize" -> stabilize(a);
            case "run" -> runRounds(Integer.parseInt(a[1]));
            case "process-ready" -> processReady(node(a[1]), true);
            case "deliver" -> deliver(a.length > 1 ? Long.parseLong(a[1]) : 0, true);
            case "drop-messages" -> dropMessages(a);
            case "partition" -> partition(line);
            case "heal" -> group.clear();
            case "propose" -> print("proposed at " + node(a[1]).raft.propose(bytes(a[2])));
            case "propose-conf-change" -> proposeConf(a);
            case "transfer-leader" -> print("transfer " + (node(a[1]).raft.transferLeader(Long.parseLong(a[2])) ? "started" : "refused"));
            case "read-index" -> print("read-index " + (node(a[1]).raft.readIndex(bytes(a[2])) ? "requested" : "refused"));
            case "compact" -> compact(a);
            case "status" -> status(a);
            case "log" -> log(node(a[1]));
            case "applied" -> print(a[1] + ": " + String.join(" ", node(a[1]).applied));
            case "crash" -> crash(node(a[1]));
            case "restart" -> restart(a);
            case "save" -> {
                Node n = node(a[1]);
                n.saved = n.storage.copy();
            }
            default -> throw new IllegalArgumentException("unknown command " + a[0]);
        }
        String s = out.toString().stripTrailing();
        return s.isEmpty() ? "ok" : s;
    }

    private void print(String s) {
        out.append(s).append('\n');
    }

    private Node node(String id) {
        Node n = nodes.get(Long.parseLong(id));
        if (n == null) throw new IllegalArgumentException("no node " + id);
        return n;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Long> ids(String csv) {
        List<Long> out = new ArrayList<>();
        if (!csv.isEmpty()) for (String s : csv.split(",")) out.add(Long.parseLong(s));
        return out;
    }

    // add-nodes N [voters=1,2,3] [learners=4] [prevote=false] [checkquorum=false] [inflight=2] [maxsize=1]
    private void addNodes(String[] a) {
        int n = Integer.parseInt(a[1]);
        long first = nodes.isEmpty() ? 1 : nodes.lastKey() + 1;
        List<Long> voters = new ArrayList<>();
        for (long i = first; i < first + n; i++) voters.add(i);
        List<Long> learners = List.of();
        boolean preVote = true;
        boolean checkQuorum = true;
        int inflight = 256;
        long maxSize = 1L << 20;
        java.util.EnumSet<Bug> bugs = java.util.EnumSet.noneOf(Bug.class);
        for (int i = 2; i < a.length; i++) {
            String[] kv = a[i].split("=", 2);
            switch (kv[0]) {
                case "voters" -> voters = ids(kv.length > 1 ? kv[1] : "");
                case "learners" -> learners = ids(kv[1]);
                case "prevote" -> preVote = Boolean.parseBoolean(kv[1]);
                case "checkquorum" -> checkQuorum = Boolean.parseBoolean(kv[1]);
                case "inflight" -> inflight = Integer.parseInt(kv[1]);
                case "maxsize" -> maxSize = Long.parseLong(kv[1]);
                case "bugs" -> { for (String b : kv[1].split(",")) bugs.add(Bug.valueOf(b)); }
                default -> throw new IllegalArgumentException("add-nodes: " + a[i]);
            }
        }
        ConfState conf = new ConfState(voters, learners, List.of());
        for (long id = first; id < first + n; id++) {
            RaftConfig cfg = RaftConfig.of(id, new SplittableRandom(seed++)).withElection(10, 1, preVote, checkQuorum)
                    .withFlowControl(inflight, 8L << 20, maxSize).withBugs(bugs);
            nodes.put(id, new Node(id, cfg, new MemoryStorage(conf)));
            print("node " + id + ": " + Fmt.conf(conf));
        }
    }

    private void tick(String[] a) {
        int times = a.length > 2 ? Integer.parseInt(a[2].replace("x", "")) : 1;
        for (int i = 0; i < times; i++) node(a[1]).raft.tick();
    }

    private void tickElection(Node n) {
        for (int i = 0; i < 2 * n.cfg.electionTicks(); i++) {
            Role before = n.raft.status().role();
            n.raft.tick();
            if (n.raft.status().role() != before) return;
        }
    }

    private void tickHeartbeat(String[] a) {
        Node n = node(a[1]);
        for (int i = 0; i < n.cfg.heartbeatTicks(); i++) n.raft.tick();
    }

    // stabilize [quiet]: process readies and deliver messages until nothing moves
    private void stabilize(String[] a) {
        boolean verbose = !(a.length > 1 && a[1].equals("quiet"));
        for (int round = 0; round < 1000; round++) {
            boolean moved = false;
            for (Node n : nodes.values()) moved |= processReady(n, verbose);
            moved |= deliver(0, verbose);
            if (!moved) return;
        }
        throw new IllegalStateException("stabilize did not converge");
    }

    // run N: N rounds of one tick on every live node, then stabilize quietly
    private void runRounds(int rounds) {
        for (int r = 0; r < rounds; r++) {
            for (Node n : nodes.values()) if (!n.down) n.raft.tick();
            stabilize(new String[] {"stabilize", "quiet"});
        }
    }

    boolean processReady(Node n, boolean verbose) {
        if (n.down || !n.raft.hasReady()) return false;
        Ready rd = n.raft.ready();
        if (rd.softState() != null) {
            RaftNode.Status st = n.raft.status();
            print(n.id + " is " + rd.softState().role() + " at term " + st.term() + " (leader " + rd.softState().leader() + ")");
        }
        n.storage.persist(rd);
        if (rd.snapshot() != null) {
            n.applied.clear();
            String data = Fmt.str(rd.snapshot().data());
            if (!data.isEmpty()) n.applied.addAll(Arrays.asList(data.split(",")));
            if (verbose) print(n.id + " restored snapshot " + rd.snapshot().index() + "/" + rd.snapshot().term());
        }
        for (Entry e : rd.committedEntries()) if (e.kind() == Entry.Kind.NORMAL) n.applied.add(Fmt.str(e.data()));
        if (verbose && !rd.committedEntries().isEmpty()) print(n.id + " applies " + Fmt.entries(rd.committedEntries()));
        for (ReadState r : rd.readStates()) print(n.id + " read-state index=" + r.index() + " ctx=" + Fmt.str(r.ctx()));
        network.addAll(rd.messages());
        n.raft.advance(rd);
        return true;
    }

    private boolean deliver(long to, boolean verbose) {
        List<Message> now = new ArrayList<>();
        List<Message> later = new ArrayList<>();
        for (Message m : network) (to == 0 || m.to() == to ? now : later).add(m);
        network.clear();
        network.addAll(later);
        for (Message m : now) {
            Node dst = nodes.get(m.to());
            boolean cut = dst == null || dst.down || cut(m.from(), m.to());
            if (verbose) print(Fmt.msg(m) + (cut ? "  DROPPED" : ""));
            if (cut) continue;
            Message wire = MessageCodec.decode(MessageCodec.encode(m));
            dst.raft.step(wire);
        }
        return !now.isEmpty();
    }

    private void dropMessages(String[] a) {
        long to = a.length > 1 ? Long.parseLong(a[1]) : 0;
        network.removeIf(m -> to == 0 || m.to() == to);
    }

    private boolean cut(long from, long to) {
        Integer gf = group.get(from);
        Integer gt = group.get(to);
        return gf != null && gt != null && !gf.equals(gt);
    }

    // compact ID: the application snapshots its state at its applied index

    // partition 1 | 2 3
    private void partition(String line) {
        group.clear();
        String[] groups = line.substring("partition".length()).split("\\|");
        for (int g = 0; g < groups.length; g++) {
            for (String s : groups[g].trim().split("\\s+")) group.put(Long.parseLong(s), g);
        }
    }

    private void proposeConf(String[] a) {
        ConfChange.Type type = switch (a[2]) {
            case "add-voter" -> ConfChange.Type.ADD_VOTER;
            case "add-learner" -> ConfChange.Type.ADD_LEARNER;
            case "remove" -> ConfChange.Type.REMOVE;
            default -> throw new IllegalArgumentException(a[2]);
        };
        print("proposed at " + node(a[1]).raft.proposeConfChange(new ConfChange(type, Long.parseLong(a[3]))));
    }

    private void compact(String[] a) {
        Node n = node(a[1]);
        long index = n.raft.status().applied();
        n.raft.compact(index, bytes(String.join(",", n.applied)));
        print(n.id + " compacts at " + index);
    }

    private void status(String[] a) {
        if (a.length > 1) print(statusLine(node(a[1])));
        else for (Node n : nodes.values()) print(statusLine(n));
    }

    private String statusLine(Node n) {
        if (n.down) return n.id + ": down";
        RaftNode.Status s = n.raft.status();
        return n.id + ": " + s.role() + " term=" + s.term() + " lead=" + s.lead() + " commit=" + s.commit() + " applied="
                + s.applied() + " log=" + s.firstIndex() + ".." + s.lastIndex() + " " + Fmt.conf(s.conf())
                + (s.damaged() ? " DAMAGED" : "") + (s.votingBlocked() ? " NO-VOTE" : "") + (n.raft.restartHeld() ? " HELD" : "");
    }

    private void log(Node n) {
        MemoryStorage st = n.storage;
        List<String> es = new ArrayList<>();
        for (long i = st.firstIndex(); i <= st.lastIndex(); i++) {
            Entry e = st.entryAt(i);
            es.add(e == null ? i + "@? DAMAGED" : Fmt.entry(e));
        }
        String snap = st.snapshot().index() > 0 ? " (snapshot " + st.snapshot().index() + "/" + st.snapshot().term() + ")" : "";
        print(n.id + ":" + snap + (es.isEmpty() ? " empty" : " " + String.join(" ", es)));
    }

    private void crash(Node n) {
        n.down = true;
        network.removeIf(m -> m.to() == n.id || m.from() == n.id);
    }

    // restart ID [damage=LO-HI]... [lose-hardstate] [from-saved] [hold=N]: a new RaftNode over what was
    // persisted (from-saved: over the copy `save ID` took, a data directory rolled back; hold=N: with
    // the restart hold of N election timeouts, R9)
    private void restart(String[] a) {
        Node n = node(a[1]);
        List<String> notes = new ArrayList<>();
        int hold = 0;
        for (int i = 2; i < a.length; i++) {
            if (a[i].equals("from-saved")) {
                n.storage = n.saved.copy();
                notes.add("rolled back to the saved copy");
            } else if (a[i].startsWith("hold=")) {
                hold = Integer.parseInt(a[i].substring(5));
            } else if (a[i].startsWith("damage=")) {
                String[] r = a[i].substring(7).split("-");
                n.storage.damage(Long.parseLong(r[0]), Long.parseLong(r[r.length - 1]));
                notes.add(a[i]);
            } else if (a[i].startsWith("cut-tail=")) {
                // entries after K lost at rest and taken for a torn tail, the durable commit an older one (at most K)
                long k = Long.parseLong(a[i].substring(9));
                n.storage.truncateTail(k);
                HardState hs = n.storage.hardState();
                if (hs.commit() > k) n.storage.setHardState(new HardState(hs.term(), hs.vote(), k));
                notes.add(a[i]);
            } else if (a[i].equals("lose-hardstate")) {
                n.storage.loseHardState();
                notes.add("hard state lost");
            } else {
                throw new IllegalArgumentException("restart: " + a[i]);
            }
        }
        network.removeIf(m -> m.to() == n.id || m.from() == n.id);
        n.down = false;
        n.applied.clear();
        String snap = Fmt.str(n.storage.snapshot().data());
        if (!snap.isEmpty()) n.applied.addAll(Arrays.asList(snap.split(",")));
        n.raft = new RaftNode(n.cfg.withApplied(0).withRestartHold(hold), n.storage);
        print(n.id + " restarted" + (notes.isEmpty() ? "" : " (" + String.join(", ", notes) + ")") + ": " + statusLine(n));
    }

    Set<Long> ids() {
        return new HashSet<>(nodes.keySet());
    }
}
