package io.weft.engine.protocol;

import io.weft.store.SubjectBytes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A NATS header block: {@code NATS/1.0[ code[ description]]\r\n(Key: value\r\n)*\r\n}. An ordered
 * multimap that keeps each key's case as written, plus the optional status code and description.
 * Key lookup is exact (case-sensitive), as in nats-server; {@link #getIgnoreCase} is offered too.
 * Mutable and not thread-safe.
 */
public final class Headers {
    public static final String VERSION_LINE = "NATS/1.0";
    /** The header block nats-server sends as an HMSG to a requester when nobody is subscribed. */
    public static final byte[] NO_RESPONDERS = "NATS/1.0 503\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] NO_RESPONDERS_SUBJECT = "NATS/1.0 503\r\nNats-Subject: ".getBytes(StandardCharsets.US_ASCII);

    /**
     * The "no responders" status as nats-server 2.12+ sends it: {@code NATS/1.0 503} and the
     * subject nobody serves in {@code Nats-Subject} (its bytes as they came, see {@link SubjectBytes}).
     */
    public static byte[] noResponders(String subject) {
        byte[] s = SubjectBytes.encode(subject);
        byte[] h = new byte[NO_RESPONDERS_SUBJECT.length + s.length + 4];
        System.arraycopy(NO_RESPONDERS_SUBJECT, 0, h, 0, NO_RESPONDERS_SUBJECT.length);
        System.arraycopy(s, 0, h, NO_RESPONDERS_SUBJECT.length, s.length);
        h[h.length - 4] = '\r';
        h[h.length - 3] = '\n';
        h[h.length - 2] = '\r';
        h[h.length - 1] = '\n';
        return h;
    }

    private final List<String> keys = new ArrayList<>();
    private final List<String> values = new ArrayList<>();
    private int status;
    private String description = "";

    public Headers() {
    }

    /** 0 when the block has no status code. */
    public int status() {
        return status;
    }

    /** Empty when absent. */
    public String description() {
        return description;
    }

    /** Sets a 3-digit status code (0 to clear) and its description (may be empty). */
    public Headers status(int code, String description) {
        if (code != 0 && (code < 100 || code > 999)) {
            throw new IllegalArgumentException("status must have 3 digits: " + code);
        }
        checkText(description, "description");
        this.status = code;
        this.description = description == null ? "" : description;
        return this;
    }

    public Headers add(String key, String value) {
        checkKey(key);
        checkText(value, "value");
        keys.add(key);
        values.add(value);
        return this;
    }

    /** Replaces every value of {@code key} by {@code value}, keeping the first position. */
    public Headers set(String key, String value) {
        checkKey(key);
        checkText(value, "value");
        int first = keys.indexOf(key);
        remove(key);
        if (first < 0 || first > keys.size()) {
            keys.add(key);
            values.add(value);
        } else {
            keys.add(first, key);
            values.add(first, value);
        }
        return this;
    }

    public boolean remove(String key) {
        boolean any = false;
        for (int i = keys.size() - 1; i >= 0; i--) {
            if (keys.get(i).equals(key)) {
                keys.remove(i);
                values.remove(i);
                any = true;
            }
        }
        return any;
    }

    /** All values of {@code key}, in order; empty when absent. */
    public List<String> get(String key) {
        List<String> out = new ArrayList<>(1);
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i).equals(key)) {
                out.add(values.get(i));
            }
        }
        return out;
    }

    public List<String> getIgnoreCase(String key) {
        List<String> out = new ArrayList<>(1);
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i).equalsIgnoreCase(key)) {
                out.add(values.get(i));
            }
        }
        return out;
    }

    /** First value of {@code key} or null. */
    public String first(String key) {
        int i = keys.indexOf(key);
        return i < 0 ? null : values.get(i);
    }

    /** Distinct keys in first-seen order. */
    public Set<String> keys() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(keys));
    }

    /** Number of key/value entries. */
    public int size() {
        return keys.size();
    }

    public String keyAt(int i) {
        return keys.get(i);
    }

    public String valueAt(int i) {
        return values.get(i);
    }

    public boolean isEmpty() {
        return keys.isEmpty() && status == 0;
    }

    /** The wire form, ending with the blank line. */
    public byte[] toBytes() {
        StringBuilder sb = new StringBuilder(32 + keys.size() * 24);
        sb.append(VERSION_LINE);
        if (status != 0) {
            sb.append(' ').append(status);
            if (!description.isEmpty()) {
                sb.append(' ').append(description);
            }
        }
        sb.append("\r\n");
        for (int i = 0; i < keys.size(); i++) {
            sb.append(keys.get(i)).append(": ").append(values.get(i)).append("\r\n");
        }
        sb.append("\r\n");
        return SubjectBytes.encode(sb.toString());
    }

    public static Headers parse(byte[] b) {
        return parse(b, 0, b.length);
    }

    /**
     * Parses a header block occupying exactly {@code b[off, off+len)}.
     *
     * @throws MalformedHeadersException when the block does not follow the format
     */
    public static Headers parse(byte[] b, int off, int len) {
        int end = off + len;
        int lineEnd = findCrlf(b, off, end);
        if (lineEnd < 0) {
            throw new MalformedHeadersException("header block has no CRLF after the version line");
        }
        int v = VERSION_LINE.length();
        if (lineEnd - off < v || !startsWith(b, off, VERSION_LINE)) {
            throw new MalformedHeadersException("header block does not start with NATS/1.0");
        }
        Headers h = new Headers();
        int p = off + v;
        if (p < lineEnd) {
            if (b[p] != ' ' && b[p] != '\t') {
                throw new MalformedHeadersException("unexpected text after NATS/1.0");
            }
            while (p < lineEnd && (b[p] == ' ' || b[p] == '\t')) {
                p++;
            }
            int codeStart = p;
            while (p < lineEnd && b[p] >= '0' && b[p] <= '9') {
                p++;
            }
            if (p - codeStart != 3 && p != codeStart) {
                throw new MalformedHeadersException("status code must have 3 digits");
            }
            if (p == codeStart && p < lineEnd) {
                throw new MalformedHeadersException("status code must have 3 digits");
            }
            if (p > codeStart) {
                h.status = (b[codeStart] - '0') * 100 + (b[codeStart + 1] - '0') * 10 + (b[codeStart + 2] - '0');
                if (p < lineEnd && b[p] != ' ' && b[p] != '\t') {
                    throw new MalformedHeadersException("status code must have 3 digits");
                }
                h.description = SubjectBytes.decode(b, p, lineEnd - p).strip();
            }
        }
        p = lineEnd + 2;
        while (true) {
            if (p >= end) {
                throw new MalformedHeadersException("header block does not end with an empty line");
            }
            int e = findCrlf(b, p, end);
            if (e < 0) {
                throw new MalformedHeadersException("header line without CRLF");
            }
            if (e == p) {
                if (e + 2 != end) {
                    throw new MalformedHeadersException("bytes after the end of the header block");
                }
                return h;
            }
            int colon = -1;
            for (int i = p; i < e; i++) {
                if (b[i] == ':') {
                    colon = i;
                    break;
                }
            }
            if (colon <= p) {
                throw new MalformedHeadersException(colon == p ? "empty header key" : "header line without ':'");
            }
            for (int i = p; i < colon; i++) {
                if (b[i] <= ' ' || b[i] == 127) {
                    throw new MalformedHeadersException("header key with a blank or control byte");
                }
            }
            // keys and values are bytes too (a Nats-Msg-Id or a subject in a value must not be confused)
            String key = SubjectBytes.decode(b, p, colon - p);
            String value = SubjectBytes.decode(b, colon + 1, e - colon - 1).strip();
            h.keys.add(key);
            h.values.add(value);
            p = e + 2;
        }
    }

    private static int findCrlf(byte[] b, int from, int end) {
        for (int i = from; i + 1 < end; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
            if (b[i] == '\n' || (b[i] == '\r')) {
                // a bare CR or LF inside a line is not allowed
                return -1;
            }
        }
        return -1;
    }

    private static boolean startsWith(byte[] b, int off, String s) {
        for (int i = 0; i < s.length(); i++) {
            if (b[off + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static void checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("empty header key");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c <= ' ' || c == ':' || c == 127) {
                throw new IllegalArgumentException("invalid header key: " + key);
            }
        }
    }

    private static void checkText(String s, String what) {
        if (s == null) {
            if (what.equals("description")) {
                return;
            }
            throw new IllegalArgumentException("null header " + what);
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n') {
                throw new IllegalArgumentException("CR/LF in header " + what);
            }
        }
        if (!s.equals(s.strip())) {
            throw new IllegalArgumentException("header " + what + " with leading/trailing blanks does not round-trip");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Headers h && status == h.status && description.equals(h.description)
                && keys.equals(h.keys) && values.equals(h.values);
    }

    @Override
    public int hashCode() {
        return (status * 31 + description.hashCode()) * 31 + keys.hashCode() * 17 + values.hashCode();
    }

    @Override
    public String toString() {
        return new String(toBytes(), StandardCharsets.UTF_8).replace("\r\n", "\\r\\n");
    }
}
