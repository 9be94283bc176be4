package io.weft.engine.protocol;

import io.weft.store.SubjectBytes;
import java.nio.charset.StandardCharsets;

/**
 * Incremental byte-level parser of the NATS client protocol, both directions. Feed it any
 * chunking of a stream with {@link #parse(byte[], int, int)}; the callbacks on the
 * {@link ProtocolHandler} are the same whatever the chunking.
 *
 * <p>Rules (checked against nats-server 2.9.10, see README-errors.md):
 * <ul>
 *   <li>Op names are case-insensitive. PING, PONG and +OK ignore anything after the name up to
 *       the end of line ({@code PINGX} is a PING). Ops with arguments need a space or tab after
 *       the name.</li>
 *   <li>A line ends at {@code \n}; if a {@code \r} was seen in the argument, the byte before the
 *       {@code \n} is dropped (so {@code \r\n} and {@code \n} both end a line). The first byte
 *       after the op's blanks always belongs to the argument. Arguments are separated by any run
 *       of spaces/tabs (for SUB and UNSUB also CR and LF). CONNECT and INFO need no blank after
 *       the name. All of this mirrors nats-server 2.9.10 byte for byte.</li>
 *   <li>A payload must be followed by exactly {@code \r\n}.</li>
 *   <li>The arguments of a line (after the op name and its blanks, without the line end) may be
 *       at most {@code maxControlLine} bytes. A declared payload size is checked against
 *       {@code maxPayload} before anything is allocated.</li>
 * </ul>
 * Not thread-safe: one parser per connection reader.
 */
public final class ProtocolParser {

    // Op codes; index into OP_NAMES.
    private static final int CONNECT = 0, PUB = 1, HPUB = 2, SUB = 3, UNSUB = 4, PING = 5, PONG = 6,
            INFO = 7, MSG = 8, HMSG = 9, OK = 10, ERR = 11;
    private static final byte[][] OP_NAMES = {
        ascii("CONNECT"), ascii("PUB"), ascii("HPUB"), ascii("SUB"), ascii("UNSUB"), ascii("PING"),
        ascii("PONG"), ascii("INFO"), ascii("MSG"), ascii("HMSG"), ascii("+OK"), ascii("-ERR")
    };
    private static final int ALL_OPS = (1 << 12) - 1; // one bit per entry of OP_NAMES
    private static final int NO_ARG_OPS = (1 << PING) | (1 << PONG) | (1 << OK);

    // Parser states.
    private static final int S_OP = 0, S_SKIP_TO_EOL = 1, S_ARG_BLANKS = 2, S_ARG = 3, S_PAYLOAD = 4,
            S_PAYLOAD_CR = 5, S_PAYLOAD_LF = 6;

    private static final int MAX_SIZE_DIGITS = 9;
    private static final int RETAINED_PAYLOAD_BUFFER = 64 * 1024;
    private static final int MAX_TOKENS = 6;

    private final ProtocolHandler handler;
    private int maxControlLine;
    private long maxPayload;

    private int state = S_OP;
    private int opMask;
    private int opLen;
    private int op = -1;

    private byte[] argBuf = new byte[64];
    private int argLen;
    private boolean argFirst;
    private boolean argSawCr;

    private final int[] tokStart = new int[MAX_TOKENS];
    private final int[] tokEnd = new int[MAX_TOKENS];

    // Pending message (PUB/HPUB/MSG/HMSG) waiting for its payload.
    private String subject;
    private String reply;
    private String sid;
    private int headerSize;
    private int totalSize;
    private byte[] payloadBuf = new byte[0];
    private int payloadHave;

    // The previous subject and sid with their bytes (see subjectStr); longer ones are not remembered.
    private static final int MAX_REMEMBERED = 256;
    private String lastSubject;
    private byte[] lastSubjectBytes = new byte[0];
    private int lastSubjectLen;
    private String lastSid;
    private byte[] lastSidBytes = new byte[0];
    private int lastSidLen;

    /** Which end of a client connection the parser sits on; decides which op names exist at all. */
    public enum Side {
        /** Server reading a client: CONNECT, PUB, HPUB, SUB, UNSUB, PING, PONG, INFO, +OK, -ERR (as nats-server). */
        SERVER((1 << CONNECT) | (1 << PUB) | (1 << HPUB) | (1 << SUB) | (1 << UNSUB) | (1 << PING) | (1 << PONG)
                | (1 << INFO) | (1 << OK) | (1 << ERR)),
        /** Client reading a server: INFO, MSG, HMSG, PING, PONG, +OK, -ERR. */
        CLIENT((1 << INFO) | (1 << MSG) | (1 << HMSG) | (1 << PING) | (1 << PONG) | (1 << OK) | (1 << ERR)),
        /** Every op in both directions (tests, tools). */
        ANY(ALL_OPS);

