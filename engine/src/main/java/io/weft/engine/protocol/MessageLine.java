package io.weft.engine.protocol;

import io.weft.store.SubjectBytes;

/**
 * The one encoder of {@code MSG}/{@code HMSG} control lines: the delivery path writes them into a
 * subscriber's buffer without allocating, and {@link ProtocolEncoder#msg}/{@link ProtocolEncoder#hmsg}
 * write them through it too.
 */
public final class MessageLine {
    private static final byte[] MSG = {'M', 'S', 'G', ' '};
    private static final byte[] HMSG = {'H', 'M', 'S', 'G', ' '};

    private MessageLine() {
    }

    /** An upper bound of the line's length in bytes when every name is ASCII (sizes take at most 10 digits each). */
    public static int maxLength(String subject, String sid, String reply) {
        return 5 + subject.length() + 1 + sid.length() + 1 + (reply == null ? 0 : reply.length() + 1) + 10 + 1 + 10 + 2;
    }

    /**
     * Writes {@code MSG subject sid [reply] size\r\n} (the HMSG form when {@code hdrLen >= 0}) into
     * {@code buf} from {@code p}, which must have room for {@link #maxLength}; returns the position
     * after it, or -1 when a name is not ASCII (then the caller builds the line instead).
     */
    public static int write(byte[] buf, int p, String subject, String sid, String reply, int hdrLen, int bodyLen) {
        boolean headers = hdrLen >= 0;
        byte[] op = headers ? HMSG : MSG;
        System.arraycopy(op, 0, buf, p, op.length);
        p += op.length;
        p = ascii(buf, p, subject);
        if (p < 0) {
            return -1;
        }
        buf[p++] = ' ';
        p = ascii(buf, p, sid);
        if (p < 0) {
            return -1;
        }
        buf[p++] = ' ';
        if (reply != null) {
            p = ascii(buf, p, reply);
            if (p < 0) {
                return -1;
            }
            buf[p++] = ' ';
        }
        if (headers) {
            p = decimal(buf, p, hdrLen);
            buf[p++] = ' ';
        }
        p = decimal(buf, p, bodyLen);
        buf[p++] = '\r';
        buf[p++] = '\n';
        return p;
    }

    /**
     * The same line as a new array (non-ASCII names, or a check against the byte limit), the names
     * written as the bytes they stand for ({@link SubjectBytes}).
     */
    public static byte[] build(String subject, String sid, String reply, int hdrLen, int bodyLen) {
        boolean headers = hdrLen >= 0;
        StringBuilder sb = new StringBuilder(subject.length() + 40);
        sb.append(headers ? "HMSG " : "MSG ").append(subject).append(' ').append(sid).append(' ');
        if (reply != null) {
            sb.append(reply).append(' ');
        }
        if (headers) {
            sb.append(hdrLen).append(' ');
        }
        sb.append(bodyLen).append("\r\n");
        return SubjectBytes.encode(sb.toString());
    }

    private static int ascii(byte[] buf, int p, String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c > 127) {
                return -1;
            }
            buf[p + i] = (byte) c;
        }
        return p + n;
    }

    /** Writes a non-negative int in decimal: int arithmetic, one division per digit. */
    private static int decimal(byte[] buf, int p, int v) {
        int digits = 1;
        for (int t = v; t >= 10; t /= 10) {
            digits++;
        }
        int end = p + digits;
        for (int i = end - 1; i >= p; i--) {
            int q = v / 10;
            buf[i] = (byte) ('0' + (v - q * 10));
            v = q;
        }
        return end;
    }
}
