package io.weft.engine.monitor;

/**
 * The {@code sort=} keys of {@code /connz}, ordered as nats-server 2.9.10 orders them (checked
 * against it): cid and start ascending; subs, pending, msgs/bytes to/from, last activity, stop
 * and rtt largest first; uptime shortest first; reason alphabetically; and "idle", oddly, by
 * time active (last activity minus start) largest first. Ties keep cid order. {@code rtt} is a
 * 2.10 key (2.9.10 rejects it).
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
