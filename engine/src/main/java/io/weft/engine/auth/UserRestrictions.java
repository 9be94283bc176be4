package io.weft.engine.auth;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The connect-time restrictions of a user JWT, as nats-server 2.15.1 checks them: {@code src}
 * (the client's address must be in one of the CIDR blocks), {@code times} (the connect must fall
 * in one of the daily ranges, read in {@code times_location} or the server's zone; the client is
 * disconnected when the range ends) and {@code allowed_connection_types} (weft only has
 * {@code STANDARD} connections).
 */
public final class UserRestrictions {

    /** The connection types nats-server knows; others in a JWT are ignored unless nothing known is left. */
    static final Set<String> KNOWN_TYPES = Set.of("STANDARD", "WEBSOCKET", "LEAFNODE", "LEAFNODE_WS", "MQTT",
            "MQTT_WS", "IN_PROCESS");

    private UserRestrictions() {
    }

    /** The {@code src} claim: a list of CIDRs or one comma-separated string, lower-cased and trimmed as nats-io/jwt reads it. */
    static List<String> cidrs(JsonNode src) {
        List<String> out = new ArrayList<>();
        if (src == null || src.isNull()) {
            return out;
        }
        if (src.isTextual()) {
            for (String s : src.asText().split(",", -1)) {
                String v = s.trim().toLowerCase(Locale.ROOT);
                if (!v.isEmpty() && !out.contains(v)) {
                    out.add(v);
                }
            }
            return out;
        }
        for (JsonNode s : src) {
            out.add(s.asText());
        }
        return out;
    }

    /** Whether a CIDR is one nats-io/jwt's validation (Go's ParseCIDR) accepts. */
    static boolean validCidr(String cidr) {
        return parseCidr(cidr) != null;
    }

    /** True when {@code host} (an IP address) is in one of the blocks; no blocks: always. */
    static boolean srcAllows(List<String> cidrs, String host) {
        if (cidrs.isEmpty()) {
            return true;
        }
        if (host == null || host.isEmpty()) {
            return false;
        }
        byte[] ip = literal(host);
        if (ip == null) {
            return false;
        }
        for (String c : cidrs) {
            Object[] block = parseCidr(c);
            if (block == null) {
                return false;
            }
            if (contains((byte[]) block[0], (Integer) block[1], ip)) {
                return true;
            }
        }
        return false;
    }

