package io.weft.engine.jetstream;

import io.weft.engine.jetstream.meta.Assignments;
import io.weft.engine.jetstream.meta.ConsumerAssignment;
import io.weft.engine.jetstream.meta.MetaGroup;
import io.weft.engine.jetstream.meta.MetaOp;
import io.weft.engine.jetstream.meta.Placement;
import io.weft.engine.jetstream.meta.StreamAssignment;
import io.weft.store.Subjects;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The stream catalog of a clustered server: decisions are the meta group's. On the meta leader a
 * create, update or delete is checked against the cluster's assignments (name, subjects, stream
 * count, placement), proposed to the meta log, and answered once the entry is committed and
 * applied here. Every member applies the log ({@link Assignments.Listener}): the server a stream
 * is placed on creates, updates or deletes its local copy, through the same code the single-server
 * catalog uses; the others only know the assignment.
 *
 * <p>A stream with replicas above 1 is opened on each server of its peer group as a replica of
 * its own Raft group ({@link JetStream#openReplicated}), over the meta group's transports, and
 * closed (its files deleted) when the stream is deleted. An update of one bumps its assignment's
 * revision; each replica's member hands the new configuration to its replica
 * ({@link GroupLog#configure}), the stream's leader logs it, and every replica applies it at that
 * point of the stream's log; the meta leader answers once its own replica applied it. A change of
 * the stream's peer group (STREAM.PEER.REMOVE, scaling between replicated sizes, SERVER.REMOVE) is
 * a {@link MetaOp.SetPeers} at the next revision: every member hands the group to its replica
 * ({@link GroupLog#members}), whose leader carries it out by Raft membership changes; a server new
 * to the group opens an empty replica that joins, one left out closes and deletes its own
 * ({@link #leave}). Scaling to or from R1 starts a new group (a new name): the R1 server's
 * stream seeds it ({@link JetStream#replicate}), or the leader's replica, once alone, becomes the
 * single-server stream ({@link JetStream#unreplicate}). Placement changes (moves) are refused. A member
 * that finds, after restoring a snapshot, a local stream the assignments do not list stops
 * serving it and keeps its files (an operator decides; data is never deleted because one member's
 * metadata says so).
 */
final class ClusteredStreamCatalog implements StreamCatalog, Assignments.Listener {
    /** How long a request waits for its entry to commit before answering 10008. */
    static final Duration COMMIT_WAIT = Duration.ofSeconds(5);

    private final JetStream js;
    private final LocalStreamCatalog local;
    private final String uniqueTag;
    /** This server's peer id (known before the meta group starts: a restore at start applies already). */
    private final long self;
    private volatile MetaGroup meta;

    ClusteredStreamCatalog(JetStream js, LocalStreamCatalog local, long self, String uniqueTag) {
        this.js = js;
        this.local = local;
        this.self = self;
        this.uniqueTag = uniqueTag == null ? "" : uniqueTag;
    }

    void meta(MetaGroup m) {
        this.meta = m;
    }

    MetaGroup meta() {
        return meta;
    }

    @Override
    public String streamsDir(String account) {
        return local.streamsDir(account);
    }

    @Override
    public String streamDir(String account, String stream) {
        return local.streamDir(account, stream);
    }

    // ------------------------------------------------------------------ decisions (the meta leader)

    private MetaGroup leader() throws JsApiException {
        MetaGroup m = meta;
        if (m == null || !m.isLeader()) {
            throw JsErrors.CLUSTER_NOT_AVAILABLE.exception();
        }
        return m;
    }

    @Override
    public Change createOrUpdate(JsAccount jsa, String name, StreamConfig req, boolean create) throws JsApiException {
        MetaGroup m = leader();
        String account = jsa.account().name();
        if (!create) {
            req.withDefaults().validate(js.options().maxPayload, true);
        }
        if (!name.equals(req.name())) {
            throw JsErrors.STREAM_MISMATCH.exception();
        }
        StreamConfig.checkName(req.name());
        if (create && req.sealed()) {
            throw JsErrors.invalidConfig("stream configuration for create can not be sealed");
        }
        StreamConfig cfg = req.withDefaults();
        StreamAssignment existing = m.assignments().stream(account, name);
        if (!create && existing == null) {
            throw JsErrors.STREAM_NOT_FOUND.exception();
        }
        cfg.validate(js.options().maxPayload, true);
        String json = new String(js.json(cfg.toJson()), java.nio.charset.StandardCharsets.UTF_8);
        if (create && existing != null) {
            if (!existing.config().equals(json)) {
                throw JsErrors.STREAM_NAME_EXIST.exception();
            }
            return change(m, existing, false);
        }
        checkOverlap(m, account, name, cfg.subjects());
        StreamAssignment sa;
        if (create) {
            JsAccount.Limits lim = jsa.limits();
            if (lim.maxStreams() > 0 && m.assignments().streams(account).size() >= lim.maxStreams()) {
                throw JsErrors.MAXIMUM_STREAMS.exception();
            }
            List<Long> peers = place(m, cfg);
            sa = new StreamAssignment(account, name, json, cfg.subjects(), peers, groupName(cfg, peers.size()),
                    js.env().clock().currentTimeMillis() * 1_000_000L);
        } else {
            StreamConfig before = config(existing);
            cfg.checkUpdate(before);
            boolean scale = before.replicas() != cfg.replicas();
            StreamConfig stored = config(existing.withConfig(json, cfg.subjects())); // placement as the assignment keeps it
            if (stored.placement() != null && !stored.placement().isNull() && !stored.placement().equals(before.placement())) {
                if (scale) {
                    throw JsErrors.STREAM_MOVE_AND_SCALE.exception();
                }
                // nats-server moves the stream to the new placement's peers; moves are not carried yet
                throw JsErrors.STREAM_UPDATE.with("stream move (a placement change) is not supported yet").exception();
            }
            if (scale) {
                List<Long> peers = scaled(m, jsa, existing, cfg);
                // to or from R1 the stream gets a new Raft group (a new name, as nats-server's): replicas
                // of a group it had before, still closing, must never talk to the new one
                String group = before.replicas() == 1 || cfg.replicas() == 1 ? groupName(cfg, peers.size()) : null;
                Assignments.Outcome o = commit(m, new MetaOp.SetPeers(account, name, peers, json, cfg.subjects(),
                        existing.revision(), group));
                StreamAssignment now = m.assignments().stream(account, name);
                if (o == Assignments.Outcome.APPLIED && existing.peers().contains(self) && now != null && mine(now)) {
                    awaitConfig(jsa, now); // a member before and after: answer with what its replica applied
                }
                return switch (o) {
                    case APPLIED, UNCHANGED -> change(m, now, true);
                    case OVERLAP -> throw JsErrors.STREAM_SUBJECT_OVERLAP.exception();
                    case NOT_FOUND -> throw JsErrors.STREAM_NOT_FOUND.exception();
                    case EXISTS, STALE -> throw JsErrors.CLUSTER_NOT_AVAILABLE.exception(); // changed meanwhile: retry
                };
            }
            sa = existing.withConfig(json, cfg.subjects());
        }
        Assignments.Outcome o = commit(m, create ? new MetaOp.AddStream(sa) : new MetaOp.UpdateStream(sa));
        if (create && o == Assignments.Outcome.APPLIED && cfg.replicas() > 1) {
            awaitStreamLeader(jsa, cfg);
        }
        if (!create && o == Assignments.Outcome.APPLIED && cfg.replicas() > 1) {
            awaitConfig(jsa, m.assignments().stream(account, name));
        }
        return switch (o) {
            case APPLIED -> change(m, m.assignments().stream(account, name), true);
            case UNCHANGED -> change(m, m.assignments().stream(account, name), false);
            case EXISTS -> throw JsErrors.STREAM_NAME_EXIST.exception();
            case OVERLAP -> throw JsErrors.STREAM_SUBJECT_OVERLAP.exception();
            case NOT_FOUND -> throw JsErrors.STREAM_NOT_FOUND.exception();
            case STALE -> throw JsErrors.CLUSTER_NOT_AVAILABLE.exception();
        };
    }

    /**
     * The peer group of a replicated stream scaled to {@code cfg.replicas()}: down, the stream's
     * leader stays (as nats-server keeps it) with the first others of the current group; up, the
     * current group and as many more placed by the stream's placement (10005 when none fit).
     */
    private List<Long> scaled(MetaGroup m, JsAccount jsa, StreamAssignment sa, StreamConfig cfg) throws JsApiException {
        List<Long> now = sa.peers();
        int want = cfg.replicas();
        if (want < now.size()) {
            long leader = leaderOf(m, jsa, sa);
            List<Long> out = new ArrayList<>();
            if (now.contains(leader)) {
                out.add(leader);
            }
            for (long p : now) {
                if (out.size() < want && !out.contains(p)) {
                    out.add(p);
                }
            }
            return out;
        }
        List<Long> out = new ArrayList<>(now);
        out.addAll(placeMore(m, cfg, now, now, want - now.size()));
        return out;
    }

    /**
     * The stream's leader: as this server's replica knows it, else as the leader itself answers a
     * STREAM.INFO (its {@code cluster.leader}, over the routes; at most a second), else the
     * assignment's preferred one.
     */
    private long leaderOf(MetaGroup m, JsAccount jsa, StreamAssignment sa) {
        Stream here = jsa.stream(sa.name());
        if (here != null && here.replicated() && here.group().leader() != 0) {
            return here.group().leader();
        }
        io.weft.engine.server.Account a = jsa.account();
        java.util.concurrent.CompletableFuture<byte[]> answer = new java.util.concurrent.CompletableFuture<>();
        String inbox = "_INBOX.weft.scale." + JsIds.random(js.env().entropy(), 12);
        var sub = a.subscribe(inbox, null, (subject, reply, data, off, hdr, total) ->
                answer.complete(java.util.Arrays.copyOfRange(data, off + hdr, off + total)));
        try {
            a.publish("$JS.API.STREAM.INFO." + sa.name(), inbox, null, new byte[0]);
            byte[] got = m.await(answer, Duration.ofSeconds(1));
            if (got != null) {
                String name = js.readJson(got).path("cluster").path("leader").asText("");
                if (!name.isEmpty() && sa.peers().contains(io.weft.engine.cluster.PeerIds.of(name))) {
                    return io.weft.engine.cluster.PeerIds.of(name);
                }
            }
        } catch (MetaGroup.NotApplied | JsApiException | RuntimeException e) {
            // no answer: the preferred peer
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            a.unsubscribe(sub);
        }
        return sa.peers().getFirst();
    }

    /** {@code n} more peers for a stream by its placement, none of {@code exclude} (10005 when they do not fit). */
    private List<Long> placeMore(MetaGroup m, StreamConfig cfg, List<Long> exclude, List<Long> staying, int n)
            throws JsApiException {
        Placement.Result r = placeAmong(m, cfg, exclude, staying, n);
        return switch (r) {
            case Placement.Placed p -> p.peers();
            case Placement.Failed f -> throw JsErrors.CLUSTER_NO_PEERS.with(f.description()).exception();
        };
    }

    /**
     * Places {@code n} peers by {@code cfg}'s placement among the known servers not in
     * {@code exclude}; with {@code unique_tag}, none shares a value with the servers of
     * {@code staying} (the members that keep their place), as at creation among the new ones.
     */
    private Placement.Result placeAmong(MetaGroup m, StreamConfig cfg, List<Long> exclude, List<Long> staying, int n) {
        String cluster = m.cluster();
        List<String> tags = List.of();
        if (cfg.placement() != null && cfg.placement().isObject()) {
            String c = cfg.placement().path("cluster").asText("");
            if (!c.isEmpty()) {
                cluster = c;
            }
            List<String> t = new ArrayList<>();
            cfg.placement().path("tags").forEach(x -> t.add(x.asText()));
            tags = t;
        }
        List<Placement.Candidate> candidates = new ArrayList<>();
        List<Placement.Candidate> stay = new ArrayList<>();
        for (Placement.Candidate c : m.candidates()) {
            if (!exclude.contains(c.peer())) {
                candidates.add(c);
            }
            if (staying.contains(c.peer())) {
                stay.add(c);
            }
        }
        return Placement.select(new Placement.Request(n, cluster, tags, uniqueTag, stay), candidates,
                m.assignments().load(), js.env().entropy());
    }

    /**
     * {@code STREAM.PEER.REMOVE}: replaces {@code peer} (a server name or peer id) in the stream's
     * group by a server its placement picks among the others, committed in the meta log as the
     * assignment's next revision. The group's leader then carries the change out
     * ({@link GroupLog#members}); the removed server closes its replica and deletes its files, the
     * new one joins with an empty replica that catches up. 10059 for an unknown stream, 10040 when
     * the peer is not a member, 10075 when no server can replace it.
     */
    void removePeer(JsAccount jsa, String name, String peer) throws JsApiException {
        MetaGroup m = leader();
        String account = jsa.account().name();
        StreamAssignment sa = m.assignments().stream(account, name);
        if (sa == null) {
            throw JsErrors.STREAM_NOT_FOUND.exception();
        }
        long victim = 0;
        for (long p : sa.peers()) {
            if (m.nameOf(p).equals(peer) || io.weft.engine.cluster.PeerIds.hex(p).equalsIgnoreCase(peer)) {
                victim = p;
            }
        }
        if (victim == 0) {
            throw JsErrors.CLUSTER_PEER_NOT_MEMBER.exception();
        }
        replace(m, sa, victim);
    }

    /** Commits {@code sa}'s peer group with {@code victim} replaced by a placed server (10075 when none fits, or R1). */
    private void replace(MetaGroup m, StreamAssignment sa, long victim) throws JsApiException {
        String account = sa.account();
        String name = sa.name();
        StreamConfig cfg = config(sa);
        if (sa.peers().size() < 2) {
            throw JsErrors.PEER_REMAP.exception(); // an R1 stream has no group to move through
        }
        List<Long> staying = new ArrayList<>(sa.peers());
        staying.remove(victim);
        if (!(placeAmong(m, cfg, sa.peers(), staying, 1) instanceof Placement.Placed placed)) {
            throw JsErrors.PEER_REMAP.exception();
        }
        List<Long> peers = new ArrayList<>(sa.peers());
        peers.set(peers.indexOf(victim), placed.peers().getFirst());
        Assignments.Outcome o = commit(m, new MetaOp.SetPeers(account, name, peers, null, null, sa.revision()));
        switch (o) {
            case APPLIED, UNCHANGED -> js.log().notice("JetStream stream '" + account + " > " + name + "': peer "
                    + m.nameOf(victim) + " replaced by " + m.nameOf(placed.peers().getFirst()));
            case NOT_FOUND -> throw JsErrors.STREAM_NOT_FOUND.exception();
            default -> throw JsErrors.PEER_REMAP.exception();
        }
    }

    /**
     * {@code SERVER.REMOVE}: every replicated stream on {@code victim} gets a placed replacement
     * (as {@link #removePeer}; while the server is still a member, so it hears of it and closes
     * its replicas), then the server leaves the meta group by a Raft membership change, and this
     * returns once that is committed. A stream that cannot be moved (R1, or no server fits) stays
     * and is logged. 10044 when {@code victim} is not a member.
     */
    void removeServer(long victim) throws JsApiException {
        MetaGroup m = leader();
        if (!m.voters().contains(victim)) {
            throw JsErrors.CLUSTER_SERVER_NOT_MEMBER.exception();
        }
        for (StreamAssignment sa : m.assignments().allStreams()) {
            if (!sa.peers().contains(victim)) {
                continue;
            }
            try {
                replace(m, sa, victim);
            } catch (JsApiException e) {
                js.log().warn("JetStream stream '" + sa.account() + " > " + sa.name() + "' stays on removed server "
                        + m.nameOf(victim) + ": " + e.error().description());
            }
        }
        try {
            if (!m.removeMember(victim, COMMIT_WAIT)) {
                throw JsErrors.CLUSTER_NOT_AVAILABLE.exception();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JsErrors.CLUSTER_NOT_AVAILABLE.exception();
        }
        js.log().notice("JetStream server " + m.nameOf(victim) + " removed from the meta group");
    }

    private static void checkOverlap(MetaGroup m, String account, String name, List<String> subjects)
            throws JsApiException {
        for (StreamAssignment other : m.assignments().streams(account)) {
            if (other.name().equals(name)) {
                continue;
            }
            for (String a : other.subjects()) {
                for (String b : subjects) {
                    if (Subjects.tokensOverlap(a, b)) {
                        throw JsErrors.STREAM_SUBJECT_OVERLAP.exception();
                    }
                }
            }
        }
    }

    /** The peer group of a new stream (nats-server's placement), or 10005 with its text. */
    private List<Long> place(MetaGroup m, StreamConfig cfg) throws JsApiException {
        return placeMore(m, cfg, List.of(), List.of(), cfg.replicas());
    }

    /** nats-server's group names: {@code S-R<n><F|M>-<8 random characters>}. */
    private String groupName(StreamConfig cfg, int replicas) {
        return "S-R" + replicas + (cfg.memoryStorage() ? "M" : "F") + "-" + JsIds.random(js.env().entropy(), 8);
    }

    /**
     * After a replicated stream's creation is committed: waits (at most {@link #COMMIT_WAIT}) until
     * this server sees a subscription on the stream's first subject, which only the group's leader
     * holds, as nats-server answers a create only once the stream has a leader. A client that
     * publishes as soon as its create (or its KV bucket) is answered then finds the leader: the
     * leader's interest reached this server one route hop ago and reaches the client's server as
     * directly. Answers anyway when the time is up (the group elects later; a publish meanwhile
     * times out as with nats-server).
     */
    private void awaitStreamLeader(JsAccount jsa, StreamConfig cfg) {
        if (cfg.subjects().isEmpty()) {
            return;
        }
        String probe = literal(cfg.subjects().getFirst());
        io.weft.net.Clock clock = js.env().clock();
        long deadline = clock.nanoTime() + COMMIT_WAIT.toNanos();
        try {
            while (!jsa.account().hasInterest(probe) && clock.nanoTime() < deadline) {
                clock.sleep(Duration.ofMillis(10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * After a replicated stream's update is committed: waits (at most {@link #COMMIT_WAIT}) until
     * this server's replica applied the configuration of {@code sa}'s revision (its leader logs it
     * once its member applied the update), so the answer shows the configuration every replica now
     * has; 10008 if the group did not get there in time (no leader, no quorum). A meta leader that
     * holds no replica answers with the assignment's configuration.
     */
    private void awaitConfig(JsAccount jsa, StreamAssignment sa) throws JsApiException {
        Stream here = sa == null ? null : jsa.stream(sa.name());
        if (here == null || !here.replicated() || !mine(sa)) {
            return;
        }
        io.weft.net.Clock clock = js.env().clock();
        long deadline = clock.nanoTime() + COMMIT_WAIT.toNanos();
        try {
            while (here.group().replica().configRevision() < sa.revision()) {
                if (clock.nanoTime() >= deadline) {
                    throw JsErrors.CLUSTER_NOT_AVAILABLE.exception();
                }
                clock.sleep(Duration.ofMillis(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JsErrors.CLUSTER_NOT_AVAILABLE.exception();
        }
    }

    /** A literal subject that {@code pattern} matches (each wildcard token replaced by one token). */
    static String literal(String pattern) {
        StringBuilder b = new StringBuilder();
        for (String t : pattern.split("\\.", -1)) {
            if (b.length() > 0) {
                b.append('.');
            }
            b.append(t.equals(Subjects.PWC) || t.equals(Subjects.FWC) ? "_" : t);
        }
        return b.toString();
    }

    private Assignments.Outcome commit(MetaGroup m, MetaOp op) throws JsApiException {
        try {
            Assignments.Outcome o = m.await(m.propose(op), COMMIT_WAIT);
            if (o == null) {
                throw JsErrors.CLUSTER_NOT_AVAILABLE.exception(); // not committed in time; a retry is idempotent
            }
            return o;
        } catch (MetaGroup.NotApplied e) {
            throw JsErrors.CLUSTER_NOT_AVAILABLE.exception();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JsErrors.CLUSTER_NOT_AVAILABLE.exception();
        }
    }

    private Change change(MetaGroup m, StreamAssignment sa, boolean changed) throws JsApiException {
        JsAccount jsa = js.account(sa.account());
        Stream here = jsa == null ? null : jsa.stream(sa.name());
        if (here != null && sa.peers().contains(m.self())) {
            return new Change(here, null, changed);
        }
        return new Change(null, placed(m, sa), changed);
    }

    private Placed placed(MetaGroup m, StreamAssignment sa) throws JsApiException {
        return new Placed(config(sa), sa.createdNanos(), m.nameOf(sa.peers().getFirst()));
    }

    private StreamConfig config(StreamAssignment sa) throws JsApiException {
        try {
            return StreamConfig.parse(js.mapper().readTree(sa.config())).withDefaults();
        } catch (IOException e) {
            throw JsErrors.STREAM_GENERAL.with("stream assignment unreadable: " + e.getMessage()).exception();
        }
    }

    @Override
    public void delete(JsAccount jsa, String name) throws JsApiException {
        MetaGroup m = leader();
        if (m.assignments().stream(jsa.account().name(), name) == null) {
            throw JsErrors.STREAM_NOT_FOUND.exception();
        }
        if (commit(m, new MetaOp.DeleteStream(jsa.account().name(), name)) == Assignments.Outcome.NOT_FOUND) {
            throw JsErrors.STREAM_NOT_FOUND.exception();
        }
    }

    @Override
    public List<Stream> list(JsAccount jsa, String subject) {
        MetaGroup m = meta;
        List<Stream> out = new ArrayList<>();
        for (Stream s : local.list(jsa, subject)) {
            if (m == null || isAssignedHere(m, jsa.account().name(), s.name())) {
                out.add(s);
            }
        }
        return out;
    }

    @Override
    public List<Placed> elsewhere(JsAccount jsa, String subject) {
        MetaGroup m = meta;
        List<Placed> out = new ArrayList<>();
        if (m == null) {
            return out;
        }
        for (StreamAssignment sa : m.assignments().streams(jsa.account().name())) {
            if (sa.peers().contains(m.self()) && jsa.stream(sa.name()) != null) {
                continue; // listed as a local stream
            }
            if (!subject.isEmpty() && sa.subjects().stream().noneMatch(x -> Subjects.tokensOverlap(x, subject))) {
                continue;
            }
            try {
                out.add(placed(m, sa));
            } catch (JsApiException e) {
                js.log().error("JetStream stream assignment '" + sa.account() + " > " + sa.name() + "' unreadable");
            }
        }
        return out;
    }

    private static boolean isAssignedHere(MetaGroup m, String account, String stream) {
        StreamAssignment sa = m.assignments().stream(account, stream);
        return sa != null && sa.peers().contains(m.self());
    }

    /** True if the stream exists in the cluster (assigned anywhere). */
    boolean assigned(String account, String stream) {
        MetaGroup m = meta;
        return m != null && m.assignments().stream(account, stream) != null;
    }

    // ------------------------------------------------------------------ applying (every member)

    private boolean mine(StreamAssignment sa) {
        return sa.peers().contains(self);
    }

    @Override
    public void streamAdded(StreamAssignment sa) {
        if (!mine(sa)) {
            return;
        }
        JsAccount jsa = js.account(sa.account());
        String label = "'" + sa.account() + " > " + sa.name() + "'";
        if (jsa == null) {
            js.log().error("JetStream stream " + label + " is assigned to this server, but its account has no JetStream here");
            return;
        }
        try {
            StreamConfig cfg = config(sa);
            Stream existing = jsa.stream(sa.name());
            if (cfg.replicas() > 1) {
                if (existing != null) {
                    if (!existing.replicated()) {
                        js.log().error("JetStream stream " + label + " is assigned here as replicated, but a "
                                + "single-server stream of that name is open; not opened");
                    } else {
                        existing.group().configure(sa.revision(), cfg); // a restored snapshot may be newer
                        existing.group().members(sa.peers());
                    }
                    return; // open already (a replayed meta log or a restored snapshot)
                }
                JetStream.Replica where = js.replicaFor(sa.group(), sa.peers(), self);
                // after its creation (revision 0) a group runs without this replica: a fresh one joins it
                Stream opened = js.openReplicated(sa.account(), cfg, sa.createdNanos(),
                        sa.revision() > 0 ? where.joining() : where);
                opened.group().configure(sa.revision(), cfg);
                opened.group().members(sa.peers());
                return;
            }
            if (existing != null) {
                if (!existing.config().equals(cfg)) {
                    local.update(jsa, existing, cfg); // replayed log of a stream recovered from disk
                }
                return;
            }
            jsa.reserve(cfg, null);
            try {
                local.createStream(jsa, cfg, sa.createdNanos());
            } finally {
                jsa.settle(cfg, null);
            }
        } catch (JsApiException e) {
            js.log().error("JetStream stream " + label + " could not be created here: " + e.error().description());
        } catch (IOException | RuntimeException e) {
            js.log().error("JetStream stream " + label + " could not be created here: " + e.getMessage());
        }
    }

    @Override
    public void streamUpdated(StreamAssignment before, StreamAssignment after) {
        try {
            updateHere(before, after);
        } catch (RuntimeException e) {
            // the meta log goes on whatever one member's copy does; the operator hears of it
            js.log().error("JetStream stream '" + after.account() + " > " + after.name() + "' could not be updated here: " + e);
        }
    }

    private void updateHere(StreamAssignment before, StreamAssignment after) {
        if (!mine(after)) {
            leave(after);
            return;
        }
        JsAccount jsa = js.account(after.account());
        Stream s = jsa == null ? null : jsa.stream(after.name());
        if (s == null) {
            streamAdded(after);
            return;
        }
        try {
            StreamConfig cfg = config(after);
            if (s.replicated() && cfg.replicas() > 1 && !s.replication().group().equals(after.group())) {
                // scaled up from R1 into a new group while this server still runs a replica of an older
                // one (its R1 copy not yet single-server, or an old group reopened as the meta log replays)
                if (before.peers().equals(List.of(self))) {
                    replicate(jsa, s, after, cfg); // the R1 copy was this one: its state seeds the new group
                } else {
                    String oldGroup = s.replication().group();
                    js.closeReplica(after.account(), after.name(), false);
                    if (s.dir() != null) {
                        js.dropRaftState(s.dir(), oldGroup);
                    }
                    streamAdded(after);
                }
                return;
            }
            if (s.replicated()) {
                // the replica's leader logs it; every replica applies it at that point of the stream's log
                s.group().configure(after.revision(), cfg);
                s.group().members(after.peers());
                if (cfg.replicas() == 1 && after.peers().size() == 1) {
                    // scaled down to R1, this server's copy kept: once its replica leads alone, it becomes single-server
                    unreplicateWhenAlone(after, s, false);
                }
                return;
            }
            if (cfg.replicas() > 1 && config(before).replicas() == 1) {
                replicate(jsa, s, after, cfg);
                return;
            }
            local.update(jsa, s, cfg);
        } catch (JsApiException e) {
            js.log().error("JetStream stream '" + after.account() + " > " + after.name() + "' could not be updated here: "
                    + e.error().description());
        } catch (IOException e) {
            js.log().error("JetStream stream '" + after.account() + " > " + after.name() + "' could not be updated here: "
                    + e.getMessage());
        }
    }

    /**
     * Scaling up from R1 on the server that holds the stream: its single-server stream becomes the
     * first replica of the stream's group, seeded with everything it holds
     * ({@link JetStream#replicate}); as the group's only voter it leads at once and adds the new
     * members one at a time ({@link GroupLog#members}); they catch up from the seed snapshot.
     */
    private void replicate(JsAccount jsa, Stream s, StreamAssignment after, StreamConfig cfg) {
        String label = "'" + after.account() + " > " + after.name() + "'";
        try {
            Stream opened = js.replicate(jsa, s, cfg, after.revision(), js.replicaFor(after.group(), List.of(self), self));
            opened.group().configure(after.revision(), cfg);
            opened.group().members(after.peers());
        } catch (JsApiException e) {
            js.log().error("JetStream stream " + label + " could not become replicated here: " + e.error().description());
        } catch (IOException | RuntimeException e) {
            js.log().error("JetStream stream " + label + " could not become replicated here: " + e);
        }
    }

    /**
     * Scaling down to R1 on the server kept: waits until its replica leads, has applied the
     * assignment's configuration and is the group's only member (its leader removed the others;
     * everything the group acknowledged is then applied here), then turns it into a single-server
     * stream ({@link JetStream#unreplicate}). Polls every 50 ms while the assignment stays as it is.
     */
    private void unreplicateWhenAlone(StreamAssignment after, Stream s, boolean warned) {
        JsAccount jsa = js.account(after.account());
        if (jsa == null || jsa.stream(after.name()) != s || meta == null
                || meta.assignments().stream(after.account(), after.name()) == null
                || meta.assignments().stream(after.account(), after.name()).revision() != after.revision()) {
            return; // closed, replaced or changed again meanwhile
        }
        GroupLog g = s.group();
        if (!g.ready() || g.leader() != g.id() || g.replica().configRevision() < after.revision()) {
            js.env().clock().schedule(Duration.ofMillis(50), () -> unreplicateWhenAlone(after, s, warned));
            return;
        }
        g.clusterView().whenComplete((v, x) -> js.env().clock().schedule(Duration.ZERO, () -> {
            if (x != null || v == null || !v.members().isEmpty()) {
                js.env().clock().schedule(Duration.ofMillis(50), () -> unreplicateWhenAlone(after, s, warned));
                return;
            }
            JsAccount a = js.account(after.account());
            StreamAssignment now = meta.assignments().stream(after.account(), after.name());
            if (a == null || a.stream(after.name()) != s || now == null || now.revision() != after.revision()) {
                return;
            }
            try {
                js.unreplicate(a, s, config(after));
            } catch (JsApiException e) {
                js.log().error("JetStream stream '" + after.account() + " > " + after.name()
                        + "' could not become single-server here: " + e.error().description());
            } catch (IOException | RuntimeException e) {
                js.log().error("JetStream stream '" + after.account() + " > " + after.name()
                        + "' could not become single-server here: " + e);
            }
        }));
    }

    /** How long a removed replica that leads waits for its group to take leadership over before it closes anyway. */
    static final Duration LEAVE_WAIT = Duration.ofSeconds(10);

    /**
     * This server's replica of a stream whose new peer group left this server out: a follower
     * closes it at once and deletes its files (the group goes on as after a crash of it, and its
     * leader removes it from the membership); a leader first hands leadership to a member of the
     * new group ({@link GroupLog#members}) and closes once it no longer leads (after
     * {@link #LEAVE_WAIT} anyway).
     */
    private void leave(StreamAssignment after) {
        JsAccount jsa = js.account(after.account());
        Stream s = jsa == null ? null : jsa.stream(after.name());
        if (s == null || !s.replicated()) {
            return;
        }
        s.group().members(after.peers());
        long deadline = js.env().clock().nanoTime() + LEAVE_WAIT.toNanos();
        closeOnceFollowing(after, s, deadline);
    }

    private void closeOnceFollowing(StreamAssignment after, Stream s, long deadline) {
        GroupLog g = s.group();
        // scaled down to R1: a follower left out stays until the kept replica removed it (the kept
        // one needs a quorum for each removal), which it sees as losing its leader
        boolean toOne = after.peers().size() == 1;
        boolean wait = g.leader() == g.id() || (toOne && g.leader() != 0);
        if (wait && js.env().clock().nanoTime() < deadline) {
            js.env().clock().schedule(Duration.ofMillis(50), () -> closeOnceFollowing(after, s, deadline));
            return;
        }
        JsAccount jsa = js.account(after.account());
        if (jsa == null || jsa.stream(after.name()) != s) {
            return; // closed or replaced meanwhile
        }
        StreamAssignment now = meta == null ? null : meta.assignments().stream(after.account(), after.name());
        if (now != null && mine(now)) {
            return; // assigned here again meanwhile
        }
        try {
            js.closeReplica(after.account(), after.name(), true);
            js.log().notice("JetStream stream '" + after.account() + " > " + after.name()
                    + "' is no longer assigned to this server: replica closed and its files deleted");
        } catch (IOException | RuntimeException e) {
            js.log().error("JetStream stream '" + after.account() + " > " + after.name()
                    + "' replica closed, its files not all deleted: " + e.getMessage());
        }
    }

    @Override
    public void streamRemoved(StreamAssignment sa) {
        try {
            removeHere(sa);
        } catch (RuntimeException e) {
            js.log().error("JetStream stream '" + sa.account() + " > " + sa.name() + "' could not be deleted here: " + e);
        }
    }

    private void removeHere(StreamAssignment sa) {
        JsAccount jsa = js.account(sa.account());
        if (jsa == null || !mine(sa) || jsa.stream(sa.name()) == null) {
            return;
        }
        if (jsa.stream(sa.name()).replicated()) {
            try {
                js.closeReplica(sa.account(), sa.name(), true);
            } catch (java.io.IOException e) {
                js.log().error("JetStream stream '" + sa.account() + " > " + sa.name()
                        + "' replica closed, its files not all deleted: " + e.getMessage());
            }
            return;
        }
        try {
            local.delete(jsa, sa.name());
        } catch (JsApiException e) {
            js.log().error("JetStream stream '" + sa.account() + " > " + sa.name() + "' could not be deleted here: "
                    + e.error().description());
        }
    }

    @Override
    public void consumerAdded(ConsumerAssignment ca) {
        // consumers are still created by the server holding their stream (its ConsumerManager)
    }

    @Override
    public void restored(Assignments now) {
        try {
            reconcile(now);
        } catch (RuntimeException e) {
            js.log().error("JetStream could not reconcile its streams with the restored meta snapshot: " + e);
        }
    }

    private void reconcile(Assignments now) {
        Set<String> assigned = new TreeSet<>();
        for (StreamAssignment sa : now.allStreams()) {
            if (mine(sa)) {
                assigned.add(sa.account() + "\u0000" + sa.name());
                streamAdded(sa);
            }
        }
        for (JsAccount jsa : js.accounts()) {
            for (Stream s : jsa.streams()) {
                if (!assigned.contains(jsa.account().name() + "\u0000" + s.name())) {
                    js.log().warn("JetStream stream '" + jsa.account().name() + " > " + s.name()
                            + "' is not assigned to this server by the meta group; not served, its files are kept");
                    jsa.remove(s);
                    try {
                        s.stop(false);
                    } finally {
                        jsa.release(s);
                    }
                }
            }
        }
    }
}
