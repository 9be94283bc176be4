package io.weft.engine.monitor;

import java.util.Locale;

/**
 * The query of {@code /connz}.
 *
 * @param sort the sort key; {@link ConnzSort#CID} by default
 * @param subs list subscription subjects ({@code subs=1})
 * @param detail list subscription details ({@code subs=detail})
 * @param auth show {@code authorized_user} and {@code account}
 * @param offset first connection of the page (negative becomes 0)
 * @param limit page size ({@code <= 0} becomes 1024)
 * @param cid only this connection id; 0 for all
 * @param account only connections of this account; "" for all
 * @param user only connections authenticated as this user; "" for all
 * @param mqttClient only this MQTT client id ("" for all; weft has no MQTT so any value matches nothing)
 */
public record ConnzOptions(ConnzSort sort, State state, boolean subs, boolean detail, boolean auth,
                           int offset, int limit, long cid, String account, String user, String mqttClient) {
    public static final int DEFAULT_LIMIT = 1024;

    /** Which connections: open (default), closed, or both ({@code any} or {@code all}). */
    public enum State { OPEN, CLOSED, ANY }

    /** Defaults: open connections sorted by cid, 1024 per page. */
    public static ConnzOptions defaults() {
        return new ConnzOptions(ConnzSort.CID, State.OPEN, false, false, false, 0, DEFAULT_LIMIT, 0, "", "", "");
    }

    /** Reads and checks the query as nats-server does, with its error messages. */
    public static ConnzOptions parse(MonitorQuery q) throws MonitorException {
        String sortName = q.get("sort");
        ConnzSort sort = ConnzSort.CID;
        if (!sortName.isEmpty()) {
            sort = ConnzSort.byName(sortName);
            if (sort == null) {
                throw new MonitorException("invalid sorting option: " + sortName);
            }
        }
        boolean subs = false;
        boolean detail = false;
        String subsValue = q.get("subs");
        if (subsValue.equals("detail")) {
            detail = true;
        } else {
            subs = q.getBool("subs");
        }
        boolean auth = q.getBool("auth");
        long offset = q.getInt("offset", 0);
        long limit = q.getInt("limit", 0);
        long cid = q.getUint64("cid");
        String stateName = q.get("state");
        State state = switch (stateName.toLowerCase(Locale.ROOT)) {
            case "", "open" -> State.OPEN;
            case "closed" -> State.CLOSED;
            case "any", "all" -> State.ANY;
            default -> throw new MonitorException("Error decoding state for " + stateName);
        };
        if (state != State.CLOSED && (sort == ConnzSort.STOP || sort == ConnzSort.REASON)) {
            throw new MonitorException("sort by " + sort.key() + " only valid on closed connections");
        }
        return new ConnzOptions(sort, state, subs, detail, auth, clampOffset(offset), clampLimit(limit), cid,
                q.get("acc"), q.get("user"), q.get("mqtt_client"));
    }

    static int clampOffset(long offset) {
        return offset < 0 ? 0 : (int) Math.min(offset, Integer.MAX_VALUE);
    }

    static int clampLimit(long limit) {
        return limit <= 0 ? DEFAULT_LIMIT : (int) Math.min(limit, Integer.MAX_VALUE);
    }
}