    /** {network bytes, prefix length} or null. */
    private static Object[] parseCidr(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            return null;
        }
        byte[] ip = literal(cidr.substring(0, slash));
        String bits = cidr.substring(slash + 1);
        if (ip == null || bits.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(Character::isDigit)
                || (bits.length() > 1 && bits.charAt(0) == '0')) {
            return null;
        }
        int n = Integer.parseInt(bits);
        if (n > ip.length * 8) {
            return null;
        }
        return new Object[] {ip, n};
    }

    private static boolean contains(byte[] net, int bits, byte[] ip) {
        byte[] a = net;
        byte[] b = ip;
        // an IPv4 address against an IPv6 block (or the reverse) compares in the IPv4-mapped form, as Go does
        if (a.length != b.length) {
            a = mapped(a);
            b = mapped(b);
            if (net.length == 4) {
                bits += 96;
            }
        }
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >> (i % 8);
            if ((a[i / 8] & mask) != (b[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    private static byte[] mapped(byte[] ip) {
        if (ip.length == 16) {
            return ip;
        }
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        System.arraycopy(ip, 0, m, 12, 4);
        return m;
    }

    /** The bytes of an IP literal (never a name lookup), or null. */
    private static byte[] literal(String s) {
        if (s.isEmpty()) {
            return null;
        }
        boolean v4 = s.chars().allMatch(ch -> ch == '.' || Character.isDigit(ch));
        if (v4) {
            String[] parts = s.split("\\.", -1);
            if (parts.length != 4) {
                return null;
            }
            byte[] out = new byte[4];
            for (int i = 0; i < 4; i++) {
                String p = parts[i];
                if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                    return null;
                }
                int v = Integer.parseInt(p);
                if (v > 255) {
                    return null;
                }
                out[i] = (byte) v;
            }
            return out;
        }
        if (s.indexOf(':') < 0 || !s.chars().allMatch(ch -> ch == ':' || ch == '.' || Character.digit(ch, 16) >= 0)) {
            return null;
        }
        try {
            byte[] b = InetAddress.getByName(s).getAddress(); // a literal: no lookup
            return b;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** A {@code times} range as written, {@code HH:MM:SS} start and end. */
    record TimeRange(LocalTime start, LocalTime end) {
    }

    /** Parses {@code times}; null when an entry is not a valid range (the JWT is then refused). */
    static List<TimeRange> times(JsonNode times) {
        List<TimeRange> out = new ArrayList<>();
        if (times == null || times.isNull()) {
            return out;
        }
        for (JsonNode t : times) {
            LocalTime s = clock(t.path("start").asText(""));
            LocalTime e = clock(t.path("end").asText(""));
            if (s == null || e == null) {
                return null;
            }
            out.add(new TimeRange(s, e));
        }
        return out;
    }

    /** Go's "15:04:05": one- or two-digit hour, two-digit minutes and seconds. */
    private static LocalTime clock(String s) {
        String[] p = s.split(":", -1);
        if (p.length != 3 || p[0].isEmpty() || p[0].length() > 2 || p[1].length() != 2 || p[2].length() != 2) {
            return null;
        }
        for (String x : p) {
            if (!x.chars().allMatch(Character::isDigit)) {
                return null;
            }
        }
        int h = Integer.parseInt(p[0]);
        int m = Integer.parseInt(p[1]);
        int sec = Integer.parseInt(p[2]);
        if (h > 23 || m > 59 || sec > 59) {
            return null;
        }
        return LocalTime.of(h, m, sec);
    }

    /** The zone for {@code times_location} ("" = the server's), or null when it is not a zone name. */
    static ZoneId zone(String location) {
        if (location == null || location.isEmpty() || location.equals("Local")) {
            return ZoneId.systemDefault();
        }
        try {
            return ZoneId.of(location);
        } catch (DateTimeException e) {
            return null;
        }
    }

    /**
     * -1 when {@code now} is in none of the ranges, else the seconds left until the end of the
     * range that lasts longest from now (0 when there are no ranges: no restriction). The ranges
     * are today's in {@code zone}; one whose end comes before its start runs past midnight.
     */
    static long secondsLeft(List<TimeRange> ranges, ZoneId zone, long nowSeconds) {
        if (ranges.isEmpty()) {
            return 0;
        }
        ZonedDateTime now = Instant.ofEpochSecond(nowSeconds).atZone(zone);
        long best = -1;
        for (TimeRange r : ranges) {
            ZonedDateTime start = now.with(r.start()).withNano(0);
            ZonedDateTime end = now.with(r.end()).withNano(0);
            long left = -1;
            if (start.isBefore(now) && end.isAfter(now)) {
                left = end.toEpochSecond() - nowSeconds;
            } else if (start.isAfter(end)) {
                if (end.isAfter(now)) {
                    left = end.toEpochSecond() - nowSeconds;
                } else {
                    ZonedDateTime tomorrow = end.plusDays(1);
                    if (start.isBefore(now) && tomorrow.isAfter(now)) {
                        left = tomorrow.toEpochSecond() - nowSeconds;
                    }
                }
            }
            if (left >= 0 && left > best) {
                best = left;
            }
        }
        return best;
    }

    /**
     * nats-server's reading of {@code allowed_connection_types}: upper-cased, unknown names left
     * out. Returns null when the list is empty or still allows a standard connection, else why not.
     */
    static String connectionTypeRefusal(JsonNode types) {
        if (types == null || types.isNull() || types.isEmpty()) {
            return null;
        }
        Set<String> known = new LinkedHashSet<>();
        List<String> unknown = new ArrayList<>();
        for (JsonNode t : types) {
            String v = t.asText().toUpperCase(Locale.ROOT);
            if (KNOWN_TYPES.contains(v)) {
                known.add(v);
            } else {
                unknown.add(v);
            }
        }
        if (!unknown.isEmpty() && known.isEmpty()) {
            StringBuilder sb = new StringBuilder("invalid connection types [");
            for (int i = 0; i < unknown.size(); i++) {
                sb.append(i == 0 ? "" : " ").append('"').append(unknown.get(i)).append('"');
            }
            return sb.append(']').toString();
        }
        return known.contains("STANDARD") ? null : "Connection type not allowed";
    }
}