        private final int ops;

        Side(int ops) {
            this.ops = ops;
        }
    }

    private final int knownOps;

    /** A parser that knows every op of both directions ({@link Side#ANY}). */
    public ProtocolParser(ProtocolHandler handler, int maxControlLine, long maxPayload) {
        this(handler, maxControlLine, maxPayload, Side.ANY);
    }

    /**
     * A parser for one side. With {@link Side#SERVER}, {@code MSG}/{@code HMSG} are unknown at
     * their first distinguishing byte, exactly as nats-server treats them from a client (instead of
     * being parsed and then refused by the handler).
     */
    public ProtocolParser(ProtocolHandler handler, int maxControlLine, long maxPayload, Side side) {
        if (handler == null || side == null) {
            throw new IllegalArgumentException("handler and side are required");
        }
        this.handler = handler;
        this.knownOps = side.ops;
        this.opMask = knownOps;
        setMaxControlLine(maxControlLine);
        setMaxPayload(maxPayload);
    }

    public void setMaxPayload(long maxPayload) {
        if (maxPayload < 0) {
            throw new IllegalArgumentException("maxPayload < 0");
        }
        this.maxPayload = maxPayload;
    }

    public void setMaxControlLine(int maxControlLine) {
        if (maxControlLine <= 0) {
            throw new IllegalArgumentException("maxControlLine <= 0");
        }
        this.maxControlLine = maxControlLine;
    }

    public long maxPayload() {
        return maxPayload;
    }

    public int maxControlLine() {
        return maxControlLine;
    }

    /** True when the parser sits between operations (no partial op buffered). */
    public boolean idle() {
        return state == S_OP && opLen == 0;
    }

    /**
     * Parses {@code buf[off, off+len)}. Callbacks run on the caller's thread, in stream order.
     * After a {@link ProtocolException} that {@link ProtocolException#closes() closes}, the
     * parser must not be fed again.
     */
    public void parse(byte[] buf, int off, int len) throws ProtocolException {
        int end = off + len;
        if (off < 0 || len < 0 || end > buf.length) {
            throw new IndexOutOfBoundsException();
        }
        int i = off;
        while (i < end) {
            switch (state) {
                case S_OP -> i = parseOp(buf, i, end);
                case S_SKIP_TO_EOL -> {
                    while (i < end && buf[i] != '\n') {
                        i++;
                    }
                    if (i < end) {
                        i++;
                        state = S_OP;
                        dispatchNoArg();
                    }
                }
                case S_ARG_BLANKS -> {
                    while (i < end && (buf[i] == ' ' || buf[i] == '\t')) {
                        i++;
                    }
                    if (i < end) {
                        startArg();
                    }
                }
                case S_ARG -> i = parseArg(buf, i, end);
                case S_PAYLOAD -> i = parsePayload(buf, i, end);
                case S_PAYLOAD_CR -> {
                    if (buf[i] != '\r') {
                        throw ProtocolException.unknownOperation();
                    }
                    i++;
                    state = S_PAYLOAD_LF;
                }
                case S_PAYLOAD_LF -> {
                    if (buf[i] != '\n') {
                        throw ProtocolException.unknownOperation();
                    }
                    i++;
                    state = S_OP;
                    deliver(payloadBuf, 0);
                    if (payloadBuf.length > RETAINED_PAYLOAD_BUFFER) {
                        payloadBuf = new byte[0]; // do not keep a 64 MB buffer per idle connection
                    }
                }
                default -> throw new IllegalStateException("state " + state);
            }
        }
    }

    private int parseOp(byte[] buf, int i, int end) throws ProtocolException {
        while (i < end) {
            byte b = buf[i];
            byte u = (b >= 'a' && b <= 'z') ? (byte) (b - 32) : b;
            int next = 0;
            int complete = -1;
            for (int m = opMask; m != 0; m &= m - 1) {
                int o = Integer.numberOfTrailingZeros(m);
                byte[] name = OP_NAMES[o];
                if (name.length > opLen) {
                    if (name[opLen] == u) {
                        next |= 1 << o;
                    }
                } else {
                    complete = o;
                }
            }
            if (next != 0) {
                opMask = next;
                opLen++;
                i++;
                continue;
            }
            if (complete < 0) {
                throw ProtocolException.unknownOperation();
            }
            op = complete;
            opMask = knownOps;
            opLen = 0;
            if ((NO_ARG_OPS & (1 << complete)) != 0) {
                state = S_SKIP_TO_EOL;
                return i; // the terminating byte itself is handled by S_SKIP_TO_EOL
            }
            if (b != ' ' && b != '\t') {
                if (complete == CONNECT || complete == INFO) {
                    // nats-server needs no blank after CONNECT/INFO: this byte starts the argument
                    startArg();
                    return i;
                }
                throw ProtocolException.unknownOperation();
            }
            state = S_ARG_BLANKS;
            if (complete == HPUB || complete == HMSG) {
                handler.checkHeadersAllowed();
            }
            return i + 1;
        }
        return i;
    }

