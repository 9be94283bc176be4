package io.weft.engine.monitor;

/**
 * The {@code sort=} keys of {@code /connz}. Counters, times since and round trips sort largest
 * first; cid and start oldest first; reason alphabetically. Ties keep cid order.
 */
public enum ConnzSort {
    CID("cid"),
    START("start"),
    SUBS("subs"),
    PENDING("pending"),
    MSGS_TO("msgs_to"),
    MSGS_FROM("msgs_from"),
    BYTES_TO("bytes_to"),
    BYTES_FROM("bytes_from"),
    LAST("last"),
    IDLE("idle"),
    UPTIME("uptime"),
    STOP("stop"),
    REASON("reason"),
    RTT("rtt");

    private final String key;

    ConnzSort(String key) {
        this.key = key;
    }

    /** The query value, e.g. {@code msgs_to}. */
    public String key() {
        return key;
    }

    /** The sort for a query value (case-sensitive, as nats-server), or null. */
    public static ConnzSort byName(String name) {
        for (ConnzSort s : values()) {
            if (s.key.equals(name)) {
                return s;
            }
        }
        return null;
    }
}
