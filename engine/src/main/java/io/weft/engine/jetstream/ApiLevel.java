package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.server.Server;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JetStream API level (ADR-44) weft announces, and the {@code _nats.*} metadata nats-server
 * 2.11+ adds to stream and consumer configs in its replies: {@code _nats.req.level} (the level the
 * config needs), and in create, info and update replies also {@code _nats.level} (the server's
 * level) and {@code _nats.ver} (its version). A client's own {@code _nats.*} keys are dropped.
 *
 * <p>Weft announces the highest level whose every feature it implements ({@link Server#API_LEVEL});
 * docs/jetstream.md lists each feature with its level.
 */
public final class ApiLevel {
    /** The level weft implements in full. */
    public static final int LEVEL = Server.API_LEVEL;
    static final String PREFIX = "_nats.";

    private ApiLevel() {
    }

    /** Removes a client's {@code _nats.*} keys from a request's {@code metadata} object (in place). */
    public static void stripReserved(JsonNode config) {
        if (config != null && config.get("metadata") instanceof ObjectNode md) {
            for (Iterator<String> it = md.fieldNames(); it.hasNext(); ) {
                if (it.next().startsWith(PREFIX)) {
                    it.remove();
                }
            }
        }
    }

    /**
     * Sets {@code config.metadata} as nats-server shows it: the client's keys, {@code _nats.req.level}
     * and, unless {@code storedOnly} (LIST replies show the stored config), the server's level and
     * version; keys in Go's map order (sorted).
     */
    public static void annotate(ObjectNode config, Map<String, String> userMetadata, int requiredLevel, boolean storedOnly) {
        TreeMap<String, String> md = new TreeMap<>();
        userMetadata.forEach((k, v) -> {
            if (!k.startsWith(PREFIX)) {
                md.put(k, v);
            }
        });
        md.put(PREFIX + "req.level", Integer.toString(requiredLevel));
        if (!storedOnly) {
            md.put(PREFIX + "level", Integer.toString(LEVEL));
            md.put(PREFIX + "ver", Server.COMPAT_VERSION);
        }
        ObjectNode m = config.putObject("metadata");
        md.forEach(m::put);
    }
}