    private void startArg() {
        state = S_ARG;
        argLen = 0;
        argFirst = true;
        argSawCr = false;
    }

    /*
     * As in nats-server: the first byte of an argument is taken whatever it is (even CR or LF);
     * after it, LF ends the line, and if a CR was seen anywhere the byte before the LF is dropped.
     */
    private int parseArg(byte[] buf, int i, int end) throws ProtocolException {
        int start = i;
        if (argFirst) {
            argFirst = false;
            i++;
        }
        boolean cr = argSawCr;
        while (i < end) {
            byte c = buf[i];
            if (c == '\n') {
                break;
            }
            if (c == '\r') {
                cr = true;
            }
            i++;
        }
        argSawCr = cr;
        int chunk = i - start;
        if (i == end) {
            // Line continues in a later buffer: keep what we have, failing fast on a long line.
            if ((long) argLen + chunk > (long) maxControlLine + 1) {
                throw ProtocolException.maxControlLine();
            }
            appendArg(buf, start, chunk);
            return i;
        }
        state = S_OP;
        if (argLen == 0) {
            line(buf, start, chunk);
        } else {
            appendArg(buf, start, chunk);
            int n = argLen;
            argLen = 0;
            line(argBuf, 0, n);
        }
        return i + 1;
    }

    private void appendArg(byte[] buf, int off, int n) {
        if (argLen + n > argBuf.length) {
            int cap = Math.max(argBuf.length * 2, argLen + n);
            byte[] nb = new byte[cap];
            System.arraycopy(argBuf, 0, nb, 0, argLen);
            argBuf = nb;
        }
        System.arraycopy(buf, off, argBuf, argLen, n);
        argLen += n;
    }

    /** A complete argument line {@code b[off, off+n)} (without the {@code \n}) for {@link #op}. */
    private void line(byte[] b, int off, int n) throws ProtocolException {
        if (argSawCr && n > 0) {
            n--;
        }
        argSawCr = false;
        if (n > maxControlLine) {
            throw ProtocolException.maxControlLine();
        }
        switch (op) {
            case PUB -> pubArgs(b, off, n, false);
            case HPUB -> pubArgs(b, off, n, true);
            case MSG -> msgArgs(b, off, n, false);
            case HMSG -> msgArgs(b, off, n, true);
            case SUB -> {
                int t = split(b, off, n, true);
                if (t != 2 && t != 3) {
                    throw ProtocolException.silentClose("processSub Parse Error: " + quote(b, off, n));
                }
                String subj = str(b, 0);
                String queue = t == 3 ? str(b, 1) : null;
                String s = str(b, t - 1);
                try {
                    handler.onSub(subj, queue, s);
                } catch (ProtocolException e) {
                    recover(e);
                }
            }
            case UNSUB -> {
                int t = split(b, off, n, true);
                if (t != 1 && t != 2) {
                    throw ProtocolException.silentClose("processUnsub Parse Error: " + quote(b, off, n));
                }
                String s = str(b, 0);
                // nats-server treats a max that is not a plain decimal as absent.
                long max = t == 2 ? parseSize(b, tokStart[1], tokEnd[1]) : -1;
                try {
                    handler.onUnsub(s, max);
                } catch (ProtocolException e) {
                    recover(e);
                }
            }
            case CONNECT -> {
                String json = new String(b, off, trimEnd(b, off, n), StandardCharsets.UTF_8);
                try {
                    handler.onConnect(json);
                } catch (ProtocolException e) {
                    recover(e);
                }
            }
            case INFO -> {
                String json = new String(b, off, trimEnd(b, off, n), StandardCharsets.UTF_8);
                try {
                    handler.onInfo(json);
                } catch (ProtocolException e) {
                    recover(e);
                }
            }
            case ERR -> {
                int s = off;
                int e = off + n;
                while (e > s && (b[e - 1] == ' ' || b[e - 1] == '\t')) {
                    e--;
                }
                if (e - s >= 2 && b[s] == '\'' && b[e - 1] == '\'') {
                    s++;
                    e--;
                }
                String msg = new String(b, s, e - s, StandardCharsets.UTF_8);
                try {
                    handler.onErr(msg);
                } catch (ProtocolException ex) {
                    recover(ex);
                }
            }
            default -> throw new IllegalStateException("op " + op);
        }
    }

