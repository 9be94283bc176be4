package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.net.Disk;
import io.weft.net.DiskFile;
import io.weft.store.SubjectBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * A stream's meta file ({@code meta.json} in the stream directory): a first line with the CRC32C
 * (8 hex digits) of the rest, then {@code {"config":{...},"created":<epoch nanos>}}. Written to a
 * temp file, forced, renamed over the old one, and the directory synced, so a crash leaves either
 * the old or the new file, never a torn one.
 */
public final class StreamMeta {
    public static final String FILE = "meta.json";

    private StreamMeta() {
    }

    /** What a meta file holds. */
    public record Contents(StreamConfig config, long createdNanos) {
    }

    public static void write(Disk disk, String dir, StreamConfig cfg, long createdNanos, ObjectMapper mapper)
            throws IOException {
        ObjectNode o = mapper.createObjectNode();
        o.set("config", cfg.toJson());
        o.put("created", createdNanos);
        byte[] body = mapper.writeValueAsBytes(o);
        CRC32C crc = new CRC32C();
        crc.update(body);
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 10);
        out.writeBytes(String.format("%08x\n", crc.getValue()).getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body);
        byte[] all = out.toByteArray();
        String tmp = dir + "/" + FILE + ".tmp";
        if (disk.exists(tmp)) {
            disk.delete(tmp);
        }
        try (DiskFile f = disk.open(tmp, true)) {
            f.truncate(0);
            f.write(ByteBuffer.wrap(all), 0);
            f.force();
        }
        disk.rename(tmp, dir + "/" + FILE);
        disk.syncDir(dir);
    }

    /** Reads and verifies a meta file; throws IOException when missing, torn or corrupt. */
    public static Contents read(Disk disk, String dir, ObjectMapper mapper) throws IOException {
        byte[] all;
        try (DiskFile f = disk.open(dir + "/" + FILE, false)) {
            long size = f.size();
            if (size > 16L * 1024 * 1024) {
                throw new IOException("meta file too large");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining()) {
                if (f.read(buf, buf.position()) < 0) {
                    break;
                }
            }
            all = buf.array();
        }
        if (all.length < 10 || all[8] != '\n') {
            throw new IOException("meta file is truncated");
        }
        long want;
        try {
            want = Long.parseLong(new String(all, 0, 8, StandardCharsets.US_ASCII), 16);
        } catch (NumberFormatException e) {
            throw new IOException("meta file checksum is unreadable");
        }
        CRC32C crc = new CRC32C();
        crc.update(all, 9, all.length - 9);
        if (crc.getValue() != want) {
            throw new IOException("meta file checksum mismatch");
        }
        // read as text: Jackson's byte parser refuses an escaped subject byte (\\udcff) in a field name
        JsonNode n = mapper.readTree(SubjectBytes.decode(all, 9, all.length - 9));
        try {
            return new Contents(StreamConfig.parse(n.get("config")), n.path("created").asLong());
        } catch (JsApiException e) {
            throw new IOException("meta file config is invalid: " + e.getMessage());
        }
    }
}
