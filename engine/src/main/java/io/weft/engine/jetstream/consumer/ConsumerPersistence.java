package io.weft.engine.jetstream.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.jetstream.ConsumerRecords;
import io.weft.engine.jetstream.JsApiException;
import io.weft.engine.jetstream.StreamReplica;
import io.weft.net.Disk;
import io.weft.net.DiskFile;
import io.weft.store.SubjectBytes;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * A durable consumer's files: {@code meta.dat} (config and creation time) and {@code state.dat}
 * (delivered, ack floor, pending acks with their delivery counts). Each file is
 * {@code magic | length | payload | CRC32C} and is replaced atomically: written to a temporary
 * file, forced, renamed over the old one, and the directory synced.
 *
 * <p>On a replicated stream the same two payloads are records in the stream's Raft log instead
 * ({@link ConsumerRecords}: the meta payload and the state payload as {@code ConsumerPut} and
 * {@code ConsumerState}), durable on a quorum when a write returns.
 */
final class ConsumerPersistence {
    /**
     * A replicated stream's replica stopped leading between the change and its write: expected at
     * every leader change (the new leader runs the consumer from the last committed state).
     */
    static final class NotLeader extends IOException {
        NotLeader(String message) {
            super(message);
        }
    }

    static final String META = "meta.dat";
    static final String STATE = "state.dat";
    private static final int MAGIC_META = 0x57434d31;  // WCM1
    private static final int MAGIC_STATE = 0x57435331; // WCS1

    private final Disk disk;
    private final String dir;
    /** The replicated stream's consumer records (null: files in {@link #dir}). */
    private final ConsumerRecords records;
    private final String name;
    private final ReentrantLock writeLock = new ReentrantLock();

    ConsumerPersistence(Disk disk, String dir) {
        this.disk = disk;
        this.dir = dir;
        this.records = null;
        this.name = null;
    }

    /** Consumer {@code name}'s records in a replicated stream's log. */
    ConsumerPersistence(ConsumerRecords records, String name) {
        this.disk = null;
        this.dir = "consumer record " + name;
        this.records = records;
        this.name = name;
    }

    String dir() {
        return dir;
    }

    void writeMeta(ConsumerConfig cfg, long createdNanos) throws IOException {
        writeMeta(cfg, createdNanos, null);
    }