    private void pubArgs(byte[] b, int off, int n, boolean headers) throws ProtocolException {
        int t = split(b, off, n, false);
        String what = headers ? "processHeaderPub" : "processPub";
        int need = headers ? 3 : 2;
        if (t != need && t != need + 1) {
            throw ProtocolException.silentClose(what + " Parse Error: " + quote(b, off, n));
        }
        int hdr = 0;
        if (headers) {
            hdr = parseSize(b, tokStart[t - 2], tokEnd[t - 2]);
            if (hdr < 0) {
                throw ProtocolException.silentClose(what + " Bad or Missing Header Size: " + quote(b, off, n));
            }
        }
        int total = parseSize(b, tokStart[t - 1], tokEnd[t - 1]);
        if (total < 0) {
            throw ProtocolException.silentClose(what + (headers ? " Bad or Missing Total Size: " : " Bad or Missing Size: ")
                    + quote(b, off, n));
        }
        if (hdr > total) {
            throw ProtocolException.silentClose(what + " Header Size larger then TotalSize: " + quote(b, off, n));
        }
        if (total > maxPayload) {
            throw ProtocolException.maxPayload();
        }
        subject = subjectStr(b);
        reply = t == need + 1 ? str(b, 1) : null;
        sid = null;
        startPayload(hdr, total);
    }

    private void msgArgs(byte[] b, int off, int n, boolean headers) throws ProtocolException {
        int t = split(b, off, n, false);
        String what = headers ? "processHeaderMsgArgs" : "processMsgArgs";
        int need = headers ? 4 : 3;
        if (t != need && t != need + 1) {
            throw ProtocolException.silentClose(what + " Parse Error: " + quote(b, off, n));
        }
        int hdr = 0;
        if (headers) {
            hdr = parseSize(b, tokStart[t - 2], tokEnd[t - 2]);
            if (hdr < 0) {
                throw ProtocolException.silentClose(what + " Bad or Missing Header Size: " + quote(b, off, n));
            }
        }
        int total = parseSize(b, tokStart[t - 1], tokEnd[t - 1]);
        if (total < 0) {
            throw ProtocolException.silentClose(what + " Bad or Missing Size: " + quote(b, off, n));
        }
        if (hdr > total) {
            throw ProtocolException.silentClose(what + " Header Size larger then TotalSize: " + quote(b, off, n));
        }
        if (total > maxPayload) {
            throw ProtocolException.maxPayload();
        }
        subject = subjectStr(b);
        sid = sidStr(b);
        reply = t == need + 1 ? str(b, 2) : null;
        startPayload(hdr, total);
    }

    private void startPayload(int hdr, int total) {
        headerSize = hdr;
        totalSize = total;
        payloadHave = 0;
        state = total == 0 ? S_PAYLOAD_CR : S_PAYLOAD;
    }

    private int parsePayload(byte[] buf, int i, int end) throws ProtocolException {
        int avail = end - i;
        if (payloadHave == 0 && avail >= totalSize + 2) {
            // Fast path: payload and its CRLF are all here; hand the caller's bytes over.
            int p = i + totalSize;
            if (buf[p] != '\r' || buf[p + 1] != '\n') {
                throw ProtocolException.unknownOperation();
            }
            state = S_OP;
            deliver(buf, i);
            return p + 2;
        }
        int n = Math.min(avail, totalSize - payloadHave);
        int needed = payloadHave + n;
        if (payloadBuf.length < needed) {
            // Grow with the bytes actually received, never straight to the declared size.
            int cap = Math.max(needed, Math.min(totalSize, payloadBuf.length * 2));
            byte[] nb = new byte[cap];
            System.arraycopy(payloadBuf, 0, nb, 0, payloadHave);
            payloadBuf = nb;
        }
        System.arraycopy(buf, i, payloadBuf, payloadHave, n);
        payloadHave += n;
        if (payloadHave == totalSize) {
            state = S_PAYLOAD_CR;
        }
        return i + n;
    }

