package io.weft.engine.protocol;

import java.nio.charset.StandardCharsets;

/**
 * Writes NATS protocol operations, client-side and server-side, into a {@link ByteSink}.
 * Subjects, reply subjects, queue names and sids are written as the bytes they stand for
 * ({@link io.weft.store.SubjectBytes}: UTF-8, escaped invalid bytes as themselves); they are not
 * validated here. Every op ends with {@code \r\n}.
 */
public final class ProtocolEncoder {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] PING = ascii("PING\r\n");
    private static final byte[] PONG = ascii("PONG\r\n");
    private static final byte[] OK = ascii("+OK\r\n");
    private static final byte[] PUB = ascii("PUB ");
    private static final byte[] HPUB = ascii("HPUB ");
    private static final byte[] SUB = ascii("SUB ");
    private static final byte[] UNSUB = ascii("UNSUB ");
    private static final byte[] CONNECT = ascii("CONNECT ");
    private static final byte[] INFO = ascii("INFO ");
    private static final byte[] ERR = ascii("-ERR '");

    private ProtocolEncoder() {
    }

    // ---- both directions

    public static void ping(ByteSink out) {
        out.append(PING);
    }

    public static void pong(ByteSink out) {
        out.append(PONG);
    }

    // ---- client to server

    /** {@code CONNECT <json>\r\n}; see {@link ConnectOptions#toJson()}. */
    public static void connect(ByteSink out, String json) {
        out.append(CONNECT).appendUtf8(json).append(CRLF);
    }

    public static void pub(ByteSink out, String subject, String reply, byte[] payload) {
        pub(out, subject, reply, payload, 0, payload.length);
    }

    public static void pub(ByteSink out, String subject, String reply, byte[] payload, int off, int len) {
        out.reserve(subject.length() + len + 32);
        out.append(PUB).appendUtf8(subject).append((byte) ' ');
        if (reply != null) {
            out.appendUtf8(reply).append((byte) ' ');
        }
        out.appendDecimal(len).append(CRLF).append(payload, off, len).append(CRLF);
    }

    /** HPUB with a header block (starting {@code NATS/1.0}, ending with a blank line) and a body. */
    public static void hpub(ByteSink out, String subject, String reply, byte[] headers, byte[] payload) {
        out.reserve(subject.length() + headers.length + payload.length + 48);
        out.append(HPUB).appendUtf8(subject).append((byte) ' ');
        if (reply != null) {
            out.appendUtf8(reply).append((byte) ' ');
        }
        out.appendDecimal(headers.length).append((byte) ' ').appendDecimal((long) headers.length + payload.length)
                .append(CRLF).append(headers).append(payload).append(CRLF);
    }

    public static void sub(ByteSink out, String subject, String queue, String sid) {
        out.append(SUB).appendUtf8(subject).append((byte) ' ');
        if (queue != null) {
            out.appendUtf8(queue).append((byte) ' ');
        }
        out.appendUtf8(sid).append(CRLF);
    }

    /** {@code max < 0} means no max. */
    public static void unsub(ByteSink out, String sid, long max) {
        out.append(UNSUB).appendUtf8(sid);
        if (max >= 0) {
            out.append((byte) ' ').appendDecimal(max);
        }
        out.append(CRLF);
    }

    // ---- server to client

    /** {@code INFO <json> \r\n} (nats-server puts a space before the CRLF). */
    public static void info(ByteSink out, String json) {
        out.append(INFO).appendUtf8(json).append((byte) ' ').append(CRLF);
    }

    public static void ok(ByteSink out) {
        out.append(OK);
    }

    /** {@code -ERR '<message>'\r\n}. */
    public static void err(ByteSink out, String message) {
        out.append(ERR).appendUtf8(message).append((byte) '\'').append(CRLF);
    }

    public static void msg(ByteSink out, String subject, String sid, String reply, byte[] payload) {
        msg(out, subject, sid, reply, payload, 0, payload.length);
    }

    public static void msg(ByteSink out, String subject, String sid, String reply, byte[] payload, int off, int len) {
        line(out, subject, sid, reply, -1, len);
        out.append(payload, off, len).append(CRLF);
    }

    /**
     * HMSG whose header block and body are {@code data[off, off+totalLen)}, the first
     * {@code headerLen} bytes being the header block (the layout {@link ProtocolHandler#onHpub}
     * receives, so a server can forward an HPUB without copying it apart).
     */
    public static void hmsg(ByteSink out, String subject, String sid, String reply,
                            byte[] data, int off, int headerLen, int totalLen) {
        line(out, subject, sid, reply, headerLen, totalLen);
        out.append(data, off, totalLen).append(CRLF);
    }

    public static void hmsg(ByteSink out, String subject, String sid, String reply, byte[] headers, byte[] payload) {
        long total = (long) headers.length + payload.length;
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("message of " + total + " bytes");
        }
        line(out, subject, sid, reply, headers.length, (int) total);
        out.append(headers).append(payload).append(CRLF);
    }

    /** The MSG/HMSG line, written by {@link MessageLine} (the encoder the delivery path uses). */
    private static void line(ByteSink out, String subject, String sid, String reply, int hdrLen, int bodyLen) {
        out.reserve(MessageLine.maxLength(subject, sid, reply));
        int end = MessageLine.write(out.array(), out.size(), subject, sid, reply, hdrLen, bodyLen);
        if (end >= 0) {
            out.setSize(end);
        } else {
            out.append(MessageLine.build(subject, sid, reply, hdrLen, bodyLen));
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
