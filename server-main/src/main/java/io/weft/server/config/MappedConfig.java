package io.weft.server.config;

import io.weft.engine.ServerOptions;
import java.time.Duration;
import java.util.List;

/**
 * The result of mapping a config tree: the options, the warnings to log (ignored or not yet
 * supported settings), and settings read now but used by later parts of weft.
 *
 * @param jetstreamSyncInterval {@code jetstream { sync_interval }}, or null when not set
 * @param strictErrors the warnings that nats-server's {@code -t} reports as errors (a duration
 *     written as a number), so that {@code weft serve -t} fails on the same files
 */
public record MappedConfig(ServerOptions options, List<String> warnings, Duration jetstreamSyncInterval,
                           List<String> strictErrors) {
    public MappedConfig {
        warnings = List.copyOf(warnings);
        strictErrors = List.copyOf(strictErrors);
    }

    public MappedConfig(ServerOptions options, List<String> warnings, Duration jetstreamSyncInterval) {
        this(options, warnings, jetstreamSyncInterval, List.of());
    }
}