    private void deliver(byte[] data, int off) throws ProtocolException {
        String subj = subject;
        String rep = reply;
        String s = sid;
        int hdr = headerSize;
        int total = totalSize;
        subject = null;
        reply = null;
        sid = null;
        try {
            switch (op) {
                case PUB -> handler.onPub(subj, rep, data, off, total);
                case HPUB -> handler.onHpub(subj, rep, data, off, hdr, total);
                case MSG -> handler.onMsg(subj, s, rep, data, off, total);
                case HMSG -> handler.onHmsg(subj, s, rep, data, off, hdr, total);
                default -> throw new IllegalStateException("op " + op);
            }
        } catch (ProtocolException e) {
            recover(e);
        }
    }

    private void dispatchNoArg() throws ProtocolException {
        try {
            switch (op) {
                case PING -> handler.onPing();
                case PONG -> handler.onPong();
                case OK -> handler.onOk();
                default -> throw new IllegalStateException("op " + op);
            }
        } catch (ProtocolException e) {
            recover(e);
        }
    }

    private void recover(ProtocolException e) throws ProtocolException {
        if (e.closes()) {
            throw e;
        }
        handler.onRecoverableError(e);
    }

    /** Splits into blank-separated tokens; returns the token count (possibly > MAX_TOKENS). */
    private int split(byte[] b, int off, int n, boolean crLfToo) {
        int t = 0;
        int i = off;
        int end = off + n;
        while (i < end) {
            while (i < end && isSeparator(b[i], crLfToo)) {
                i++;
            }
            if (i == end) {
                break;
            }
            int s = i;
            while (i < end && !isSeparator(b[i], crLfToo)) {
                i++;
            }
            if (t < MAX_TOKENS) {
                tokStart[t] = s;
                tokEnd[t] = i;
            }
            t++;
        }
        return t;
    }

    /** Length of {@code b[off, off+n)} without trailing blanks (nats-server sends "INFO {...} \r\n"). */
    private static int trimEnd(byte[] b, int off, int n) {
        while (n > 0 && isBlank(b[off + n - 1])) {
            n--;
        }
        return n;
    }

    /** PUB/HPUB/MSG/HMSG split on space and tab only; SUB/UNSUB also on CR and LF (nats-server 2.9.10). */
    private static boolean isSeparator(byte c, boolean crLfToo) {
        return c == ' ' || c == '\t' || (crLfToo && (c == '\r' || c == '\n'));
    }

    private static boolean isBlank(byte c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    /*
     * A stream usually repeats its subjects (and, client side, its sids): reusing the previous
     * String when the bytes are the same saves the allocation and decoding per message, and the
     * reused String keeps its cached hash for the sublist's match cache.
     */
    private String subjectStr(byte[] b) {
        int s = tokStart[0];
        int e = tokEnd[0];
        if (lastSubject != null && java.util.Arrays.equals(b, s, e, lastSubjectBytes, 0, lastSubjectLen)) {
            return lastSubject;
        }
        String v = str(b, 0);
        int n = e - s;
        if (n <= MAX_REMEMBERED) {
            if (lastSubjectBytes.length < n) {
                lastSubjectBytes = new byte[MAX_REMEMBERED];
            }
            System.arraycopy(b, s, lastSubjectBytes, 0, n);
            lastSubjectLen = n;
            lastSubject = v;
        }
        return v;
    }

    private String sidStr(byte[] b) {
        int s = tokStart[1];
        int e = tokEnd[1];
        if (lastSid != null && java.util.Arrays.equals(b, s, e, lastSidBytes, 0, lastSidLen)) {
            return lastSid;
        }
        String v = str(b, 1);
        int n = e - s;
        if (n <= MAX_REMEMBERED) {
            if (lastSidBytes.length < n) {
                lastSidBytes = new byte[MAX_REMEMBERED];
            }
            System.arraycopy(b, s, lastSidBytes, 0, n);
            lastSidLen = n;
            lastSid = v;
        }
        return v;
    }

    /**
     * Subjects, reply subjects, queue names and sids are bytes (nats-server matches them byte for
     * byte): {@link SubjectBytes} gives each byte string its own String, invalid UTF-8 included.
     */
    private String str(byte[] b, int tok) {
        return SubjectBytes.decode(b, tokStart[tok], tokEnd[tok] - tokStart[tok]);
    }

    /** nats-server's size rule: 1 to 9 ASCII digits, else -1. */
    static int parseSize(byte[] b, int s, int e) {
        int n = e - s;
        if (n == 0 || n > MAX_SIZE_DIGITS) {
            return -1;
        }
        int v = 0;
        for (int i = s; i < e; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    private static String quote(byte[] b, int off, int n) {
        return "\"" + new String(b, off, n, StandardCharsets.UTF_8) + "\"";
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
