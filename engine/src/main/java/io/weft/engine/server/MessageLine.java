package io.weft.engine.server;

import java.nio.charset.StandardCharsets;

/** Writes {@code MSG}/{@code HMSG} control lines without allocating, for the delivery path. */
final class MessageLine {
    private static final byte[] MSG = {'M', 'S', 'G', ' '};
    private static final byte[] HMSG = {'H', 'M', 'S', 'G', ' '};

    private MessageLine() {
    }

    /**
     * Writes {@code MSG subject sid [reply] size\r\n} (or the HMSG form when {@code headers}) into
     * {@code buf}; returns its length, or -1 when it does not fit or a string is not ASCII.
     */
    static int write(byte[] buf, boolean headers, String subject, String sid, String reply, int hdrLen, int bodyLen) {
        int p = 0;
        byte[] op = headers ? HMSG : MSG;
        System.arraycopy(op, 0, buf, 0, op.length);
        p = op.length;
        p = ascii(buf, p, subject);
        if (p < 0 || p >= buf.length) {
            return -1;
        }
        buf[p++] = ' ';
        p = ascii(buf, p, sid);
        if (p < 0 || p >= buf.length) {
            return -1;
        }
        buf[p++] = ' ';
        if (reply != null) {
            p = ascii(buf, p, reply);
            if (p < 0 || p >= buf.length) {
                return -1;
            }
            buf[p++] = ' ';
        }
        if (headers) {
            p = decimal(buf, p, hdrLen);
            if (p < 0 || p >= buf.length) {
                return -1;
            }
            buf[p++] = ' ';
            p = decimal(buf, p, bodyLen);
        } else {
            p = decimal(buf, p, bodyLen);
        }
        if (p < 0 || p + 2 > buf.length) {
            return -1;
        }
        buf[p++] = '\r';
        buf[p++] = '\n';
        return p;
    }

    /** The same line as a new array (long or non-ASCII subjects). */
    static byte[] build(boolean headers, String subject, String sid, String reply, int hdrLen, int bodyLen) {
        StringBuilder sb = new StringBuilder(subject.length() + 40);
        sb.append(headers ? "HMSG " : "MSG ").append(subject).append(' ').append(sid).append(' ');
        if (reply != null) {
            sb.append(reply).append(' ');
        }
        if (headers) {
            sb.append(hdrLen).append(' ');
        }
        sb.append(bodyLen).append("\r\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static int ascii(byte[] buf, int p, String s) {
        int n = s.length();
        if (p + n > buf.length) {
            return -1;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c > 127) {
                return -1;
            }
            buf[p + i] = (byte) c;
        }
        return p + n;
    }

    private static int decimal(byte[] buf, int p, long v) {
        if (v == 0) {
            if (p >= buf.length) {
                return -1;
            }
            buf[p] = '0';
            return p + 1;
        }
        int digits = 0;
        for (long t = v; t > 0; t /= 10) {
            digits++;
        }
        if (p + digits > buf.length) {
            return -1;
        }
        for (int i = p + digits - 1; i >= p; i--) {
            buf[i] = (byte) ('0' + (v % 10));
            v /= 10;
        }
        return p + digits;
    }
}
