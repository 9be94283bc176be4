package io.weft.server;

import io.weft.engine.ServerOptions;
import io.weft.engine.jetstream.JetStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The server-wide JetStream limits nats-server sets when {@code max_memory_store} or
 * {@code max_file_store} is not configured: three quarters of the machine's memory
 * ({@code MemTotal}), three quarters of the space available to the store directory (created first,
 * as nats-server does). Weft applies them before JetStream starts, so it enforces, logs and reports
 * in /varz and /jsz the same limits nats-server would.
 */
final class JetStreamDefaults {
    /** nats-server's fallbacks when the figures cannot be read: 256 MiB of memory, 1 TiB of store. */
    static final long MEMORY_FALLBACK = 256L << 20;
    static final long STORE_FALLBACK = 1L << 40;

    private JetStreamDefaults() {
    }

    static void apply(ServerOptions o) {
        if (!o.jetstream) {
            return;
        }
        if (o.jetstreamMaxMemory < 0) {
            long total = totalMemory();
            o.jetstreamMaxMemory = total > 0 ? total / 4 * 3 : MEMORY_FALLBACK;
        }
        if (o.jetstreamMaxStore < 0) {
            o.jetstreamMaxStore = storeAvailable(Path.of(JetStream.storeRoot(o)));
        }
    }

    /** The machine's memory in bytes from /proc/meminfo, 0 when unknown. */
    static long totalMemory() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
            for (String line : lines) {
                if (line.startsWith("MemTotal:")) {
                    String[] parts = line.substring(9).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: the fallback below
        }
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getTotalMemorySize() : 0;
    }

    static long storeAvailable(Path root) {
        try {
            Files.createDirectories(root);
            return Files.getFileStore(root).getUsableSpace() / 4 * 3;
        } catch (IOException | RuntimeException e) {
            return STORE_FALLBACK;
        }
    }
}
