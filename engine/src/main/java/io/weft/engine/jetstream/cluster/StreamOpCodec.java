package io.weft.engine.jetstream.cluster;

import io.weft.engine.jetstream.StreamOp;
import io.weft.engine.jetstream.StreamReplica;
import io.weft.store.StoredMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The bytes of a replicated stream's Raft entries and snapshots. An entry is
 *
 * <pre>
 *   u8 version (1) | u8 kind | varint term | varint epoch | varint n | fields of the kind | u32 CRC32C
 * </pre>
 *
 * where kind is 0 {@code BARRIER} (no fields: a new leader's first entry), 1 {@code Append}, 2
 * {@code SkipTo}, 3 {@code Purge}, 4 {@code Delete}, 5 {@code Trim}, 6 {@code ConsumerPut}, 7
 * {@code ConsumerState}, 8 {@code ConsumerDelete}, 9 {@code Batch} (the batch id, a varint count, then
 * each append's fields as kind 1 has them), 10 {@code Config} (the meta revision, then the
 * configuration as nats-server's JSON); {@code (term, epoch, n)} say which
 * leader decided the op and its place in that leader's chain (see {@link ReplicatedStreamLog}).
 * Unsigned numbers are LEB128 varints, signed ones (timestamps, TTLs, limits) zigzag varints, strings
 * and byte arrays a varint length and the bytes (UTF-8 for strings), booleans one byte 0/1. The CRC
 * covers every byte before it, big-endian. {@link #decode} refuses a bad CRC, an unknown version or
 * kind, a length past the end, a bad boolean and trailing bytes with {@link CorruptEntryException}.
 * A snapshot ({@link #encodeImage}) has the same framing with kind 16 and the replica's image; its
 * consumer section follows the messages, then the configuration section (a boolean, and if true
 * the revision and the configuration's JSON); an image that ends before either (written before
 * consumers, or configurations, were replicated) has none.
 */
public final class StreamOpCodec {
    public static final int VERSION = 1;
    static final int BARRIER = 0;
    static final int APPEND = 1;
    static final int SKIP_TO = 2;
    static final int PURGE = 3;
    static final int DELETE = 4;
    static final int TRIM = 5;
    static final int CONSUMER_PUT = 6;
    static final int CONSUMER_STATE = 7;
    static final int CONSUMER_DELETE = 8;
    static final int BATCH = 9;
    static final int CONFIG = 10;
    static final int IMAGE = 16;

    private StreamOpCodec() {
    }

    /** An entry of a replicated stream's log: a barrier ({@code op} null) or an op, with who decided it. */
    public record Entry(long term, long epoch, long n, StreamOp op) {
        public boolean barrier() {
            return op == null;
        }
    }

    /** The snapshot of a replica: its applied image and the chain position of the last op applied. */
    public record Image(long term, long epoch, long n, StreamReplica.Image state) {
    }

    /** Bytes that are not a valid entry or snapshot. */
    public static final class CorruptEntryException extends RuntimeException {
        CorruptEntryException(String why) {
            super(why);
        }
    }

    // ------------------------------------------------------------------ encoding

    public static byte[] encode(Entry e) {
        Out o = new Out();
        o.u8(VERSION);
        o.u8(kind(e.op()));
        o.uvar(e.term());
        o.uvar(e.epoch());
        o.uvar(e.n());
        switch (e.op()) {
            case null -> {
            }
            case StreamOp.Append a -> append(o, a);
            case StreamOp.Batch b -> {
                o.str(b.id());
                o.uvar(b.appends().size());
                for (StreamOp.Append a : b.appends()) {
                    append(o, a);
                }
            }
            case StreamOp.SkipTo s -> o.uvar(s.nextSeq());
            case StreamOp.Purge p -> {
                o.bool(p.filter() != null);
                o.str(p.filter() == null ? "" : p.filter());
                o.uvar(p.upToSeq());
                o.uvar(p.keep());
            }
            case StreamOp.Delete d -> {
                o.uvar(d.seq());
                o.bool(d.erase());
            }
            case StreamOp.Trim t -> limits(o, t.limits());
            case StreamOp.ConsumerPut c -> {
                o.str(c.name());
                o.bytes(c.meta());
                o.bytes(c.state());
            }
            case StreamOp.ConsumerState c -> {
                o.str(c.name());
                o.bytes(c.state());
            }
            case StreamOp.ConsumerDelete c -> o.str(c.name());
            case StreamOp.Config c -> {
                o.uvar(c.revision());
                o.str(configJson(c.config()));
            }
        }
        return o.seal();
    }

    private static void append(Out o, StreamOp.Append a) {
        o.uvar(a.seq());
        o.svar(a.ts());
        o.str(a.subject());
        o.bytes(a.headers());
        o.bytes(a.data());
        o.str(a.msgId());
        o.svar(a.duplicateWindow());
        o.u8(a.rollup().ordinal());
        limits(o, a.limits());
        o.bool(a.noInterest());
        o.svar(a.ttl());
    }

    private static int kind(StreamOp op) {
        return switch (op) {
            case null -> BARRIER;
            case StreamOp.Append a -> APPEND;
            case StreamOp.Batch b -> BATCH;
            case StreamOp.SkipTo s -> SKIP_TO;
            case StreamOp.Purge p -> PURGE;
            case StreamOp.Delete d -> DELETE;
            case StreamOp.Trim t -> TRIM;
            case StreamOp.ConsumerPut c -> CONSUMER_PUT;
            case StreamOp.ConsumerState c -> CONSUMER_STATE;
            case StreamOp.ConsumerDelete c -> CONSUMER_DELETE;
            case StreamOp.Config c -> CONFIG;
        };
    }

    private static void limits(Out o, StreamOp.Limits l) {
        o.svar(l.maxMsgsPerSubject());
        o.svar(l.maxMsgs());
        o.svar(l.maxBytes());
        o.bool(l.discardNew());
    }

    public static byte[] encodeImage(Image img) {
        Out o = new Out();
        o.u8(VERSION);
        o.u8(IMAGE);
        o.uvar(img.term());
        o.uvar(img.epoch());
        o.uvar(img.n());
        StreamReplica.Image s = img.state();
        o.uvar(s.firstSeq());
        o.uvar(s.lastSeq());
        o.str(s.lastMsgId());
        o.svar(s.lastTimestamp());
        o.uvar(s.ids().size());
        for (Map.Entry<String, long[]> e : s.ids()) {
            o.str(e.getKey());
            o.uvar(e.getValue()[0]);
            o.svar(e.getValue()[1]);
        }
        o.uvar(s.messages().size());
        for (StoredMessage m : s.messages()) {
            o.uvar(m.seq());
            o.str(m.subject());
            o.bytes(m.headers());
            o.bytes(m.data());
            o.svar(m.timestampNanos());
        }
        o.uvar(s.consumers().size());
        for (StreamReplica.ConsumerRecord c : s.consumers()) {
            o.str(c.name());
            o.bytes(c.meta());
            o.bytes(c.state());
        }
        o.bool(s.config() != null);
        if (s.config() != null) {
            o.uvar(s.configRevision());
            o.str(configJson(s.config()));
        }
        return o.seal();
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static String configJson(io.weft.engine.jetstream.StreamConfig c) {
        return c.toJson().toString();
    }

    private static io.weft.engine.jetstream.StreamConfig config(String json) {
        try {
            return io.weft.engine.jetstream.StreamConfig.parse(JSON.readTree(json)).withDefaults();
        } catch (io.weft.engine.jetstream.JsApiException | java.io.IOException | RuntimeException e) {
            throw new CorruptEntryException("unreadable stream configuration: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ decoding

    public static Entry decode(byte[] b) {
        In in = new In(b);
        int kind = in.header();
        long term = in.uvar();
        long epoch = in.uvar();
        long n = in.uvar();
        StreamOp op = switch (kind) {
            case BARRIER -> null;
            case APPEND -> append(in);
            case BATCH -> {
                String id = in.str();
                int count = in.count();
                if (count == 0) throw new CorruptEntryException("an empty batch");
                List<StreamOp.Append> appends = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    appends.add(append(in));
                }
                yield new StreamOp.Batch(id, appends);
            }
            case SKIP_TO -> new StreamOp.SkipTo(in.uvar());
            case PURGE -> {
                boolean has = in.bool();
                String f = in.str();
                yield new StreamOp.Purge(has ? f : null, in.uvar(), in.uvar());
            }
            case DELETE -> new StreamOp.Delete(in.uvar(), in.bool());
            case TRIM -> new StreamOp.Trim(limits(in));
            case CONSUMER_PUT -> new StreamOp.ConsumerPut(in.str(), in.bytes(), in.bytes());
            case CONSUMER_STATE -> new StreamOp.ConsumerState(in.str(), in.bytes());
            case CONSUMER_DELETE -> new StreamOp.ConsumerDelete(in.str());
            case CONFIG -> {
                long revision = in.uvar();
                yield new StreamOp.Config(revision, config(in.str()));
            }
            default -> throw new CorruptEntryException("unknown entry kind " + kind);
        };
        in.end();
        return new Entry(term, epoch, n, op);
    }

    private static StreamOp.Append append(In in) {
        long seq = in.uvar();
        long ts = in.svar();
        String subject = in.str();
        byte[] hdr = in.bytes();
        byte[] data = in.bytes();
        String msgId = in.str();
        long window = in.svar();
        int r = in.u8();
        if (r >= StreamOp.Rollup.values().length) throw new CorruptEntryException("rollup " + r);
        StreamOp.Limits limits = limits(in);
        boolean noInterest = in.bool();
        long ttl = in.svar();
        return new StreamOp.Append(seq, ts, subject, hdr, data, msgId, window, StreamOp.Rollup.values()[r], limits,
                noInterest, ttl);
    }

    private static StreamOp.Limits limits(In in) {
        return new StreamOp.Limits(in.svar(), in.svar(), in.svar(), in.bool());
    }

    public static Image decodeImage(byte[] b) {
        In in = new In(b);
        int kind = in.header();
        if (kind != IMAGE) throw new CorruptEntryException("not a snapshot: kind " + kind);
        long term = in.uvar();
        long epoch = in.uvar();
        long n = in.uvar();
        long first = in.uvar();
        long last = in.uvar();
        String lastId = in.str();
        long lastTs = in.svar();
        int ids = in.count();
        List<Map.Entry<String, long[]>> idList = new ArrayList<>(ids);
        for (int i = 0; i < ids; i++) {
            String id = in.str();
            idList.add(Map.entry(id, new long[] {in.uvar(), in.svar()}));
        }
        int msgs = in.count();
        List<StoredMessage> list = new ArrayList<>(msgs);
        for (int i = 0; i < msgs; i++) {
            long seq = in.uvar();
            String subject = in.str();
            byte[] hdr = in.bytes();
            byte[] data = in.bytes();
            list.add(new StoredMessage(seq, subject, hdr, data, in.svar()));
        }
        List<StreamReplica.ConsumerRecord> consumers = new ArrayList<>();
        if (!in.atEnd()) {
            int cs = in.count();
            for (int i = 0; i < cs; i++) {
                consumers.add(new StreamReplica.ConsumerRecord(in.str(), in.bytes(), in.bytes()));
            }
        }
        long revision = 0;
        io.weft.engine.jetstream.StreamConfig cfg = null;
        if (!in.atEnd() && in.bool()) {
            revision = in.uvar();
            cfg = config(in.str());
        }
        in.end();
        return new Image(term, epoch, n, new StreamReplica.Image(first, last, lastId, lastTs, idList, list, consumers,
                revision, cfg));
    }

    // ------------------------------------------------------------------ framing

    private static final class Out {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream(64);

        void u8(int v) {
            b.write(v);
        }

        void uvar(long v) {
            while ((v & ~0x7FL) != 0) {
                b.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            b.write((int) v);
        }

        void svar(long v) {
            uvar((v << 1) ^ (v >> 63));
        }

        void bool(boolean v) {
            b.write(v ? 1 : 0);
        }

        void bytes(byte[] v) {
            uvar(v.length);
            b.writeBytes(v);
        }

        void str(String s) {
            bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        byte[] seal() {
            CRC32C crc = new CRC32C();
            byte[] body = b.toByteArray();
            crc.update(body);
            long c = crc.getValue();
            byte[] out = java.util.Arrays.copyOf(body, body.length + 4);
            out[body.length] = (byte) (c >>> 24);
            out[body.length + 1] = (byte) (c >>> 16);
            out[body.length + 2] = (byte) (c >>> 8);
            out[body.length + 3] = (byte) c;
            return out;
        }
    }

    private static final class In {
        private final byte[] b;
        private final int end;
        private int pos;

        In(byte[] b) {
            if (b.length < 7) throw new CorruptEntryException("entry of " + b.length + " bytes");
            this.b = b;
            this.end = b.length - 4;
            CRC32C crc = new CRC32C();
            crc.update(b, 0, end);
            long want = ((b[end] & 0xFFL) << 24) | ((b[end + 1] & 0xFFL) << 16) | ((b[end + 2] & 0xFFL) << 8) | (b[end + 3] & 0xFFL);
            if (crc.getValue() != want) throw new CorruptEntryException("bad CRC");
        }

        int header() {
            int v = u8();
            if (v != VERSION) throw new CorruptEntryException("unknown version " + v);
            return u8();
        }

        int u8() {
            if (pos >= end) throw new CorruptEntryException("short entry");
            return b[pos++] & 0xFF;
        }

        long uvar() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int x = u8();
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) return v;
            }
            throw new CorruptEntryException("varint too long");
        }

        long svar() {
            long u = uvar();
            return (u >>> 1) ^ -(u & 1);
        }

        boolean bool() {
            int v = u8();
            if (v > 1) throw new CorruptEntryException("boolean " + v);
            return v == 1;
        }

        int count() {
            long n = uvar();
            if (n > end - pos) throw new CorruptEntryException("count " + n + " past the end");
            return (int) n;
        }

        byte[] bytes() {
            long n = uvar();
            if (n > end - pos) throw new CorruptEntryException("length " + n + " past the end");
            byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + (int) n);
            pos += (int) n;
            return out;
        }

        String str() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        boolean atEnd() {
            return pos == end;
        }

        void end() {
            if (pos != end) throw new CorruptEntryException((end - pos) + " trailing bytes");
        }
    }
}