    /** As {@link #writeMeta(ConsumerConfig, long)} with the config's {@code pause_until} (null: none). */
    void writeMeta(ConsumerConfig cfg, long createdNanos, PauseTime pauseUntil) throws IOException {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("created", createdNanos);
        o.set("config", cfg.toJson());
        if (pauseUntil != null) {
            o.put("pause_until", pauseUntil.text());
        }
        writeLock.lock();
        try {
            byte[] meta = Consumers.MAPPER.writeValueAsBytes(o);
            if (records != null) {
                StreamReplica.ConsumerRecord had = records.get(name);
                records.put(name, meta, had == null ? new byte[0] : had.state());
            } else {
                replace(META, MAGIC_META, meta);
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** Snapshots the consumer's state (taking its lock briefly) and replaces the state file. */
    void writeState(Consumer c) throws IOException {
        writeLock.lock();
        try {
            byte[] payload;
            c.lock.lock();
            try {
                payload = encodeState(c);
                c.dirty = false;
            } finally {
                c.lock.unlock();
            }
            if (records != null) {
                if (!records.state(name, payload)) {
                    throw new NotLeader("not the stream's leader: state of consumer " + name + " not stored");
                }
            } else {
                replace(STATE, MAGIC_STATE, payload);
            }
        } finally {
            writeLock.unlock();
        }
    }

    void delete() throws IOException {
        writeLock.lock();
        try {
            if (records != null) {
                records.delete(name);
                return;
            }
            for (String f : List.of(META, STATE, META + ".tmp", STATE + ".tmp")) {
                disk.delete(dir + "/" + f);
            }
            disk.delete(dir);
        } finally {
            writeLock.unlock();
        }
    }

    static byte[] encodeState(Consumer c) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeLong(c.dseq);
        out.writeLong(c.nextSeq);
        out.writeLong(c.lastStreamSeq);
        out.writeLong(c.ackFloorC);
        out.writeLong(c.ackFloorS);
        out.writeLong(c.lastActiveWall);
        out.writeLong(c.lastAckWall);
        out.writeInt(c.lastPerSubject.size());
        for (long s : c.lastPerSubject) {
            out.writeLong(s);
        }
        out.writeInt(c.pending.size());
        for (Map.Entry<Long, Consumer.Pending> e : c.pending.entrySet()) {
            out.writeLong(e.getKey());
            out.writeLong(e.getValue().cseq);
            out.writeInt(c.deliveries.getOrDefault(e.getKey(), 1));
        }
        // appended section (older files end before it): messages given up at max_deliver, still
        // counted in num_redelivered and released to a work queue by a late ack
        List<Map.Entry<Long, Integer>> givenUp = new ArrayList<>();
        for (Map.Entry<Long, Integer> e : new java.util.TreeMap<>(c.deliveries).entrySet()) {
            if (!c.pending.containsKey(e.getKey())) {
                givenUp.add(e);
            }
        }
        out.writeInt(givenUp.size());
        for (Map.Entry<Long, Integer> e : givenUp) {
            out.writeLong(e.getKey());
            out.writeInt(e.getValue());
        }
        out.flush();
        return bytes.toByteArray();
    }

    /** Restores state written by {@link #encodeState}; pending messages get a fresh ack wait. */
    static void decodeState(Consumer c, byte[] payload, long now) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
        c.dseq = in.readLong();
        c.nextSeq = in.readLong();
        c.lastStreamSeq = in.readLong();
        c.ackFloorC = in.readLong();
        c.ackFloorS = in.readLong();
        c.lastActiveWall = in.readLong();
        c.lastAckWall = in.readLong();
        int lps = in.readInt();
        c.lastPerSubject.clear();
        for (int i = 0; i < lps; i++) {
            c.lastPerSubject.add(in.readLong());
        }
        int n = in.readInt();
        c.pending.clear();
        c.deliveries.clear();
        for (int i = 0; i < n; i++) {
            long s = in.readLong();
            long cseq = in.readLong();
            int dc = in.readInt();
            c.pending.put(s, new Consumer.Pending(cseq, now + c.cfg.ackWaitFor(dc), now));
            c.deliveries.put(s, dc);
        }
        if (in.available() >= 4) {
            int g = in.readInt();
            for (int i = 0; i < g; i++) {
                long s = in.readLong();
                c.deliveries.put(s, in.readInt());
            }
        }
    }

    /** The stored config and creation time, or null if the directory holds no readable consumer. */
    record Meta(ConsumerConfig config, long createdNanos, PauseTime pauseUntil) {
    }

    Meta readMeta() throws IOException {
        byte[] p;
        if (records != null) {
            StreamReplica.ConsumerRecord r = records.get(name);
            p = r == null ? null : r.meta();
        } else {
            p = read(META, MAGIC_META);
        }
        if (p == null) {
            return null;
        }
        // read as text: Jackson's byte parser refuses an escaped subject byte (\\udcff) in a field name
        JsonNode n = Consumers.MAPPER.readTree(SubjectBytes.decode(p));
        try {
            PauseTime pause = n.hasNonNull("pause_until") ? PauseTime.parse(n.get("pause_until").asText()) : null;
            return new Meta(ConsumerConfig.fromJson(n.get("config")), n.path("created").asLong(), pause);
        } catch (PauseTime.Invalid e) {
            throw new IOException("consumer pause_until in " + dir + " is invalid: " + e.getMessage());
        } catch (JsApiException e) {
            throw new IOException("consumer config in " + dir + " is invalid: " + e.getMessage());
        }
    }

    /** The meta file's payload as stored (null: none), for handing the consumer to a replicated stream's log. */
    byte[] readMetaPayload() throws IOException {
        return records != null ? null : read(META, MAGIC_META);
    }

    /**
     * Writes both files from a replicated stream's consumer record ({@code state} empty: none yet),
     * for a stream that becomes single-server again.
     */
    void writeFiles(byte[] meta, byte[] state) throws IOException {
        writeLock.lock();
        try {
            replace(META, MAGIC_META, meta);
            if (state.length > 0) {
                replace(STATE, MAGIC_STATE, state);
            }
        } finally {
            writeLock.unlock();
        }
    }

    byte[] readState() throws IOException {
        if (records != null) {
            StreamReplica.ConsumerRecord r = records.get(name);
            return r == null || r.state().length == 0 ? null : r.state();
        }
        return read(STATE, MAGIC_STATE);
    }

    private void replace(String name, int magic, byte[] payload) throws IOException {
        disk.mkdirs(dir);
        ByteBuffer buf = ByteBuffer.allocate(12 + payload.length);
        buf.putInt(magic).putInt(payload.length).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, 8 + payload.length);
        buf.putInt((int) crc.getValue());
        buf.flip();
        String tmp = dir + "/" + name + ".tmp";
        disk.delete(tmp);
        try (DiskFile f = disk.open(tmp, true)) {
            f.truncate(0);
            f.write(buf, 0);
            f.force();
        }
        disk.rename(tmp, dir + "/" + name);
        disk.syncDir(dir);
    }

    private byte[] read(String name, int magic) throws IOException {
        String path = dir + "/" + name;
        if (!disk.exists(path)) {
            return null;
        }
        byte[] all;
        try (DiskFile f = disk.open(path, false)) {
            long size = f.size();
            if (size < 12 || size > Integer.MAX_VALUE) {
                throw new IOException(path + ": truncated consumer file");
            }
            ByteBuffer b = ByteBuffer.allocate((int) size);
            long pos = 0;
            while (b.hasRemaining()) {
                int r = f.read(b, pos);
                if (r < 0) {
                    break;
                }
                pos += r;
            }
            all = b.array();
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        int m = b.getInt();
        int len = b.getInt();
        if (m != magic || len < 0 || len + 12 != all.length) {
            throw new IOException(path + ": not a consumer file or truncated");
        }
        CRC32C crc = new CRC32C();
        crc.update(all, 0, 8 + len);
        int stored = ByteBuffer.wrap(all, 8 + len, 4).getInt();
        if (stored != (int) crc.getValue()) {
            throw new IOException(path + ": CRC32C mismatch");
        }
        byte[] payload = new byte[len];
        System.arraycopy(all, 8, payload, 0, len);
        return payload;
    }

    static List<String> names(Disk disk, String parent) throws IOException {
        if (parent == null || !disk.exists(parent)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String n : disk.list(parent)) {
            if (disk.exists(parent + "/" + n + "/" + META)) {
                out.add(n);
            }
        }
        return out;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
