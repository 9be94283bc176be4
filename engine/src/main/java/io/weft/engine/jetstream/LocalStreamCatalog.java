package io.weft.engine.jetstream;

import io.weft.net.Disk;
import io.weft.store.MessageStore;
import io.weft.store.Subjects;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The stream catalog of one server deciding alone: a decision is taken and carried out here, under
 * the account's admission step ({@link JsAccount#reserve}/{@link JsAccount#settle}) and the
 * request's API lane. File layout: {@code <store_dir>/<account>/streams/<stream>/} with the
 * stream's {@code meta.json} ({@link StreamMeta}) and its messages under {@code msgs/}.
 */
final class LocalStreamCatalog implements StreamCatalog {
    private final JetStream js;
    private final String root;

    LocalStreamCatalog(JetStream js, String root) {
        this.js = js;
        this.root = root;
    }

    @Override
    public String streamsDir(String account) {
        return root + "/" + account + "/streams";
    }

    @Override
    public String streamDir(String account, String stream) {
        return streamsDir(account) + "/" + stream;
    }

    @Override
    public Change createOrUpdate(JsAccount jsa, String name, StreamConfig req, boolean create) throws JsApiException {
        if (!create) {
            // nats-server 2.15 checks an update's config before it compares names or finds the stream
            req.withDefaults().validate(js.options().maxPayload);
        }
        if (!name.equals(req.name())) {
            throw JsErrors.STREAM_MISMATCH.exception();
        }
        StreamConfig.checkName(req.name());
        if (create && req.sealed()) {
            throw JsErrors.invalidConfig("stream configuration for create can not be sealed");
        }
        StreamConfig cfg = req.withDefaults();
        // this request's lane is the only one creating, updating or deleting this stream, so
        // what is looked up here holds until the reply; other streams change meanwhile
        Stream existing = jsa.stream(name);
        if (!create && existing == null) {
            throw JsErrors.STREAM_NOT_FOUND.exception();
        }
        cfg.validate(js.options().maxPayload);
        if (create && existing != null) {
            if (!existing.config().equals(cfg)) {
                throw JsErrors.STREAM_NAME_EXIST.exception();
            }
            return new Change(existing, false);
        }
        return new Change(create ? create(jsa, cfg) : update(jsa, existing, cfg), true);
    }

    /** Reserves the name and subjects (one short step), builds the stream outside any shared lock, publishes it. */
    private Stream create(JsAccount jsa, StreamConfig cfg) throws JsApiException {
        jsa.reserve(cfg, null);
        try {
            return createStream(jsa, cfg);
        } catch (IOException e) {
            throw JsErrors.STREAM_CREATE.with(e.getMessage()).exception();
        } finally {
            jsa.settle(cfg, null);
        }
    }

    /** Creates, persists and starts a stream (checked and reserved by the caller). */
    private Stream createStream(JsAccount jsa, StreamConfig cfg) throws IOException {
        return createStream(jsa, cfg, js.env().clock().currentTimeMillis() * 1_000_000L);
    }

    /**
     * Creates, persists and starts a stream created at {@code created} (nanoseconds; a clustered
     * stream's is the meta leader's), checked and reserved by the caller.
     */
    Stream createStream(JsAccount jsa, StreamConfig cfg, long created) throws IOException {
        String dir = null;
        Disk disk = js.env().disk();
        if (!cfg.memoryStorage()) {
            dir = streamDir(jsa.account().name(), cfg.name());
            disk.mkdirs(dir);
            StreamMeta.write(disk, dir, cfg, created, js.mapper());
            disk.syncDir(streamsDir(jsa.account().name()));
        }
        MessageStore store = js.storeFactory().open(cfg, dir == null ? null : dir + "/msgs");
        Stream s = new Stream(js, jsa, cfg, created, dir, store);
        s.start();
        jsa.put(s);
        return s;
    }

    /** Updates {@code existing} to {@code cfg} (checked by the caller) under the account's admission step. */
    Stream update(JsAccount jsa, Stream existing, StreamConfig cfg) throws JsApiException {
        StreamConfig old = existing.config();
        jsa.reserve(cfg, old);
        try {
            existing.update(cfg);
            if (existing.dir() != null) {
                StreamMeta.write(js.env().disk(), existing.dir(), existing.config(), existing.createdNanos(),
                        js.mapper());
            }
            return existing;
        } catch (IOException e) {
            throw JsErrors.STREAM_UPDATE.with(e.getMessage()).exception();
        } finally {
            jsa.settle(cfg, old);
        }
    }

    @Override
    public void delete(JsAccount jsa, String name) throws JsApiException {
        Stream s = jsa.stream(name);
        if (s == null) {
            throw JsErrors.STREAM_NOT_FOUND.exception();
        }
        if (s.replicated()) {
            // one server's replica is not the stream: its assignment goes (JetStream.closeReplica on every member)
            throw JsErrors.STREAM_DELETE.with("a replicated stream is deleted through its cluster assignment").exception();
        }
        try {
            jsa.remove(s);
            try {
                s.stop(true);
            } finally {
                jsa.release(s); // only once it no longer captures them may another stream take its subjects
            }
            if (s.dir() != null) {
                deleteTree(s.dir());
                js.env().disk().syncDir(streamsDir(jsa.account().name()));
            }
        } catch (IOException e) {
            throw JsErrors.STREAM_DELETE.with(e.getMessage()).exception();
        }
    }

    private void deleteTree(String path) throws IOException {
        Disk disk = js.env().disk();
        if (!disk.exists(path)) {
            return;
        }
        List<String> children;
        try {
            children = disk.list(path);
        } catch (IOException e) {
            children = List.of();
        }
        for (String c : children) {
            deleteTree(path + "/" + c);
        }
        disk.delete(path);
    }

    @Override
    public List<Stream> list(JsAccount jsa, String subject) {
        List<Stream> matching = new ArrayList<>();
        for (Stream s : jsa.streams()) {
            if (subject.isEmpty() || s.config().subjects().stream().anyMatch(x -> Subjects.tokensOverlap(x, subject))) {
                matching.add(s);
            }
        }
        return matching;
    }
}
