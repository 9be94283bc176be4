package io.weft.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Sends raw protocol bytes over a plain socket, collects the reply until the server closes the
 * connection or stays silent for {@link #SILENCE_MILLIS}, and normalises it into a list of
 * protocol operations that can be compared between two servers.
 */
final class RawExchange {
    /** Quiet time that ends an exchange; {@code -Dweft.diff.silenceMillis=N} raises it for a cold JVM. */
    static final int SILENCE_MILLIS = Integer.getInteger("weft.diff.silenceMillis", 300);
    static final String CLOSED = "<closed>";
    static final String OPEN = "<open>";
    /** INFO fields whose values differ per server instance or per connection; only their presence is compared. */
    static final Set<String> INFO_VOLATILE = Set.of("server_id", "server_name", "name", "version", "go",
            "git_commit", "host", "client_id", "client_ip", "nonce", "port", "connect_urls", "xkey");
    /**
     * INFO fields nats-server 2.12+ sends that weft leaves out on purpose, so their absence is not a
     * difference: {@code api_lvl} is left out until weft announces a JetStream API level above 0
     * (issue 17; nats-server leaves it out at 0 too): 2.15.1 sends 5. ({@code xkey}, the server's
     * curve key, weft sends as 2.15.1 does, in every INFO.)
     */
    static final Set<String> INFO_NOT_IN_WEFT = Set.of("api_lvl");
    /** INFO fields whose values are compared. */
    static final List<String> INFO_COMPARED = List.of("proto", "headers", "max_payload", "auth_required", "connect_info",
            "remote_account");

    private static final ObjectMapper JSON = new ObjectMapper();

    private RawExchange() {}

    /** The normalised transcript: protocol ops in order, then {@link #CLOSED} or {@link #OPEN}. */
    static List<String> run(int port, byte[] toSend) throws IOException {
        byte[] raw;
        boolean closed;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setTcpNoDelay(true);
            s.setSoTimeout(SILENCE_MILLIS);
            s.getOutputStream().write(toSend);
            s.getOutputStream().flush();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            closed = readUntilCloseOrSilence(s.getInputStream(), got);
            raw = got.toByteArray();
        }
        List<String> ops = sortFanOut(parse(raw));
        ops.add(closed ? CLOSED : OPEN);
        return ops;
    }

    /**
     * One published message fanned out to several subscriptions of the same connection arrives as
     * adjacent MSG/HMSG ops that differ only in the sid; nats-server's order among them is not
     * defined (it varies run to run), so each such run is sorted. Order between different
     * messages is kept.
     */
    static List<String> sortFanOut(List<String> ops) {
        List<String> out = new ArrayList<>(ops.size());
        int i = 0;
        while (i < ops.size()) {
            String key = fanOutKey(ops.get(i));
            int j = i + 1;
            if (key != null) {
                while (j < ops.size() && key.equals(fanOutKey(ops.get(j)))) {
                    j++;
                }
            }
            List<String> run = new ArrayList<>(ops.subList(i, j));
            run.sort(null);
            out.addAll(run);
            i = j;
        }
        return out;
    }

    /** The op with its sid blanked, or null when it is not a MSG/HMSG. */
    private static String fanOutKey(String op) {
        if (!op.startsWith("MSG ") && !op.startsWith("HMSG ")) {
            return null;
        }
        String[] parts = op.split(" ", 4);
        return parts.length < 4 ? op : parts[0] + " " + parts[1] + " _ " + parts[3];
    }

    private static boolean readUntilCloseOrSilence(InputStream in, ByteArrayOutputStream out) throws IOException {
        byte[] buf = new byte[8192];
        long hardDeadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < hardDeadline) {
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset: the server closed on us
            }
            if (n < 0) {
                return true;
            }
            out.write(buf, 0, n);
        }
        return false;
    }

    /** Splits a server byte stream into normalised operations. */
    static List<String> parse(byte[] raw) {
        List<String> ops = new ArrayList<>();
        int pos = 0;
        while (pos < raw.length) {
            int eol = indexOfCrlf(raw, pos);
            if (eol < 0) {
                ops.add("PARTIAL " + escape(raw, pos, raw.length));
                break;
            }
            String line = new String(raw, pos, eol - pos, StandardCharsets.UTF_8);
            pos = eol + 2;
            String[] parts = line.trim().split("\\s+");
            String op = parts[0].toUpperCase();
            if (op.equals("INFO")) {
                ops.add(normaliseInfo(line.trim().substring(4).trim()));
            } else if (op.equals("MSG") || op.equals("HMSG")) {
                int total;
                try {
                    total = Integer.parseInt(parts[parts.length - 1]);
                } catch (NumberFormatException e) {
                    ops.add("BAD " + line);
                    continue;
                }
                int end = Math.min(raw.length, pos + total);
                String body = escape(raw, pos, end);
                pos = end;
                String trailer = "";
                if (pos + 2 <= raw.length && raw[pos] == '\r' && raw[pos + 1] == '\n') {
                    pos += 2;
                } else {
                    trailer = " (payload not followed by CRLF)";
                }
                ops.add(String.join(" ", parts) + " | " + body + trailer);
            } else {
                ops.add(line);
            }
        }
        return ops;
    }

    static String normaliseInfo(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            Set<String> keys = new TreeSet<>();
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!INFO_NOT_IN_WEFT.contains(k)) {
                    keys.add(k);
                }
            }
            StringBuilder sb = new StringBuilder("INFO keys=").append(keys);
            for (String k : INFO_COMPARED) {
                sb.append(' ').append(k).append('=').append(node.has(k) ? node.get(k).toString() : "-");
            }
            return sb.toString();
        } catch (IOException e) {
            return "INFO (unparseable) " + json;
        }
    }

    private static int indexOfCrlf(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    static String escape(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            switch (c) {
                case '\r' -> sb.append("\\r");
                case '\n' -> sb.append("\\n");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        sb.append(String.format("\\x%02x", c));
                    } else {
                        sb.append((char) c);
                    }
                }
            }
        }
        if (sb.length() > 300) {
            return sb.substring(0, 300) + "...(" + (to - from) + " bytes)";
        }
        return sb.toString();
    }

    /** A readable op-by-op comparison of two transcripts. */
    static String diff(String leftName, List<String> left, String rightName, List<String> right) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("   %-3s %s%n", "#", "  " + leftName + "  vs  " + rightName));
        int n = Math.max(left.size(), right.size());
        for (int i = 0; i < n; i++) {
            String l = i < left.size() ? left.get(i) : "(nothing)";
            String r = i < right.size() ? right.get(i) : "(nothing)";
            if (l.equals(r)) {
                sb.append(String.format("   %-3d   %s%n", i, l));
            } else {
                sb.append(String.format(" ! %-3d - %s: %s%n", i, leftName, l));
                sb.append(String.format("   %-3s + %s: %s%n", "", rightName, r));
            }
        }
        return sb.toString();
    }
}
