package io.weft.server.config;

import io.weft.engine.ServerOptions;
import java.time.Duration;
import java.util.List;

/**
 * The result of mapping a config tree: the options, the warnings to log (ignored or not yet
 * supported settings), and settings read now but used by later parts of weft.
 *
 * @param jetstreamSyncInterval {@code jetstream { sync_interval }}, or null when not set
 */
public record MappedConfig(ServerOptions options, List<String> warnings, Duration jetstreamSyncInterval) {
    public MappedConfig {
        warnings = List.copyOf(warnings);
    }
}
