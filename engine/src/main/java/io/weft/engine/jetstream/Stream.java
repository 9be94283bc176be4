package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.ServerLog;
import io.weft.engine.protocol.Headers;
import io.weft.engine.server.Account;
import io.weft.engine.server.Deliveries;
import io.weft.engine.server.InternalSubscription;
import io.weft.net.Clock;
import io.weft.net.Env;
import io.weft.store.MessageStore;
import io.weft.store.StoreState;
import io.weft.store.StoredMessage;
import io.weft.store.SubjectState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One stream: its config, its store, the internal subscription that feeds it, and the ingest
 * thread that turns published messages into stored ones.
 *
 * <p>Publish path: the subscription handler copies each message into the ingest queue (never
 * blocking the publisher). The ingest thread takes everything queued and, message by message,
 * lets {@link PublishRules#decide} pick what to do (dedupe, expectations, rollup, limits: an
 * {@link StreamOp.Append} at the next sequence, or a refusal) and appends the op to the stream's
 * {@link StreamLog}, whose apply step ({@link StreamApply}) stores it; then the log makes the
 * batch durable with one commit (group commit) and only then are the PubAcks sent, republishes
 * published and consumers signalled.
 *
 * <p>Every write of the store is an op through the same log: publishes, {@code first_seq}, purges,
 * deletes, max_age expiry, limits after a config update, and the removals of work-queue and
 * interest retention. This class decides; it never writes the store itself (reads go to
 * {@link #store} directly, under {@link #lock}).
 */
public final class Stream implements ConsumerSource {
    /** Bytes the ingest queue may hold before new publishes are refused (never block a publisher). */
    static final long MAX_QUEUED_BYTES = 256L * 1024 * 1024;
    private static final byte[] EMPTY = new byte[0];

    private final JetStream js;
    private final JsAccount jsa;
    private final String name;
    private final String dir;
    /** Read only here: every write goes through {@link #log} to {@link StreamApply}; null when replicated. */
    private final MessageStore localStore;
    /** The apply step of a local stream; null when replicated (the replica has its own). */
    private final StreamApply apply;
    private final StreamLog log;
    /** The Raft group's log when the stream is replicated, else null. */
    private final GroupLog group;
    /** How the replicated stream names its members in {@code cluster} (null when local). */
    private final Replication replication;
    private final long createdNanos;
    private volatile StreamConfig config;
    private volatile SubjectTransformer transform;
    private volatile SubjectTransformer republisher;

    /** The atomic batches being staged (allow_atomic). */
    private final AtomicBatches atomic;

    /** Guards stream state: the log and its apply step, consumers' registration (the group's lock when replicated). */
    private final ReentrantLock lock;
    /** Serializes subscribing and unsubscribing when leadership changes (replicated streams). */
    private final ReentrantLock subsLock = new ReentrantLock();
    private final ConcurrentSkipListMap<String, StreamConsumer> consumers = new ConcurrentSkipListMap<>();
    private final Map<String, String[]> consumerFilters = new ConcurrentSkipListMap<>();
    private volatile long lastDeliverable;

    private final ReentrantLock queueLock = new ReentrantLock();
    private final Condition queued = queueLock.newCondition();
    private final ArrayDeque<Inbound> queue = new ArrayDeque<>();
    private long queuedBytes;
    private boolean stopping;
    private Thread ingest;
    private final List<InternalSubscription> subs = new ArrayList<>();
    private final List<InternalSubscription> directSubs = new ArrayList<>();
    private Clock.Cancellable ageTimer;
    private long ageTimerAt;
    private Clock.Cancellable ttlTimer;
    private long ttlTimerAt;
    /** The message schedules' timer (ADR-51) and when it fires. */
    private Clock.Cancellable scheduleTimer;
    private long scheduleTimerAt;
    private Clock.Cancellable syncTimer;
    private volatile boolean dirty;
    /** The last write or sync failure, until a batch is stored again (for /healthz); null when fine. */
    private volatile String writeError;

    /**
     * A published message waiting for the stream's thread: {@code scheduler}, the subject of the
     * schedule that published it (ADR-51), else null; {@code trace} when it is traced (null mostly).
     */
    private record Inbound(String subject, String reply, byte[] hdr, byte[] data, String scheduler,
                           io.weft.engine.server.MsgTrace trace) {
        Inbound(String subject, String reply, byte[] hdr, byte[] data, String scheduler) {
            this(subject, reply, hdr, data, scheduler, null);
        }

        Inbound(String subject, String reply, byte[] hdr, byte[] data) {
            this(subject, reply, hdr, data, null, null);
        }

        long size() {
            return subject.length() + hdr.length + data.length + 64L;
        }
    }

    /** One reply or republish to send once the batch is durable. */
    private record Outgoing(String subject, byte[] headers, byte[] payload) {
    }

    Stream(JetStream js, JsAccount jsa, StreamConfig cfg, long createdNanos, String dir, MessageStore store) {
        this.js = js;
        this.jsa = jsa;
        this.name = cfg.name();
        this.config = cfg;
        this.createdNanos = createdNanos;
        this.dir = dir;
        this.localStore = store;
        this.group = null;
        this.replication = null;
        this.lock = new ReentrantLock();
        String label = "'" + jsa.account().name() + " > " + name + "'";
        this.apply = new StreamApply(store, e -> js.log().error("JetStream stream " + label + " " + e));
        this.atomic = new AtomicBatches(js.env().clock(), js.atomicInflight(), js::batchLimits);
        this.log = new LocalStreamLog(apply);
        applyTransforms(cfg);
        this.lastDeliverable = store().state().lastSeq();
        store().onCorruption(c -> js.log().error(JetStream.damageLine(label, c) + " (found by a read)"));
    }

    /**
     * How a replicated stream shows its group: the group's name, the cluster's name and each peer id's server name
     * ({@code serverNames} may answer null for a peer it does not know).
     */
    record Replication(String group, String clusterName, java.util.function.LongFunction<String> serverNames) {
    }

    /**
     * A stream replicated by {@code group}: its store is the group replica's, written only by
     * applying committed ops; this replica subscribes to the subjects only while it leads.
     */
    Stream(JetStream js, JsAccount jsa, StreamConfig cfg, long createdNanos, String dir, GroupLog group,
           Replication replication) {
        this.js = js;
        this.jsa = jsa;
        this.name = cfg.name();
        this.config = cfg;
        this.createdNanos = createdNanos;
        this.dir = dir;
        this.localStore = null;
        this.apply = null;
        this.group = group;
        this.log = group;
        this.replication = replication;
        this.lock = group.lock();
        this.atomic = new AtomicBatches(js.env().clock(), js.atomicInflight(), js::batchLimits);
        applyTransforms(cfg);
        group.replica().interest(this::interested);
    }

    /** The apply step's derived state: a local stream's, or the group replica's current one (caller holds the lock). */
    private StreamApply applier() {
        return group == null ? apply : group.replica().applied();
    }

    /** True when a Raft group replicates this stream. */
    boolean replicated() {
        return group != null;
    }

    /** The group's log (null for a local stream). */
    GroupLog group() {
        return group;
    }

    Replication replication() {
        return replication;
    }

    /** The server name of the stream's leader as this replica knows it ({@code local} for a local stream; "" if none known). */
    String leaderName(String local) {
        if (group == null) {
            return local;
        }
        long l = group.leader();
        if (l == 0) {
            return "";
        }
        String n = replication.serverNames() == null ? null : replication.serverNames().apply(l);
        return n == null ? io.weft.engine.cluster.PeerIds.hex(l) : n;
    }

    /** True for a local stream, or when this replica leads its group (and may answer for the stream). */
    boolean leading() {
        return group == null || group.ready();
    }

    private void applyTransforms(StreamConfig cfg) {
        transform = cfg.subjectTransform() == null ? null
                : SubjectTransformer.of(cfg.subjectTransform().src(), cfg.subjectTransform().dest());
        republisher = cfg.republish() == null ? null
                : SubjectTransformer.of(cfg.republish().src(), cfg.republish().dest());
    }

    // ------------------------------------------------------------------ lifecycle

    /** Applies first_seq, subscribes to the subjects and starts the ingest thread. */
    void start() throws IOException {
        StreamConfig cfg = config;
        if (group != null) {
            group.onReadyChanged(this::leadershipChanged);
            group.onConfigApplied(this::configApplied);
            configApplied(); // the replica's log may hold another configuration than the one it was opened with
            group.onFailed(why -> log().error("JetStream stream '" + jsa.account().name() + " > " + name
                    + "': its Raft replica stopped, " + why + "; it takes no part in the group until the server restarts"));
            leadershipChanged();
            return;
        }
        lock.lock();
        try {
            if (cfg.firstSeq() > 0 && store().state().lastSeq() == 0) {
                log.append(new StreamOp.SkipTo(cfg.firstSeq()));
                lastDeliverable = store().state().lastSeq();
            }
            removeIncompleteBatch();
        } finally {
            lock.unlock();
        }
        rebuildDedupe(cfg);
        subscribe(cfg);
        ingest = env().spawner().spawn("stream-" + jsa.account().name() + "-" + name, this::ingestLoop);
        scheduleSync();
        lock.lock();
        try {
            scheduleAgeCheckLocked();
        } finally {
            lock.unlock();
        }
    }

    /** At start: the start of an atomic batch a crash cut short is removed (never acknowledged; caller holds the lock). */
    private void removeIncompleteBatch() {
        try {
            removeIncompleteBatchOrThrow();
        } catch (IOException | RuntimeException e) {
            log().warn("JetStream stream '" + jsa.account().name() + " > " + name + "': could not check its last atomic "
                    + "batch: " + e.getMessage());
        }
    }

    private void removeIncompleteBatchOrThrow() throws IOException {
        List<Long> torn = AtomicBatches.incompleteTail(store());
        if (torn.isEmpty()) {
            return;
        }
        log.begin();
        try {
            for (long seq : torn) {
                log.append(new StreamOp.Delete(seq, false));
            }
            log.commit();
        } catch (IOException | RuntimeException e) {
            log.rollback();
            throw e;
        }
        lastDeliverable = store().state().lastSeq();
        log().warn("JetStream stream '" + jsa.account().name() + " > " + name + "': removed " + torn.size()
                + " messages of an atomic batch cut short by a crash (sequences " + torn.getFirst() + "-" + torn.getLast() + ")");
    }

    /**
     * After a restart, the message ids of the stored messages still inside the duplicate window
     * are known again (as nats-server does), so a publisher retrying after a crash is deduplicated.
     */
    private void rebuildDedupe(StreamConfig cfg) {
        long now = env().clock().currentTimeMillis() * 1_000_000L;
        lock.lock();
        try {
            apply.recoverIds(now, cfg.duplicateWindow());
        } catch (IOException e) {
            log().warn("JetStream stream '" + jsa.account().name() + " > " + name + "': message ids not recovered: "
                    + e.getMessage());
        }
        try {
            if (cfg.allowMsgTtl()) {
                apply.recoverTtls();
            }
            if (cfg.allowMsgSchedules()) {
                apply.recoverSchedules();
            }
        } catch (IOException e) {
            log().warn("JetStream stream '" + jsa.account().name() + " > " + name
                    + "': message TTLs or schedules not recovered: " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    private void subscribe(StreamConfig cfg) {
        Account acc = jsa.account();
        for (InternalSubscription s : subs) {
            acc.unsubscribe(s);
        }
        subs.clear();
        for (String s : cfg.subjects()) {
            subs.add(acc.subscribe(s, null, (io.weft.engine.server.InternalHandler.Traced) this::onPublish));
        }
        for (InternalSubscription s : directSubs) {
            acc.unsubscribe(s);
        }
        directSubs.clear();
        if (cfg.allowDirect()) {
            String base = "$JS.API.DIRECT.GET." + name;
            directSubs.add(acc.subscribe(base, "_sys_", js.api().directHandler(this)));
            directSubs.add(acc.subscribe(base + ".>", "_sys_", js.api().directHandler(this)));
        }
    }

    /**
     * A replicated stream's leadership changed (the group's thread): the replica that may decide
     * subscribes to the subjects (and direct get), every other one holds no subscription, so a
     * publish never reaches a follower.
     */
    private void leadershipChanged() {
        subsLock.lock();
        try {
            boolean lead = group.ready() && !stoppingNow();
            boolean subscribed = !subs.isEmpty() || !directSubs.isEmpty();
            if (lead && !subscribed) {
                subscribe(config);
                log().notice("JetStream cluster new stream leader for '" + jsa.account().name() + " > " + name + "'");
                // the barrier is applied: every committed consumer record is here; run them
                js.consumerManager().resume(this);
                lock.lock();
                try {
                    applier().schedulesRetryAll(); // no schedule's message of this replica is on its way
                    scheduleAgeCheckLocked(); // what came due while another replica led expires now
                } finally {
                    lock.unlock();
                }
                if (config.retention() == Retention.WORKQUEUE && !consumers.isEmpty()) {
                    // its deletes wait for their commits: not on the group's thread, which makes them
                    env().spawner().spawn("stream " + name + " work-queue sweep", this::sweepWorkQueue);
                } else if (config.retention() == Retention.INTEREST) {
                    // what the consumers acknowledged before the old leader logged its removal
                    env().spawner().spawn("stream " + name + " interest sweep", this::sweepInterest);
                }
            } else if (!lead && subscribed) {
                atomic.clear(); // staged on the leader only: a new leader finds these batches incomplete
                cancelExpiryTimers();
                unsubscribeAll();
                stopConsumers();
                log().debug("JetStream stream '" + jsa.account().name() + " > " + name + "': this replica no longer leads");
            }
        } finally {
            subsLock.unlock();
        }
    }

    /**
     * A replicated stream's replica applied a new configuration (the group's thread; the same log
     * point on every replica, which applied its limits already): the stream takes it, and the
     * leader subscribes to the new subjects and arms its expiry by the new max_age.
     */
    private void configApplied() {
        subsLock.lock();
        try {
            StreamConfig old = config;
            StreamConfig next = group.replica().config();
            if (next.equals(old)) {
                return;
            }
            config = next;
            applyTransforms(next);
            if (!next.allowAtomic()) {
                atomic.clear(); // as nats-server: disabling atomic publishing drops the batches in progress
            }
            boolean subscribed = !subs.isEmpty() || !directSubs.isEmpty();
            if (subscribed && (!old.subjects().equals(next.subjects()) || old.allowDirect() != next.allowDirect())) {
                subscribe(next);
            }
            lock.lock();
            try {
                if (ageTimer != null) {
                    ageTimer.cancel();
                    ageTimer = null;
                }
                scheduleAgeCheckLocked(); // only the ready leader arms it
                notifyPurged(); // the limits may have removed the oldest messages
            } finally {
                lock.unlock();
            }
        } finally {
            subsLock.unlock();
        }
    }

    /** A replica that no longer leads decides no expiry: its timers go (the next leader arms its own). */
    private void cancelExpiryTimers() {
        lock.lock();
        try {
            if (ageTimer != null) {
                ageTimer.cancel();
                ageTimer = null;
            }
            if (ttlTimer != null) {
                ttlTimer.cancel();
                ttlTimer = null;
            }
            if (scheduleTimer != null) {
                scheduleTimer.cancel();
                scheduleTimer = null;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A replicated stream's replica stopped leading: its live consumers stop (their records stay;
     * the next leader runs them). Pull requests waiting here end with the connection's timeout.
     */
    private void stopConsumers() {
        for (StreamConsumer c : new ArrayList<>(consumers.values())) {
            try {
                c.stop(false);
            } catch (RuntimeException e) {
                log().warn("Stopping consumer '" + c.name() + "' of stream '" + name + "': " + e);
            }
            detach(c);
        }
    }

    @Override
    public com.fasterxml.jackson.databind.node.ObjectNode clusterInfo() {
        return ClusterInfo.of(js, this);
    }

    @Override
    public ConsumerRecords consumerRecords() {
        return group == null ? null : records;
    }

    private final ConsumerRecords records = new ConsumerRecords() {
        @Override
        public void put(String consumer, byte[] meta, byte[] state) throws IOException {
            if (!group.ready()) {
                throw new IOException("not the stream's leader");
            }
            group.append(new StreamOp.ConsumerPut(consumer, meta, state));
        }

        @Override
        public boolean state(String consumer, byte[] state) throws IOException {
            if (!group.ready()) {
                return false;
            }
            group.append(new StreamOp.ConsumerState(consumer, state));
            return true;
        }

        @Override
        public void delete(String consumer) throws IOException {
            if (!group.ready()) {
                throw new IOException("not the stream's leader");
            }
            group.append(new StreamOp.ConsumerDelete(consumer));
        }

        @Override
        public StreamReplica.ConsumerRecord get(String consumer) {
            group.lock().lock();
            try {
                return group.replica().consumer(consumer);
            } finally {
                group.lock().unlock();
            }
        }

        @Override
        public List<StreamReplica.ConsumerRecord> all() {
            group.lock().lock();
            try {
                return group.replica().consumers();
            } finally {
                group.lock().unlock();
            }
        }
    };

    private void unsubscribeAll() {
        Account acc = jsa.account();
        for (InternalSubscription s : subs) {
            acc.unsubscribe(s);
        }
        subs.clear();
        for (InternalSubscription s : directSubs) {
            acc.unsubscribe(s);
        }
        directSubs.clear();
    }

    /** Stops the ingest thread, timers and subscriptions; with {@code delete} also the data. */
    void stop(boolean delete) {
        quiesce(delete);
        closeLog(delete);
    }

    /**
     * Stops the stream as {@link #stop} does (nothing more is accepted or delivered; consumers
     * stop, a single-server stream's durable consumers having written their files, a replicated
     * one's leader its last state record) and returns what it holds, as a snapshot image, before
     * its store closes: the applied messages, the derived state, and {@code consumers} (a
     * single-server stream's durable consumers, read from their files by the caller once they
     * stopped; a replicated stream's image has the records of its log instead), at configuration
     * {@code config} of meta revision {@code revision}. The files stay. Scaling to or from R1 hands
     * the stream over this way ({@code JetStream.replicate}, {@code JetStream.unreplicate}).
     */
    StreamReplica.Image handOver(java.util.function.Supplier<List<StreamReplica.ConsumerRecord>> consumers, long revision,
                                 StreamConfig config) throws IOException {
        quiesce(false);
        try {
            StreamReplica.Image img;
            if (group != null) {
                group.lock().lock();
                try {
                    img = group.replica().image();
                } finally {
                    group.lock().unlock();
                }
            } else {
                StoreState st = localStore.state();
                img = new StreamReplica.Image(st.firstSeq(), st.lastSeq(), apply.lastMsgId(), apply.lastTimestamp(),
                        apply.dedupeIds(), StreamReplica.messagesOf(localStore), consumers.get(), 0, null);
            }
            return new StreamReplica.Image(img.firstSeq(), img.lastSeq(), img.lastMsgId(), img.lastTimestamp(), img.ids(),
                    img.messages(), img.consumers(), revision, config);
        } finally {
            closeLog(false);
        }
    }

    private void quiesce(boolean delete) {
        atomic.clear();
        queueLock.lock();
        try {
            stopping = true;
            queued.signalAll();
        } finally {
            queueLock.unlock();
        }
        subsLock.lock();
        try {
            unsubscribeAll();
        } finally {
            subsLock.unlock();
        }
        Thread t = ingest;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (StreamConsumer c : new ArrayList<>(consumers.values())) {
            try {
                // a replicated stream's consumer records go with its Raft state; nothing to log
                c.stop(delete && group == null);
            } catch (RuntimeException e) {
                log().warn("Stopping consumer '" + c.name() + "' of stream '" + name + "': " + e);
            }
        }
        consumers.clear();
        lock.lock();
        try {
            if (ageTimer != null) {
                ageTimer.cancel();
            }
            if (ttlTimer != null) {
                ttlTimer.cancel();
            }
            if (scheduleTimer != null) {
                scheduleTimer.cancel();
            }
            if (syncTimer != null) {
                syncTimer.cancel();
            }
        } finally {
            lock.unlock();
        }
    }

    private void closeLog(boolean delete) {
        try {
            log.close(delete); // the ingest thread has ended: nothing else appends
        } catch (IOException e) {
            log().error("JetStream stream '" + jsa.account().name() + " > " + name + "' store close: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ publish path

    private void onPublish(String subject, String reply, byte[] data, int off, int hdrLen, int totalLen) {
        byte[] hdr = hdrLen == 0 ? EMPTY : java.util.Arrays.copyOfRange(data, off, off + hdrLen);
        byte[] body = java.util.Arrays.copyOfRange(data, off + hdrLen, off + totalLen);
        io.weft.engine.server.MsgTrace trace = io.weft.engine.server.MsgTrace.current();
        if (trace != null && !trace.recording()) {
            trace = null; // it crossed into this account where tracing is not allowed
        }
        if (trace != null) {
            trace.holdForJetStream();
            if (trace.traceOnly()) {
                // traced only: reported as reaching the stream, stored nowhere and not answered
                trace.jetStream(name, subject, false, null);
                return;
            }
        }
        if (group != null) {
            publishReplicated(subject, reply, hdr, body, trace);
            return;
        }
        Inbound m = new Inbound(subject, reply, hdr, body, null, trace);
        if (enqueue(m)) {
            return;
        }
        // refused: tell the publisher now (nats-server answers resource errors the same way)
        byte[] refused = errorAck(JsErrors.INSUFFICIENT_RESOURCES);
        if (reply != null && !config.noAck()) {
            sendNow(reply, refused);
        }
        traced(m, refused);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper TRACE_JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    /** Ends a traced message's JetStream part with what the stream answered ({@code ack}: its pub ack). */
    private void traced(Inbound m, byte[] ack) {
        if (m.trace() != null) {
            traced(m.trace(), m.subject(), ack);
        }
    }

    private void traced(io.weft.engine.server.MsgTrace trace, String subject, byte[] ack) {
        if (trace == null) {
            return;
        }
        String error = null;
        int code = 0;
        if (ack != null) {
            try {
                var n = TRACE_JSON.readTree(ack);
                if (n.has("error")) {
                    error = n.path("error").path("description").asText(null);
                    code = n.path("error").path("err_code").asInt();
                }
            } catch (java.io.IOException | RuntimeException e) {
                error = null;
            }
        }
        // nats-server's trace shows its internal error: a size refusal reads differently from the
        // pub ack, and a refusal by the store's limits (discard new) still names the subject
        if (code == 10054) {
            error = "maximum payload exceeded";
        }
        boolean limits = code == 10077 || code == 10078;
        boolean noInterest = error == null && config.retention() == Retention.INTEREST && !anyInterest(subject);
        trace.jetStream(name, error == null || limits ? subject : null, noInterest, error);
    }

    /**
     * A publish to a replicated stream (this replica leads, or it would hold no subscription): the
     * group decides and proposes it; the publisher hears only once the entry is committed (durable
     * on a quorum) and applied here. When the outcome is not known (leadership moved, the replica
     * stopped) or the op was certainly not stored, nothing is answered: the publisher's timeout and
     * retry (same message id) find the new leader, as with nats-server.
     */
    private void publishReplicated(String subject, String reply, byte[] hdr, byte[] body,
                                   io.weft.engine.server.MsgTrace trace) {
        boolean answer = reply != null && !config.noAck();
        CompletableFuture<GroupLog.Result> published;
        Inbound m = new Inbound(subject, reply, hdr, body);
        Headers h = headersOf(m);
        String batchId = AtomicBatches.batchId(h);
        AtomicBatches.Commit commit = null;
        if (batchId != null) {
            Object step = stageAtomic(m, h, batchId);
            if (step instanceof byte[] now) {
                if (answer) {
                    sendNow(reply, now);
                }
                traced(trace, subject, now);
                return;
            }
            commit = (AtomicBatches.Commit) step;
            List<StreamReplica.BatchMsg> msgs = new ArrayList<>(commit.msgs().size());
            for (AtomicBatches.Msg bm : commit.msgs()) {
                msgs.add(new StreamReplica.BatchMsg(bm.subject(), bm.hdr(), bm.data()));
            }
            published = group.publishBatch(commit.id(), msgs);
        } else {
            published = group.publish(subject, hdr, body);
        }
        String batch = commit == null ? null : commit.id();
        int count = commit == null ? 0 : commit.msgs().size();
        boolean expires = config.maxAge() > 0 || config.allowMsgTtl() || config.allowMsgSchedules();
        published.whenComplete((r, x) -> {
            if (trace != null) {
                traced(trace, subject, r instanceof GroupLog.Rejected rj ? errorAck(rj.error(), batch == null) : null);
            }
            if (expires && r instanceof GroupLog.Stored) {
                lock.lock();
                try {
                    scheduleAgeCheckLocked();
                } finally {
                    lock.unlock();
                }
            }
            if (x != null) {
                return;
            }
            if (!answer) {
                republishStored(r);
                return;
            }
            if (r instanceof GroupLog.Rejected rj) {
                // decided before proposing: answered once a read index shows this replica still leads
                group.confirmLeading().thenAccept(leads -> {
                    if (leads) {
                        sendNow(reply, errorAck(rj.error(), batch == null));
                    }
                });
                return;
            }
            byte[] ack = switch (r) {
                case GroupLog.Stored st when batch != null -> batchAck(st.seq(), batch, count);
                case GroupLog.Stored st -> ("{\"stream\":" + quote(name) + domainPart() + ", \"seq\":" + st.seq()
                        + counterValue(st) + "}").getBytes(StandardCharsets.UTF_8);
                case GroupLog.Duplicate dup -> ("{\"stream\":" + quote(name) + domainPart() + ", \"seq\":"
                        + dup.seq() + ",\"duplicate\": true}").getBytes(StandardCharsets.UTF_8);
                // answered above, after the read index; the switch must still name every result
                case GroupLog.Rejected rj -> null;
                case GroupLog.NotLeader nl -> null;
                case GroupLog.NotStored ns -> null;
                case GroupLog.Unknown u -> null;
            };
            if (ack != null) {
                sendNow(reply, ack);
            }
            republishStored(r);
        });
    }

    /**
     * Republishes what a replicated publish stored (the leader alone, once its entry is committed
     * and applied here: a follower never holds the publish's future, and a new leader's futures are
     * only its own publishes), each message as stored: its subject, headers and data as the leader
     * decided them.
     */
    private void republishStored(GroupLog.Result r) {
        SubjectTransformer rp = republisher;
        if (rp == null || !(r instanceof GroupLog.Stored st)) {
            return;
        }
        for (GroupLog.Appended a : st.appended()) {
            StreamOp.Append op = a.op();
            String dest = rp.apply(op.subject());
            if (dest == null) {
                continue;
            }
            Inbound m = new Inbound(op.subject(), null, op.headers(), op.data());
            Outgoing o = republishMessage(config, dest, op.subject(), op.seq(), op.ts(), a.subjectLastSeq(), headersOf(m), m);
            jsa.account().publish(o.subject(), null, o.headers(), o.payload());
        }
    }

    /** A counter stream's PubAck carries the value the leader decided ({@code ,"val":"N"}); "" otherwise. */
    private String counterValue(GroupLog.Stored st) {
        if (!config.allowMsgCounter() || st.appended().isEmpty()) {
            return "";
        }
        return ",\"val\":" + quote(MsgCounter.text(st.appended().getFirst().op().data()));
    }

    private void ingestLoop() {
        List<Inbound> batch = new ArrayList<>();
        while (true) {
            queueLock.lock();
            try {
                while (queue.isEmpty() && !stopping) {
                    queued.awaitUninterruptibly();
                }
                if (queue.isEmpty() && stopping) {
                    return;
                }
                batch.addAll(queue);
                queue.clear();
                queuedBytes = 0;
            } finally {
                queueLock.unlock();
            }
            try {
                processBatch(batch);
            } catch (RuntimeException e) {
                log().error("JetStream stream '" + jsa.account().name() + " > " + name + "' ingest failed: " + e);
            }
            batch.clear();
        }
    }

    /**
     * Stores a batch, syncs once, then answers. A batch whose write or sync fails is refused as a
     * whole: the store rolls it back (nothing of it is served, counted or durable), the stream's
     * own state (message ids, last id, timestamps) goes back too, and every publisher in it gets the
     * store error; the next batch starts from the same sequence. Package-private for tests.
     */
    void processBatch(List<Inbound> batch) {
        List<Outgoing> out = new ArrayList<>(batch.size());
        // answers to staged atomic batch messages: stored nothing, so no group's failure is theirs
        List<Outgoing> staged = new ArrayList<>();
        List<Outgoing> republish = new ArrayList<>();
        boolean appended = false;
        boolean removed = false;
        Duration interval = syncInterval();
        boolean always = interval != null && interval.isZero();
        boolean grouped = interval == null;
        boolean open = false; // a log batch is begun and not yet settled
        lock.lock();
        try {
            if (grouped) {
                log.begin();
                open = true;
            }
            // the group commit in progress: whether it appended, where its replies and republishes start
            boolean groupAppended = false;
            int groupOut = 0;
            int groupRep = 0;
            for (Inbound m : batch) {
                Headers h = headersOf(m);
                String batchId = AtomicBatches.batchId(h);
                AtomicBatches.Commit commit = null;
                if (batchId != null) {
                    Object step = stageAtomic(m, h, batchId);
                    if (step instanceof byte[] reply) {
                        if (m.reply() != null && !config.noAck()) {
                            staged.add(new Outgoing(m.reply(), null, reply));
                        }
                        traced(m, reply);
                        continue;
                    }
                    commit = (AtomicBatches.Commit) step;
                }
                // an atomic batch is a durable group of its own, so that a failed write undoes exactly it
                boolean own = always || commit != null;
                if (own && grouped) {
                    open = false;
                    byte[] failed = settle(groupAppended, republish, groupRep);
                    if (failed != null) {
                        failFrom(out, groupOut, failed);
                    }
                    groupAppended = false;
                }
                if (own) {
                    log.begin();
                    open = true;
                }
                int rep = republish.size();
                Result r = commit != null ? storeAtomic(commit, republish) : processOne(m, h, republish);
                if (own) {
                    open = false;
                }
                byte[] failed = own ? settle(r.appended, republish, rep) : null;
                if (failed != null) {
                    r.appended = false;
                    r.removed = false;
                    r.reply = failed;
                }
                appended |= r.appended;
                removed |= r.removed;
                if (!own) {
                    groupAppended |= r.appended;
                }
                if (m.reply() != null && r.reply != null && !config.noAck()) {
                    out.add(new Outgoing(m.reply(), null, r.reply));
                }
                traced(m, r.reply);
                if (own && grouped) {
                    log.begin();
                    open = true;
                    groupOut = out.size();
                    groupRep = republish.size();
                }
            }
            if (grouped) {
                // the group commit: one fsync for the whole batch, before any ack leaves
                open = false;
                byte[] failed = settle(groupAppended, republish, groupRep);
                if (failed != null) {
                    failFrom(out, groupOut, failed);
                }
            } else if (appended && !always) {
                dirty = true;
                try {
                    // acknowledged once written: a killed process loses nothing, only the fsync waits
                    log.writeOut();
                } catch (IOException e) {
                    writeError = e.getMessage();
                    log().error("JetStream stream '" + jsa.account().name() + " > " + name + "' write failed: "
                            + e.getMessage());
                    failFrom(out, 0, errorAck(JsErrors.STREAM_STORE_FAILED.with(e.getMessage())));
                }
            }
            // a refused group was rolled back: the store holds exactly what stands
            lastDeliverable = store().state().lastSeq();
            if (appended) {
                scheduleAgeCheckLocked();
            } else if (config.allowMsgSchedules()) {
                scheduleFiringLocked(); // a schedule's refused message: the schedule fires again
            }
        } catch (RuntimeException | Error e) {
            if (open) {
                log.rollback(); // a bug mid-batch: end the batch so the next one can begin
            }
            throw e;
        } finally {
            lock.unlock();
        }
        // the acks of a batch usually go to a few connections: wake each one's writer once
        Deliveries acks = jsa.account().newDeliveries();
        for (Outgoing o : staged) {
            jsa.account().publish(o.subject(), null, null, o.payload(), acks);
        }
        for (Outgoing o : out) {
            jsa.account().publish(o.subject(), null, null, o.payload(), acks);
        }
        acks.flush();
        for (Outgoing o : republish) {
            jsa.account().publish(o.subject(), null, o.headers(), o.payload());
        }
        if (removed) {
            notifyPurged();
        }
        if (appended) {
            long last = lastDeliverable;
            for (StreamConsumer c : consumers.values()) {
                c.signal(last);
            }
        }
    }

    private static Headers headersOf(Inbound m) {
        if (m.hdr().length == 0) {
            return null;
        }
        try {
            return Headers.parse(m.hdr());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * A message of atomic batch {@code batchId}: the checks nats-server makes before the batch's own
     * (sealed, message size), then staging. Answers the reply to send now (an empty message when
     * staged, an error) or the {@link AtomicBatches.Commit} to store.
     */
    private Object stageAtomic(Inbound m, Headers h, String batchId) {
        StreamConfig c = config;
        if (c.sealed()) {
            return errorAck(JsErrors.STREAM_SEALED, false);
        }
        if (c.maxMsgSize() >= 0 && (long) m.hdr().length + m.data().length > c.maxMsgSize()) {
            return errorAck(JsErrors.MESSAGE_EXCEEDS_MAXIMUM, false);
        }
        return switch (atomic.offer(c.allowAtomic(), batchId, new AtomicBatches.Msg(m.subject(), m.hdr(), h, m.data()))) {
            case AtomicBatches.Staged st -> EMPTY;
            case AtomicBatches.Failed f -> errorAck(f.error(), false);
            case AtomicBatches.Commit cm -> cm;
        };
    }

    private static List<PublishRules.Request> requests(AtomicBatches.Commit c) {
        List<PublishRules.Request> out = new ArrayList<>(c.msgs().size());
        for (AtomicBatches.Msg m : c.msgs()) {
            out.add(new PublishRules.Request(m.subject(), m.headers(), m.hdr(), m.data()));
        }
        return out;
    }

    /** The commit of an atomic batch: one decision for all of it, then one op through the log (caller holds the lock, in a batch of its own). */
    private Result storeAtomic(AtomicBatches.Commit c, List<Outgoing> republish) {
        Result r = new Result();
        switch (PublishRules.decideBatch(c.id(), requests(c), view)) {
            case PublishRules.Reject rj -> r.reply = errorAck(rj.error(), false);
            case StreamOp.Batch op -> {
                SubjectTransformer rp = republisher;
                List<Outgoing> rep = new ArrayList<>();
                if (rp != null) {
                    java.util.TreeMap<String, Long> lastBySubject = new java.util.TreeMap<>();
                    for (int i = 0; i < op.appends().size(); i++) {
                        StreamOp.Append a = op.appends().get(i);
                        Long prev = lastBySubject.get(a.subject());
                        if (prev == null) {
                            SubjectState ss = store().subjectState(a.subject());
                            prev = ss == null ? 0 : ss.lastSeq();
                        }
                        lastBySubject.put(a.subject(), a.seq());
                        String dest = rp.apply(a.subject());
                        AtomicBatches.Msg m = c.msgs().get(i);
                        if (dest != null) {
                            rep.add(republishMessage(config, dest, a.subject(), a.seq(), a.ts(), prev, m.headers(),
                                    new Inbound(m.subject(), null, m.hdr(), m.data())));
                        }
                    }
                }
                StreamOp.Applied done;
                try {
                    done = log.append(op);
                } catch (IOException e) {
                    log().error("JetStream stream '" + jsa.account().name() + " > " + name + "' append of batch failed: "
                            + e.getMessage());
                    r.reply = errorAck(JsErrors.STREAM_STORE_FAILED.with(e.getMessage()));
                    return r;
                }
                r.appended = true;
                r.removed = done.removed() > 0;
                republish.addAll(rep);
                r.reply = batchAck(op);
            }
        }
        return r;
    }

    /** The PubAck of a committed atomic batch: the last sequence, the batch id and how many messages it stored. */
    private byte[] batchAck(StreamOp.Batch op) {
        return batchAck(op.last().seq(), op.id(), op.appends().size());
    }

    /** Byte for byte as nats-server 2.15.1 writes it: {@code {"stream":"S","domain":"D","seq":N,"batch":"B","count":C}}. */
    private byte[] batchAck(long seq, String batch, int count) {
        String d = js.domain();
        return ("{\"stream\":" + quote(name) + (d.isEmpty() ? "" : ",\"domain\":" + quote(d)) + ",\"seq\":" + seq
                + ",\"batch\":" + quote(batch) + ",\"count\":" + count + "}").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Ends a batch: with {@code appended}, commits it (one sync); if that fails, the log has undone
     * it (store and stream state), the republishes from {@code republishFrom} on are dropped, and
     * the answer is the error reply for each publisher in it. Null when the batch stands.
     */
    private byte[] settle(boolean appended, List<Outgoing> republish, int republishFrom) {
        if (!appended) {
            log.rollback(); // nothing was written: end the batch
            return null;
        }
        try {
            log.commit();
            writeError = null;
            return null;
        } catch (IOException e) {
            writeError = e.getMessage();
            log().error("JetStream stream '" + jsa.account().name() + " > " + name + "' sync failed, batch refused: "
                    + e.getMessage());
            republish.subList(republishFrom, republish.size()).clear();
            return errorAck(JsErrors.STREAM_STORE_FAILED.with(e.getMessage()));
        }
    }

    /** Replaces every pending reply from {@code from} on with {@code err}. */
    private static void failFrom(List<Outgoing> out, int from, byte[] err) {
        for (int i = from; i < out.size(); i++) {
            out.set(i, new Outgoing(out.get(i).subject(), null, err));
        }
    }

    private static final class Result {
        byte[] reply;
        boolean appended;
        boolean removed;
    }

    /** One publish: the decision, then its op through the log (the caller holds the lock). */
    private Result processOne(Inbound m, Headers h, List<Outgoing> republish) {
        Result r = new Result();
        PublishRules.Decision d = PublishRules.decide(
                new PublishRules.Request(m.subject(), h, m.hdr(), m.data(), m.scheduler() != null), view);
        if (m.scheduler() != null && !(d instanceof StreamOp.Append)) {
            apply.scheduleRetry(m.scheduler());
        }
        switch (d) {
            case PublishRules.Reject rj -> r.reply = errorAck(rj.error());
            case PublishRules.Duplicate dup -> r.reply = ("{\"stream\":" + quote(name) + domainPart() + ", \"seq\":"
                    + dup.seq() + ",\"duplicate\": true}").getBytes(StandardCharsets.UTF_8);
            case StreamOp.Append op -> {
                SubjectTransformer rp = republisher;
                SubjectState prev = rp != null ? store().subjectState(op.subject()) : null;
                StreamOp.Applied done;
                try {
                    done = log.append(op);
                } catch (IOException e) {
                    log().error("JetStream stream '" + jsa.account().name() + " > " + name + "' append failed: "
                            + e.getMessage());
                    r.reply = errorAck(JsErrors.STREAM_STORE_FAILED.with(e.getMessage()));
                    return r;
                }
                r.appended = true;
                r.removed = done.removed() > 0;
                if (rp != null) {
                    String dest = rp.apply(op.subject());
                    if (dest != null) {
                        republish.add(republishMessage(config, dest, op.subject(), op.seq(), op.ts(),
                                prev == null ? 0 : prev.lastSeq(), h, m));
                    }
                }
                String val = config.allowMsgCounter() ? ",\"val\":" + quote(MsgCounter.text(op.data())) : "";
                r.reply = ("{\"stream\":" + quote(name) + domainPart() + ", \"seq\":" + op.seq() + val + "}")
                        .getBytes(StandardCharsets.UTF_8);
            }
        }
        return r;
    }

    /** The stream as {@link PublishRules#decide} sees it (read under the lock). */
    private final PublishRules.View view = new PublishRules.View() {
        @Override public String name() { return name; }
        @Override public StreamConfig config() { return config; }
        @Override public StoreState state() { return store().state(); }
        @Override public SubjectState subjectState(String subject) { return store().subjectState(subject); }
        @Override public long sizeOf(String subject, int hl, int dl) { return store().sizeOf(subject, hl, dl); }
        @Override public long[] duplicate(String id, long now, long window) { return apply.duplicate(id, now, window); }
        @Override public String lastMsgId() { return apply.lastMsgId(); }
        @Override public long lastTimestamp() { return apply.lastTimestamp(); }
        @Override public long nowNanos() { return env().clock().currentTimeMillis() * 1_000_000L; }
        @Override public JsApiError accountRoom(StreamConfig c, long size) { return jsa.checkStore(c, size); }
        @Override public boolean anyInterest(String subject) { return Stream.this.anyInterest(subject); }

        @Override
        public byte[] lastHeaders(String subject) {
            try {
                StoredMessage last = store().loadLast(subject);
                return last == null ? null : last.headers();
            } catch (IOException e) {
                return null;
            }
        }

        @Override
        public byte[] lastPayload(String subject) {
            try {
                StoredMessage last = store().loadLast(subject);
                return last == null ? null : last.data();
            } catch (IOException e) {
                return new byte[] {'!'}; // a damaged last record: the counter is broken (10172)
            }
        }

        @Override
        public String storedSubject(String subject) {
            SubjectTransformer t = transform;
            String mapped = t == null ? null : t.apply(subject);
            return mapped == null ? subject : mapped;
        }
    };

    private Outgoing republishMessage(StreamConfig c, String dest, String subject, long seq, long ts, long lastSeq,
                                      Headers original, Inbound m) {
        Headers h = new Headers();
        if (original != null) {
            for (int i = 0; i < original.size(); i++) {
                h.add(original.keyAt(i), original.valueAt(i));
            }
        }
        h.set("Nats-Stream", name);
        h.set("Nats-Subject", subject);
        h.set("Nats-Sequence", Long.toString(seq));
        h.set("Nats-Time-Stamp", JsTime.format(ts));
        h.set("Nats-Last-Sequence", Long.toString(lastSeq));
        if (c.republish().headersOnly()) {
            h.set("Nats-Msg-Size", Integer.toString(m.data().length));
            return new Outgoing(dest, h.toBytes(), EMPTY);
        }
        return new Outgoing(dest, h.toBytes(), m.data());
    }

    private boolean anyInterest(String subject) {
        for (StreamConsumer sc : consumers.values()) {
            if (sc.wants(subject)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Interest retention's test as the leader of a replicated stream decides it (caller holds the
     * lock): a running consumer wants {@code subject}, or a consumer whose record is committed does
     * not run here (yet: a new leader resumes its consumers after it subscribes), which counts as
     * interested, so no message is dropped for want of a consumer that exists.
     */
    private boolean interested(String subject) {
        return anyInterest(subject) || group != null && !allRecordsRunning();
    }

    /** True when every consumer record of this replicated stream runs here (caller holds the lock). */
    private boolean allRecordsRunning() {
        for (StreamReplica.ConsumerRecord r : group.replica().consumers()) {
            if (!consumers.containsKey(r.name())) {
                return false;
            }
        }
        return true;
    }

    private String domainPart() {
        String d = js.domain();
        return d.isEmpty() ? "" : ", \"domain\":" + quote(d);
    }

    /** A PubAck error reply: {@code {"error":{...},"stream":"X","seq":0}}. */
    private byte[] errorAck(JsApiError e) {
        return errorAck(e, true);
    }

    /** With {@code domain}, the JetStream domain is named as in a plain publish's error; an atomic batch's own errors do not name it (2.15.1). */
    private byte[] errorAck(JsApiError e, boolean domain) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set("error", JsApi.errorNode(e));
        o.put("stream", name);
        if (domain && !js.domain().isEmpty()) {
            o.put("domain", js.domain());
        }
        o.put("seq", 0);
        return js.json(o);
    }

    private void sendNow(String reply, byte[] payload) {
        jsa.account().publish(reply, null, null, payload);
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') {
                sb.append('\\').append(ch);
            } else if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&') {
                sb.append(String.format("\\u%04x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }

    // ------------------------------------------------------------------ timers

    /** nats-server's default {@code sync_interval}, which {@code persist_mode: async} falls back to. */
    static final Duration ASYNC_SYNC_INTERVAL = Duration.ofMinutes(2);

    /**
     * When this stream fsyncs: the server's {@code sync_interval} (null: before each ack, by group
     * commit), except that {@code persist_mode: async} (an operator's choice per stream, as in
     * nats-server 2.12) acknowledges once written and syncs on a timer: the server's interval if it
     * is a duration, else two minutes (nats-server's default; its {@code always} is switched off too).
     */
    private Duration syncInterval() {
        Duration d = js.syncInterval();
        if (!config.persistAsync()) {
            return d;
        }
        return d != null && !d.isZero() && !d.isNegative() ? d : ASYNC_SYNC_INTERVAL;
    }

    private void scheduleSync() {
        Duration interval = syncInterval();
        if (interval == null || interval.isZero() || interval.isNegative()) {
            return;
        }
        syncTimer = env().clock().schedule(interval, () -> {
            if (stoppingNow()) {
                return;
            }
            if (dirty) {
                dirty = false;
                try {
                    log.sync(); // outside the lock, as the store allows: ingest goes on meanwhile
                    writeError = null;
                } catch (IOException e) {
                    dirty = true; // the store keeps what it could not write: the next tick tries again
                    writeError = e.getMessage();
                    log().error("JetStream stream '" + jsa.account().name() + " > " + name + "' sync failed: " + e.getMessage());
                }
            }
            lock.lock();
            try {
                if (!stoppingNow()) {
                    scheduleSync();
                }
            } finally {
                lock.unlock();
            }
        });
    }

    private boolean stoppingNow() {
        queueLock.lock();
        try {
            return stopping;
        } finally {
            queueLock.unlock();
        }
    }

    /** Arms the max_age timer for when the oldest message expires, and the TTL timer (caller holds the lock). */
    private void scheduleAgeCheckLocked() {
        if (group != null && (!group.ready() || stoppingNow())) {
            return; // a replicated stream's expiry is its leader's decision (its deletes go through the log)
        }
        scheduleTtlLocked();
        scheduleFiringLocked();
        StreamConfig c = config;
        if (c.maxAge() <= 0) {
            return;
        }
        StoreState st = store().state();
        if (st.msgs() == 0) {
            return;
        }
        long oldest = st.firstTimeNanos();
        if (applier().anyNever(st.firstSeq(), st.firstSeq() + 1)) {
            oldest = oldestExpirable(st);
            if (oldest < 0) {
                return; // every message left is `Nats-TTL: never`
            }
        }
        long at = oldest + c.maxAge();
        if (at < oldest) {
            return; // a max_age past the end of time (nats-server accepts up to 2^63-1 ns): nothing ever expires
        }
        if (ageTimer != null && ageTimerAt <= at) {
            return;
        }
        if (ageTimer != null) {
            ageTimer.cancel();
        }
        long now = env().clock().currentTimeMillis() * 1_000_000L;
        long delay = Math.max(1_000_000L, at - now);
        ageTimerAt = at;
        ageTimer = env().clock().schedule(Duration.ofNanos(delay), this::expireByAge);
    }

    private void expireByAge() {
        boolean removed = false;
        long marked = 0;
        lock.lock();
        try {
            ageTimer = null;
            if (stoppingNow() || !leading()) {
                return;
            }
            StreamConfig c = config;
            if (c.maxAge() <= 0) {
                return;
            }
            long cutoff = env().clock().currentTimeMillis() * 1_000_000L - c.maxAge();
            try {
                long upTo = store().sequenceAtOrAfter(cutoff + 1);
                long first = store().state().firstSeq();
                if (upTo > first && c.subjectDeleteMarkerTtl() > 0) {
                    Expiry x = new Expiry();
                    expireAgedOneByOne(first, upTo, x);
                    removed = x.removed;
                    marked = x.marked;
                } else if (upTo > first && applier().anyNever(first, upTo)) {
                    removed = removeAgedSparingNever(first, upTo);
                } else if (upTo > first) {
                    removed = log.append(new StreamOp.Purge(null, upTo, 0)).removed() > 0;
                }
            } catch (IOException e) {
                log().error("JetStream stream '" + jsa.account().name() + " > " + name + "' max_age: " + e.getMessage());
            }
            scheduleAgeCheckLocked();
        } finally {
            lock.unlock();
        }
        afterExpiry(removed, marked);
    }

    /** Tells the consumers what an expiry removed and the markers it stored (lock not held). */
    private void afterExpiry(boolean removed, long marked) {
        if (removed) {
            notifyPurged();
        }
        if (marked > 0) {
            for (StreamConsumer sc : consumers.values()) {
                sc.signal(marked);
            }
        }
    }

    /** What an expiry did: something removed, and the last marker stored (0 if none). */
    private static final class Expiry {
        boolean removed;
        long marked;
    }

    /** max_age with subject delete markers: each message on its own, sparing `never` (caller holds the lock). */
    private void expireAgedOneByOne(long first, long upTo, Expiry x) throws IOException {
        long seq = first;
        while (seq < upTo) {
            StoredMessage m = store().loadNext(null, seq);
            if (m == null || m.seq() >= upTo) {
                break;
            }
            if (!applier().neverExpires(m.seq())) {
                expireOne(m, x);
            }
            seq = m.seq() + 1;
        }
    }

    /**
     * Removes one expired message. With {@code subject_delete_marker_ttl}, the last message of its
     * subject is instead replaced by a marker, as nats-server 2.11+ does: a new message on the same
     * subject with {@code Nats-Marker-Reason: MaxAge}, {@code Nats-TTL} (the marker TTL as a Go
     * duration) and {@code Nats-Rollup: sub}, whose rollup removes the expired one; a message that is
     * itself a marker (any {@code Nats-Marker-Reason}, or {@code KV-Operation: PURGE}) just goes.
     * Both are ops through the log (caller holds the lock).
     */
    private void expireOne(StoredMessage m, Expiry x) throws IOException {
        StreamConfig c = config;
        long sdm = c.subjectDeleteMarkerTtl() / MsgTtl.SECOND;
        if (sdm > 0 && !isMarker(m.headers())) {
            SubjectState ss = store().subjectState(m.subject());
            if (ss != null && ss.msgs() == 1) {
                long at = appendMarker(c, m.subject(), sdm);
                if (at > 0) {
                    x.marked = at;
                    x.removed = true;
                    return;
                }
            }
        }
        x.removed |= log.append(new StreamOp.Delete(m.seq(), false)).removed() > 0;
    }

    /** True for a subject delete marker or a KV purge marker, which expire without a marker of their own. */
    private static boolean isMarker(byte[] hdr) {
        if (hdr.length == 0) {
            return false;
        }
        try {
            Headers h = Headers.parse(hdr);
            String reason = h.first("Nats-Marker-Reason");
            return (reason != null && !reason.isEmpty()) || "PURGE".equals(h.first("KV-Operation"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Stores a subject delete marker on {@code subject} (its rollup removes what is left of the
     * subject) and returns its sequence, or 0 if it could not be stored (caller holds the lock).
     */
    private long appendMarker(StreamConfig c, String subject, long sdmSeconds) {
        Headers h = new Headers();
        h.add("Nats-Marker-Reason", "MaxAge");
        h.add("Nats-TTL", MsgTtl.goSeconds(sdmSeconds));
        h.add("Nats-Rollup", "sub");
        boolean noMarkerInterest = c.retention() == Retention.INTEREST && !interested(subject);
        if (group != null) {
            try {
                return group.appendMarker(subject, h.toBytes(), sdmSeconds * MsgTtl.SECOND, noMarkerInterest);
            } catch (IOException e) {
                log().warn("JetStream stream '" + jsa.account().name() + " > " + name + "' subject delete marker: "
                        + e.getMessage());
                return 0;
            }
        }
        long now = env().clock().currentTimeMillis() * 1_000_000L;
        long ts = Math.max(now, applier().lastTimestamp() + 1);
        StreamOp.Append op = new StreamOp.Append(store().state().lastSeq() + 1, ts, subject, h.toBytes(), EMPTY, "",
                c.duplicateWindow(), StreamOp.Rollup.SUBJECT, StreamOp.Limits.of(c), noMarkerInterest,
                sdmSeconds * MsgTtl.SECOND);
        Duration interval = syncInterval();
        boolean durable = interval == null || interval.isZero();
        try {
            if (durable) {
                log.begin();
                try {
                    log.append(op);
                } catch (IOException | RuntimeException e) {
                    log.rollback();
                    throw e;
                }
                log.commit(); // a failed commit has undone the marker and its rollup
            } else {
                log.append(op);
                dirty = true;
            }
        } catch (IOException e) {
            writeError = e.getMessage();
            log().error("JetStream stream '" + jsa.account().name() + " > " + name + "' subject delete marker: "
                    + e.getMessage());
            return 0;
        }
        lastDeliverable = store().state().lastSeq();
        return op.seq();
    }

    /** The timestamp of the oldest message without {@code Nats-TTL: never}, or -1 (caller holds the lock). */
    private long oldestExpirable(StoreState st) {
        long seq = st.firstSeq();
        while (seq <= st.lastSeq()) {
            StoredMessage m;
            try {
                m = store().loadNext(null, seq);
            } catch (IOException e) {
                return -1; // a damaged record: the next write or restart reports it
            }
            if (m == null) {
                return -1;
            }
            if (!applier().neverExpires(m.seq())) {
                return m.timestampNanos();
            }
            seq = m.seq() + 1;
        }
        return -1;
    }

    /** max_age removal below {@code upTo} one message at a time, sparing {@code Nats-TTL: never} (caller holds the lock). */
    private boolean removeAgedSparingNever(long first, long upTo) throws IOException {
        boolean removed = false;
        long seq = first;
        while (seq < upTo) {
            StoredMessage m = store().loadNext(null, seq);
            if (m == null || m.seq() >= upTo) {
                break;
            }
            if (!applier().neverExpires(m.seq())) {
                removed |= log.append(new StreamOp.Delete(m.seq(), false)).removed() > 0;
            }
            seq = m.seq() + 1;
        }
        return removed;
    }

    /** Arms the TTL timer for the next message TTL due (caller holds the lock). */
    private void scheduleTtlLocked() {
        long[] next = applier().nextTtl();
        if (next == null || config.sealed()) {
            return;
        }
        long at = next[0];
        if (ttlTimer != null && ttlTimerAt <= at) {
            return;
        }
        if (ttlTimer != null) {
            ttlTimer.cancel();
        }
        long now = env().clock().currentTimeMillis() * 1_000_000L;
        long delay = Math.max(1_000_000L, at - now);
        ttlTimerAt = at;
        ttlTimer = env().clock().schedule(Duration.ofNanos(delay), this::expireByTtl);
    }

    /** Removes the messages whose TTL is due, each by a Delete op through the log. */
    private void expireByTtl() {
        Expiry x = new Expiry();
        lock.lock();
        try {
            ttlTimer = null;
            if (stoppingNow() || config.sealed() || !leading()) {
                return;
            }
            long now = env().clock().currentTimeMillis() * 1_000_000L;
            try {
                boolean markers = config.subjectDeleteMarkerTtl() > 0;
                for (long[] e = applier().nextTtl(); e != null && e[0] <= now; e = applier().nextTtl()) {
                    StoredMessage m = markers ? loadOrNull(e[1]) : null;
                    if (m != null) {
                        expireOne(m, x);
                    } else if (!markers) {
                        x.removed |= log.append(new StreamOp.Delete(e[1], false)).removed() > 0;
                    }
                    applier().ttlDone(e); // after its op: a failed one is tried again by the next timer
                }
            } catch (IOException e) {
                log().error("JetStream stream '" + jsa.account().name() + " > " + name + "' message TTL: " + e.getMessage());
            }
            if (x.marked > 0) {
                scheduleAgeCheckLocked();
            } else {
                scheduleTtlLocked();
            }
        } finally {
            lock.unlock();
        }
        afterExpiry(x.removed, x.marked);
    }

    // ------------------------------------------------------------------ message schedules (ADR-51)

    /**
     * Arms the schedules' timer for the next schedule due that has not fired (caller holds the
     * lock). Like nats-server it fires no sooner than 250 ms from now, and a timer already armed
     * for earlier stays, so steady publishing cannot keep pushing it out.
     */
    private void scheduleFiringLocked() {
        if (group != null && (!group.ready() || stoppingNow())) {
            return; // the leader decides when a schedule fires (its message goes through the log)
        }
        long at = applier().nextScheduleAt();
        if (at < 0 || config.sealed()) {
            return;
        }
        long now = env().clock().currentTimeMillis() * 1_000_000L;
        long fireAt = Math.max(at, now + SCHEDULE_MIN_DELAY_NANOS);
        if (scheduleTimer != null && scheduleTimerAt <= fireAt) {
            return;
        }
        if (scheduleTimer != null) {
            scheduleTimer.cancel();
        }
        scheduleTimerAt = fireAt;
        scheduleTimer = env().clock().schedule(Duration.ofNanos(fireAt - now), this::fireSchedules);
    }

    private static final long SCHEDULE_MIN_DELAY_NANOS = 250_000_000L;

    /** A message a schedule publishes. */
    private record Fired(String scheduler, String subject, byte[] hdr, byte[] data) {
    }

    /**
     * Publishes the message of every schedule due (the leader; the timer's thread): built from the
     * stored schedule (or its source's last message) as nats-server 2.15.1 builds it, and published
     * into the stream as a publish without reply would be, through the same rules and log. What it
     * does to its schedule (moved to {@code Nats-Schedule-Next}, or purged) is applied from the
     * stored message on every replica; until then the schedule is marked as fired here.
     */
    private void fireSchedules() {
        List<Fired> fired = new ArrayList<>();
        lock.lock();
        try {
            scheduleTimer = null;
            if (stoppingNow() || !leading() || config.sealed()) {
                return;
            }
            long now = env().clock().currentTimeMillis() * 1_000_000L;
            for (StreamApply.Scheduled s : applier().dueSchedules(now)) {
                Fired f = firedMessage(s, now);
                if (f == null) {
                    applier().scheduleGone(s.subject());
                } else {
                    applier().scheduleFired(s.subject());
                    fired.add(f);
                }
            }
        } finally {
            lock.unlock();
        }
        for (Fired f : fired) {
            publishFired(f);
        }
        lock.lock();
        try {
            scheduleFiringLocked();
        } finally {
            lock.unlock();
        }
    }

    /** The message schedule {@code s} publishes now, or null if its message is gone or holds no valid schedule (lock held). */
    private Fired firedMessage(StreamApply.Scheduled s, long now) {
        StoredMessage m = loadOrNull(s.seq());
        if (m == null || !m.subject().equals(s.subject()) || m.headers().length == 0) {
            return null;
        }
        Headers h;
        try {
            h = Headers.parse(m.headers());
        } catch (RuntimeException e) {
            return null;
        }
        String pattern = h.first(MsgSchedule.PATTERN);
        java.time.ZoneId zone = MsgSchedule.zone(h);
        String target = h.first(MsgSchedule.TARGET);
        String ttl = h.first(MsgSchedule.TTL);
        if (zone == MsgSchedule.BAD_ZONE || target == null || target.isEmpty()
                || (ttl != null && !ttl.isEmpty() && MsgTtl.parse(ttl) == MsgTtl.INVALID)) {
            return null;
        }
        MsgSchedule.When w = MsgSchedule.parse(pattern, zone, s.at());
        if (w == null || w == MsgSchedule.INVALID) {
            return null;
        }
        MsgSchedule.When next = MsgSchedule.following(pattern, zone, s.at(), now);
        Headers from = h;
        byte[] data = m.data();
        String source = h.first(MsgSchedule.SOURCE);
        if (source != null && !source.isEmpty()) {
            StoredMessage src;
            try {
                src = store().loadLast(source);
            } catch (IOException e) {
                src = null;
            }
            if (src != null) {
                // the source's last message instead of the schedule's own body and headers
                try {
                    from = src.headers().length == 0 ? null : Headers.parse(src.headers());
                } catch (RuntimeException e) {
                    from = null;
                }
                data = src.data();
            }
        }
        Headers out = MsgSchedule.fired(from, s.subject(),
                next == null ? MsgSchedule.PURGE : MsgSchedule.format(next.atNanos(), zone), ttl, h.first(MsgSchedule.ROLLUP));
        return new Fired(s.subject(), target, out.toBytes(), data);
    }

    /** Hands a message to the stream's thread; false when the stream stops or its queue is full. */
    private boolean enqueue(Inbound m) {
        queueLock.lock();
        try {
            if (!stopping && queuedBytes + m.size() <= MAX_QUEUED_BYTES) {
                queue.addLast(m);
                queuedBytes += m.size();
                queued.signal();
                return true;
            }
            return false;
        } finally {
            queueLock.unlock();
        }
    }

    /** Publishes a schedule's message into this stream (no reply); a refusal lets the schedule fire again. */
    private void publishFired(Fired f) {
        if (group == null) {
            Inbound m = new Inbound(f.subject(), null, f.hdr(), f.data(), f.scheduler());
            if (enqueue(m)) {
                return;
            }
            lock.lock();
            try {
                apply.scheduleRetry(f.scheduler());
            } finally {
                lock.unlock();
            }
            return;
        }
        group.publishScheduled(f.subject(), f.hdr(), f.data()).whenComplete((r, x) -> {
            lock.lock();
            try {
                if (x != null || !(r instanceof GroupLog.Stored)) {
                    applier().scheduleRetry(f.scheduler());
                }
                scheduleAgeCheckLocked(); // its TTL, and the schedule's next firing
            } finally {
                lock.unlock();
            }
            if (x == null) {
                republishStored(r);
            }
        });
    }

    /** The message at {@code seq}, or null if it is gone (or damaged: the next read reports it). */
    private StoredMessage loadOrNull(long seq) {
        try {
            return store().load(seq);
        } catch (IOException e) {
            return null;
        }
    }

    private void notifyPurged() {
        long first = store().state().firstSeq();
        for (StreamConsumer c : consumers.values()) {
            c.purged(first);
        }
    }

    // ------------------------------------------------------------------ API operations

    /** Applies an update already validated against the old config. */
    void update(StreamConfig next) throws IOException {
        if (group != null) {
            // a change must reach every replica at one log point: the meta group's update, logged by the leader (StreamOp.Config)
            throw new IOException("a replicated stream is updated through its cluster assignment");
        }
        StreamConfig old;
        lock.lock();
        try {
            old = config;
            config = next;
            applyTransforms(next);
            if (!next.allowAtomic()) {
                atomic.clear(); // as nats-server: disabling atomic publishing drops the batches in progress
            }
            if (!old.subjects().equals(next.subjects()) || old.allowDirect() != next.allowDirect()) {
                subscribe(next);
            }
            log.append(new StreamOp.Trim(StreamOp.Limits.of(next)));
            if (ageTimer != null) {
                ageTimer.cancel();
                ageTimer = null;
            }
            scheduleAgeCheckLocked();
        } finally {
            lock.unlock();
        }
        if (old.retention() != Retention.INTEREST && next.retention() == Retention.INTEREST && !consumers.isEmpty()) {
            // as nats-server: switching to interest drops what no consumer still needs; a stream
            // without consumers keeps its messages
            sweepInterest();
        }
        notifyPurged();
    }

    /** Purge as the API asks. Returns how many messages went. */
    long purge(String filter, long upToSeq, long keep) throws IOException {
        long n;
        lock.lock();
        log.begin(); // a purge that cannot be made durable is undone: nothing is removed
        try {
            String f = filter == null || filter.isEmpty() ? null : filter;
            if (f != null && keep > 0 && !io.weft.store.Subjects.isLiteral(f)) {
                // nats-server keeps the newest `keep` of all messages the wildcard matches (not per subject)
                long matching = store().numPending(store().state().firstSeq(), f, false);
                if (matching <= keep) {
                    return 0;
                }
                long skip = matching - keep;
                long seq = store().state().firstSeq();
                StoredMessage m = null;
                for (long i = 0; i <= skip - 1; i++) {
                    m = store().loadNext(f, seq);
                    if (m == null) {
                        break;
                    }
                    seq = m.seq() + 1;
                }
                // seq is now just past the last message to remove
                long cut = upToSeq > 0 ? Math.min(upToSeq, seq) : seq;
                n = log.append(new StreamOp.Purge(f, cut, 0)).removed();
            } else {
                n = log.append(new StreamOp.Purge(f, upToSeq, keep)).removed();
            }
            log.commit();
        } finally {
            log.rollback(); // after a commit, a no-op
            lock.unlock();
        }
        notifyPurged();
        return n;
    }

    /** Deletes one message; false if there was none. */
    boolean deleteMessage(long seq, boolean erase) throws IOException {
        boolean ok;
        lock.lock();
        log.begin(); // a removal that cannot be made durable is undone: the message stays
        try {
            ok = log.append(new StreamOp.Delete(seq, erase)).removed() > 0;
            log.commit();
        } finally {
            log.rollback(); // after a commit, a no-op
            lock.unlock();
        }
        if (ok) {
            notifyPurged();
        }
        return ok;
    }

    /** A store read. */
    @FunctionalInterface
    interface Read<T> {
        T apply(MessageStore store) throws IOException;
    }

    /**
     * Runs a read of messages (MSG.GET, DIRECT.GET) under the stream lock, so it never sees a batch
     * half done: a message appended but not yet synced, or the older message a limit (say
     * max_msgs_per_subject on a KV bucket) removed for it. The read waits for the batch's sync and
     * then sees the new message, which is deliverable by then.
     */
    <T> T read(Read<T> read) throws IOException {
        lock.lock();
        try {
            return read.apply(store());
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ views

    public StreamConfig config() {
        return group == null ? config : group.replica().config(); // a replica's: the applied one
    }

    public String name() {
        return name;
    }

    public long createdNanos() {
        return createdNanos;
    }

    String dir() {
        return dir;
    }

    /** {@code state} as stream info shows it. */
    ObjectNode stateJson(boolean deletedDetails, String subjectsFilter) {
        if (group == null) {
            return stateJsonOf(store(), deletedDetails, subjectsFilter);
        }
        lock.lock(); // a replica's store is read under the group's lock
        try {
            return stateJsonOf(store(), deletedDetails, subjectsFilter);
        } finally {
            lock.unlock();
        }
    }

    private ObjectNode stateJsonOf(MessageStore store, boolean deletedDetails, String subjectsFilter) {
        StoreState st = store().state();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("messages", st.msgs());
        o.put("bytes", st.bytes());
        boolean fresh = st.lastSeq() == 0 && st.msgs() == 0;
        o.put("first_seq", fresh ? 0 : st.firstSeq());
        o.put("first_ts", JsTime.format(st.msgs() == 0 ? 0 : st.firstTimeNanos()));
        o.put("last_seq", st.lastSeq());
        o.put("last_ts", JsTime.format(st.lastTimeNanos()));
        if (st.numDeleted() > 0) {
            o.put("num_deleted", st.numDeleted());
        }
        if (deletedDetails && st.numDeleted() > 0) {
            ArrayNode a = o.putArray("deleted");
            for (Long s : store().deletedSequences()) {
                a.add(s);
            }
        }
        if (st.numSubjects() > 0) {
            o.put("num_subjects", st.numSubjects());
        }
        if (subjectsFilter != null && !subjectsFilter.isEmpty()) {
            Map<String, SubjectState> subjects = store().subjects(subjectsFilter);
            if (!subjects.isEmpty()) {
                ObjectNode so = o.putObject("subjects");
                subjects.forEach((k, v) -> so.put(k, v.msgs()));
            }
        }
        o.put("consumer_count", consumers.size());
        return o;
    }

    StoreState state() {
        if (group == null) {
            return localStore.state();
        }
        lock.lock();
        try {
            return store().state();
        } finally {
            lock.unlock();
        }
    }

    /** Why the last batch could not be stored, while no later one could; null when fine. */
    String writeError() {
        return writeError;
    }

    // ------------------------------------------------------------------ ConsumerSource

    @Override
    public String streamName() {
        return name;
    }

    @Override
    public java.util.List<String> subjects() {
        return config.subjects();
    }

    @Override
    public Retention retention() {
        return config.retention();
    }

    @Override
    public boolean memoryStorage() {
        return config.memoryStorage();
    }

    /** The store: a local stream's, or the group replica's current one (a snapshot restore replaces it). */
    @Override
    public MessageStore store() {
        return group == null ? localStore : group.replica().store();
    }

    @Override
    public long lastDeliverableSeq() {
        // a replica's store holds only applied (committed) ops: all of it is deliverable
        return group == null ? lastDeliverable : state().lastSeq();
    }

    @Override
    public Account account() {
        return jsa.account();
    }

    @Override
    public Env env() {
        return js.env();
    }

    @Override
    public ServerLog log() {
        return js.log();
    }

    @Override
    public String consumerDir(String consumer) {
        if (dir == null || config.memoryStorage()) {
            return null;
        }
        String d = dir + "/obs/" + consumer;
        try {
            js.env().disk().mkdirs(d);
        } catch (IOException e) {
            log().error("Cannot create consumer directory " + d + ": " + e.getMessage());
        }
        return d;
    }

    @Override
    public long consumerLimitInactiveThresholdNanos() {
        return config.consumerInactiveThreshold();
    }

    @Override
    public int consumerLimitMaxAckPending() {
        return config.consumerMaxAckPending();
    }

    @Override
    public void attach(StreamConsumer consumer, String... filters) throws JsApiException {
        if (group != null && !group.ready()) {
            // a replicated stream's consumers run on its ready leader alone (their records are on every replica)
            throw new JsApiError(500, 10012, "stream leader changed, consumer not created").exception();
        }
        // API requests on other streams run alongside: the account's consumer limit is checked and
        // taken in one step (always this lock first, then the stream's)
        jsa.consumerAdmission.lock();
        lock.lock();
        try {
            StreamConfig c = config;
            if (!consumers.containsKey(consumer.name())) {
                if (c.maxConsumers() > 0 && consumers.size() >= c.maxConsumers()) {
                    throw JsErrors.MAXIMUM_CONSUMERS.exception();
                }
                jsa.checkConsumerLimit();
            }
            String[] f = filters == null ? new String[0] : filters.clone();
            if (c.retention() == Retention.WORKQUEUE) {
                // as nats-server: with other consumers present, an unfiltered one is 10099, a filtered
                // one that overlaps another's filter (an unfiltered one overlaps all) is 10100
                boolean unfiltered = unfiltered(f);
                for (Map.Entry<String, String[]> e : consumerFilters.entrySet()) {
                    if (e.getKey().equals(consumer.name())) {
                        continue;
                    }
                    if (unfiltered) {
                        throw new JsApiError(400, 10099, "multiple non-filtered consumers not allowed on workqueue stream").exception();
                    }
                    String[] other = e.getValue();
                    if (unfiltered(other) || overlapsAny(f, other)) {
                        throw new JsApiError(400, 10100, "filtered consumer not unique on workqueue stream").exception();
                    }
                }
            }
            consumers.put(consumer.name(), consumer);
            consumerFilters.put(consumer.name(), f);
        } finally {
            lock.unlock();
            jsa.consumerAdmission.unlock();
        }
    }

    private static boolean unfiltered(String[] f) {
        if (f.length == 0) {
            return true;
        }
        for (String x : f) {
            if (x == null || x.isEmpty() || x.equals(">")) {
                return true;
            }
        }
        return false;
    }

    private static boolean overlapsAny(String[] a, String[] b) {
        for (String x : a) {
            for (String y : b) {
                if (io.weft.store.Subjects.tokensOverlap(x, y)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void detach(StreamConsumer consumer) {
        lock.lock();
        try {
            consumers.remove(consumer.name(), consumer);
            consumerFilters.remove(consumer.name());
        } finally {
            lock.unlock();
        }
        // messages only this consumer held can go now
        interestMayHaveGone();
    }

    /**
     * With interest retention, drops what no consumer needs (a replicated stream's leader decides it;
     * a replica that stops leading detaches its consumers and removes nothing).
     */
    @Override
    public void interestMayHaveGone() {
        if (config.retention() == Retention.INTEREST && (group == null || group.ready() && !stoppingNow())) {
            sweepInterest();
        }
    }

    /**
     * Removes every message no consumer needs. On a replicated stream only its ready leader does,
     * each removal through the log, and only while every consumer record runs here (a consumer that
     * does not run here cannot tell what it needs); it stops once this replica no longer leads.
     */
    private void sweepInterest() {
        boolean removed = false;
        lock.lock();
        try {
            StoreState st = store().state();
            long seq = st.firstSeq();
            while (seq <= st.lastSeq()) {
                if (group != null && (!group.ready() || stoppingNow() || !allRecordsRunning())) {
                    break;
                }
                StoredMessage m = store().loadNext(null, seq);
                if (m == null) {
                    break;
                }
                if (!needed(m.seq(), m.subject())) {
                    removed |= log.append(new StreamOp.Delete(m.seq(), false)).removed() > 0;
                }
                seq = m.seq() + 1;
            }
        } catch (IOException e) {
            log().error("JetStream stream '" + name + "' interest sweep: " + e.getMessage());
        } finally {
            lock.unlock();
        }
        if (removed) {
            notifyPurged();
        }
    }

    /**
     * The work-queue sweep of a replicated stream's new leader (docs/dev/replicated-consumers.md,
     * step 5): an ack commits the consumer's state and then proposes the message's delete, so a
     * leader that failed between the two leaves an acknowledged message stored. Once this replica
     * leads and runs the consumers from their committed records, every stored message that the
     * consumer taking its subject acknowledged for good (at or below its ack floor, not given up at
     * max_deliver) is deleted through the log. Nothing unacknowledged is touched; it stops as soon
     * as this replica no longer leads.
     */
    void sweepWorkQueue() {
        List<StreamConsumer> cs = List.copyOf(consumers.values());
        long floor = 0;
        for (StreamConsumer c : cs) {
            floor = Math.max(floor, c.ackFloorSeq());
        }
        long removed = 0;
        long seq = 0;
        try {
            while (true) {
                lock.lock();
                try {
                    if (!group.ready() || stoppingNow()) {
                        break;
                    }
                    StoredMessage m = store().loadNext(null, seq == 0 ? store().state().firstSeq() : seq);
                    if (m == null || m.seq() > floor) {
                        break;
                    }
                    seq = m.seq() + 1;
                    for (StreamConsumer c : cs) {
                        if (consumers.get(c.name()) == c && c.ackedAtOrBelowFloor(m.seq(), m.subject())) {
                            removed += log.append(new StreamOp.Delete(m.seq(), false)).removed();
                            break;
                        }
                    }
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException e) {
            log().warn("JetStream stream '" + jsa.account().name() + " > " + name + "' work-queue sweep stopped: "
                    + e.getMessage());
        }
        if (removed > 0) {
            log().notice("JetStream stream '" + jsa.account().name() + " > " + name + "': the new leader removed "
                    + removed + " acknowledged work-queue message(s) whose delete had not been committed");
            notifyPurged();
        }
    }

    private boolean needed(long seq, String subject) {
        for (StreamConsumer c : consumers.values()) {
            if (c.needsAck(seq, subject)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public StreamConsumer consumer(String consumerName) {
        return consumers.get(consumerName);
    }

    @Override
    public Collection<StreamConsumer> consumers() {
        return List.copyOf(consumers.values());
    }

    @Override
    public void acknowledged(long seq) {
        Retention ret = config.retention();
        if (ret == Retention.LIMITS) {
            return;
        }
        lock.lock();
        try {
            if (ret == Retention.INTEREST && group != null && (!group.ready() || !allRecordsRunning())) {
                return; // the leader decides (a new one sweeps what the consumers acknowledged)
            }
            if (ret == Retention.WORKQUEUE) {
                log.append(new StreamOp.Delete(seq, false));
                return;
            }
            StoredMessage m = store().load(seq);
            if (m != null && !needed(seq, m.subject())) {
                log.append(new StreamOp.Delete(seq, false));
            }
        } catch (IOException e) {
            log().error("JetStream stream '" + name + "' ack removal of " + seq + ": " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }
}
