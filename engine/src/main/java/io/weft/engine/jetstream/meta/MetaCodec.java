package io.weft.engine.jetstream.meta;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The meta group's binary encoding: one {@link MetaOp} per log entry, and the snapshot of the whole
 * assignment map. Big-endian, every string length-prefixed UTF-8, lists count-prefixed; the same
 * value always encodes to the same bytes (the map is walked in name order), so two members holding
 * the same assignments produce byte-identical snapshots. An op starts with its version and tag
 * (append-only: 1 add stream, 2 update stream, 3 delete stream, 4 add consumer, 5 delete consumer, 6 set a stream's peers);
 * a snapshot ends with a CRC32C of everything before it, so a damaged one is refused rather than
 * read as an empty (or shorter) catalog.
 *
 * <p>Versions: entries of version 2 and snapshots of magic {@code WMS2} carry each stream
 * assignment's {@code revision} after its creation time; version 1 entries and {@code WMS1}
 * snapshots (written before revisions existed) are still read, their streams at revision 0. A
 * set-peers entry may end with a new Raft group name (scaling to or from R1 starts a new group);
 * one without it keeps the group (a weft built before it cannot read an entry that has one).
 */
public final class MetaCodec {
    private static final int VERSION = 2;
    /** Entries before stream assignments had a revision. */
    private static final int VERSION_1 = 1;
    private static final int SNAPSHOT_MAGIC = 0x574D5332; // "WMS2"
    private static final int SNAPSHOT_MAGIC_1 = 0x574D5331; // "WMS1": no revisions

    private MetaCodec() {
    }

    /** A meta entry or snapshot that cannot be decoded. */
    public static final class DecodeException extends RuntimeException {
        DecodeException(String why, Throwable cause) {
            super(why, cause);
        }
    }

    public static byte[] encode(MetaOp op) {
        return write(out -> {
            out.writeByte(VERSION);
            switch (op) {
                case MetaOp.AddStream a -> {
                    out.writeByte(1);
                    stream(out, a.stream());
                }
                case MetaOp.UpdateStream u -> {
                    out.writeByte(2);
                    stream(out, u.stream());
                }
                case MetaOp.DeleteStream d -> {
                    out.writeByte(3);
                    str(out, d.account());
                    str(out, d.name());
                }
                case MetaOp.AddConsumer a -> {
                    out.writeByte(4);
                    consumer(out, a.consumer());
                }
                case MetaOp.DeleteConsumer d -> {
                    out.writeByte(5);
                    str(out, d.account());
                    str(out, d.stream());
                    str(out, d.name());
                }
                case MetaOp.SetPeers sp -> {
                    out.writeByte(6);
                    str(out, sp.account());
                    str(out, sp.name());
                    longs(out, sp.peers());
                    out.writeBoolean(sp.config() != null);
                    if (sp.config() != null) {
                        str(out, sp.config());
                        strs(out, sp.subjects() == null ? List.of() : sp.subjects());
                    }
                    out.writeLong(sp.expectRevision());
                    if (sp.group() != null) {
                        str(out, sp.group()); // a new Raft group (scaling to or from R1); absent: the same
                    }
                }
            }
        });
    }

    public static MetaOp decode(byte[] bytes) {
        return read(bytes, in -> {
            int v = in.readUnsignedByte();
            if (v != VERSION && v != VERSION_1) {
                throw new IOException("unknown meta entry version " + v);
            }
            boolean revised = v >= VERSION;
            int tag = in.readUnsignedByte();
            MetaOp op = switch (tag) {
                case 1 -> new MetaOp.AddStream(stream(in, revised));
                case 2 -> new MetaOp.UpdateStream(stream(in, revised));
                case 3 -> new MetaOp.DeleteStream(str(in), str(in));
                case 4 -> new MetaOp.AddConsumer(consumer(in));
                case 5 -> new MetaOp.DeleteConsumer(str(in), str(in), str(in));
                case 6 -> {
                    String account = str(in);
                    String name = str(in);
                    List<Long> peers = longs(in);
                    boolean hasConfig = in.readBoolean();
                    String config = hasConfig ? str(in) : null;
                    List<String> subjects = hasConfig ? strs(in) : null;
                    long expect = in.readLong();
                    yield new MetaOp.SetPeers(account, name, peers, config, subjects, expect,
                            in.available() > 0 ? str(in) : null);
                }
                default -> throw new IOException("unknown meta entry tag " + tag);
            };
            if (in.available() != 0) {
                throw new IOException("trailing bytes after meta entry");
            }
            return op;
        });
    }

    /** One stream with its consumers, as a snapshot holds it. */
    public record StreamWithConsumers(StreamAssignment stream, List<ConsumerAssignment> consumers) {
        public StreamWithConsumers {
            consumers = List.copyOf(consumers);
        }
    }

    /** The whole assignment map, streams in (account, name) order and consumers in name order. */
    public static byte[] encodeSnapshot(List<StreamWithConsumers> streams) {
        byte[] body = write(out -> {
            out.writeInt(SNAPSHOT_MAGIC);
            out.writeInt(streams.size());
            for (StreamWithConsumers s : streams) {
                stream(out, s.stream());
                out.writeInt(s.consumers().size());
                for (ConsumerAssignment c : s.consumers()) {
                    consumer(out, c);
                }
            }
        });
        CRC32C crc = new CRC32C();
        crc.update(body);
        byte[] all = new byte[body.length + 4];
        System.arraycopy(body, 0, all, 0, body.length);
        int c = (int) crc.getValue();
        all[body.length] = (byte) (c >>> 24);
        all[body.length + 1] = (byte) (c >>> 16);
        all[body.length + 2] = (byte) (c >>> 8);
        all[body.length + 3] = (byte) c;
        return all;
    }

    public static List<StreamWithConsumers> decodeSnapshot(byte[] bytes) {
        if (bytes.length == 0) {
            return List.of(); // the empty snapshot a fresh group starts from
        }
        if (bytes.length < 12) {
            throw new DecodeException("meta snapshot too short (" + bytes.length + " bytes)", null);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int want = ((bytes[bytes.length - 4] & 0xff) << 24) | ((bytes[bytes.length - 3] & 0xff) << 16)
                | ((bytes[bytes.length - 2] & 0xff) << 8) | (bytes[bytes.length - 1] & 0xff);
        if ((int) crc.getValue() != want) {
            throw new DecodeException("meta snapshot checksum mismatch", null);
        }
        byte[] body = java.util.Arrays.copyOf(bytes, bytes.length - 4);
        return read(body, in -> {
            int magic = in.readInt();
            if (magic != SNAPSHOT_MAGIC && magic != SNAPSHOT_MAGIC_1) {
                throw new IOException("not a meta snapshot");
            }
            boolean revised = magic == SNAPSHOT_MAGIC;
            int n = in.readInt();
            List<StreamWithConsumers> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                StreamAssignment sa = stream(in, revised);
                int nc = in.readInt();
                List<ConsumerAssignment> cs = new ArrayList<>(nc);
                for (int j = 0; j < nc; j++) {
                    cs.add(consumer(in));
                }
                out.add(new StreamWithConsumers(sa, cs));
            }
            if (in.available() != 0) {
                throw new IOException("trailing bytes after meta snapshot");
            }
            return out;
        });
    }

    // ------------------------------------------------------------------ parts

    private static void stream(DataOutputStream out, StreamAssignment s) throws IOException {
        str(out, s.account());
        str(out, s.name());
        str(out, s.config());
        strs(out, s.subjects());
        longs(out, s.peers());
        str(out, s.group());
        out.writeLong(s.createdNanos());
        out.writeLong(s.revision());
    }

    /** A stream assignment; {@code revised}: written with its revision (version 2 entries, WMS2 snapshots). */
    private static StreamAssignment stream(DataInputStream in, boolean revised) throws IOException {
        return new StreamAssignment(str(in), str(in), str(in), strs(in), longs(in), str(in), in.readLong(),
                revised ? in.readLong() : 0);
    }

    private static void consumer(DataOutputStream out, ConsumerAssignment c) throws IOException {
        str(out, c.account());
        str(out, c.stream());
        str(out, c.name());
        str(out, c.config());
        longs(out, c.peers());
        out.writeLong(c.createdNanos());
    }

    private static ConsumerAssignment consumer(DataInputStream in) throws IOException {
        return new ConsumerAssignment(str(in), str(in), str(in), str(in), longs(in), in.readLong());
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String str(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("bad string length " + n);
        }
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    private static void strs(DataOutputStream out, List<String> l) throws IOException {
        out.writeInt(l.size());
        for (String s : l) {
            str(out, s);
        }
    }

    private static List<String> strs(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("bad list length " + n);
        }
        List<String> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(str(in));
        }
        return l;
    }

    private static void longs(DataOutputStream out, List<Long> l) throws IOException {
        out.writeInt(l.size());
        for (long v : l) {
            out.writeLong(v);
        }
    }

    private static List<Long> longs(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n * 8L > in.available()) {
            throw new IOException("bad list length " + n);
        }
        List<Long> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(in.readLong());
        }
        return l;
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    private static byte[] write(Writer w) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(b)) {
            w.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return b.toByteArray();
    }

    private static <T> T read(byte[] bytes, Reader<T> r) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            return r.read(in);
        } catch (IOException | RuntimeException e) {
            throw new DecodeException("undecodable meta data: " + e.getMessage(), e);
        }
    }
}
