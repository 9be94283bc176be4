package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.store.MessageStore;
import io.weft.store.StoreState;
import io.weft.store.StoredMessage;
import io.weft.store.SubjectBytes;
import io.weft.store.SubjectState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A {@code $JS.API.DIRECT.GET.<stream>} request with a JSON body, as nats-server 2.11+ answers it
 * (ADR-31): one message by {@code seq}, {@code last_by_subj}, {@code next_by_subj} or
 * {@code start_time}; a {@code batch} of them (each with {@code Nats-Num-Pending} and
 * {@code Nats-Last-Sequence}, then a {@code 204 EOB} status); or with {@code multi_last} the last
 * message of every subject matching the filters, up to {@code up_to_seq} / {@code up_to_time},
 * ending with an EOB that carries {@code Nats-UpTo-Sequence}. {@code max_bytes} stops a batch
 * after the message that reached it; {@code no_hdr} sends bare payloads. Everything is read in one
 * pass under the stream's lock, so a batch is a snapshot. Errors are status messages, in
 * nats-server's order and words.
 */
final class DirectBatch {
    /** nats-server's default {@code max_pending}, which a batch without {@code max_bytes} is held to. */
    static final int DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
    /** How many subjects a {@code multi_last} may answer (nats-server's fixed limit). */
    static final int MAX_MULTI = 1024;

    /** One message of the reply: a header block (null for none) and a payload. */
    record Out(byte[] headers, byte[] data) {
    }

    private DirectBatch() {
    }

    /** A status-only reply. */
    static Out status(int code, String text) {
        return new Out(("NATS/1.0 " + code + " " + text + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), new byte[0]);
    }

    /** True if the request uses anything beyond a single lookup by seq / last / next. */
    static boolean applies(JsonNode n) {
        for (String k : List.of("batch", "multi_last", "start_time", "up_to_seq", "up_to_time", "no_hdr", "max_bytes")) {
            if (n.has(k) && !n.get(k).isNull()) {
                return true;
            }
        }
        return false;
    }

    private record Req(long seq, String last, String next, int batch, int maxBytes, Long startTime,
                       List<String> multi, long upToSeq, Long upToTime, boolean noHdr) {
    }

    /** The reply messages of a request body {@code n} to {@code s}. */
    static List<Out> answer(Stream s, JsonNode n) {
        Req q;
        try {
            q = parse(n);
        } catch (IllegalArgumentException e) {
            return List.of(status(408, "Malformed Request"));
        }
        if (q.seq == 0 && q.last.isEmpty() && q.next.isEmpty() && q.multi.isEmpty() && q.startTime == null) {
            return List.of(status(408, "Empty Request"));
        }
        if ((q.seq > 0 && !q.last.isEmpty()) || (q.seq > 0 && q.startTime != null)
                || (q.startTime != null && !q.last.isEmpty()) || (!q.last.isEmpty() && !q.next.isEmpty())
                || (!q.last.isEmpty() && q.batch > 0) || (!q.last.isEmpty() && !q.multi.isEmpty())
                || (!q.next.isEmpty() && !q.multi.isEmpty()) || (q.upToSeq > 0 && q.upToTime != null)) {
            return List.of(status(408, "Bad Request"));
        }
        try {
            long deliverable = s.lastDeliverableSeq();
            return s.read(st -> q.multi.isEmpty() ? batch(s.name(), st, q, deliverable) : multi(s.name(), st, q, deliverable));
        } catch (IOException e) {
            return List.of(status(404, "Message Not Found")); // a damaged record is never served
        }
    }

    private static Req parse(JsonNode n) {
        if (!n.isObject()) {
            throw new IllegalArgumentException();
        }
        List<String> multi = new ArrayList<>();
        JsonNode m = n.get("multi_last");
        if (m != null && !m.isNull()) {
            if (!m.isArray()) {
                throw new IllegalArgumentException();
            }
            for (JsonNode f : m) {
                multi.add(text(f));
            }
        }
        return new Req(unsigned(n, "seq"), str(n, "last_by_subj"), str(n, "next_by_subj"), (int) integer(n, "batch"),
                (int) integer(n, "max_bytes"), time(n, "start_time"), multi, unsigned(n, "up_to_seq"),
                time(n, "up_to_time"), bool(n, "no_hdr"));
    }

    private static String text(JsonNode v) {
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException();
        }
        return v.asText();
    }

    private static String str(JsonNode n, String k) {
        return text(n.get(k));
    }

    private static long integer(JsonNode n, String k) {
        JsonNode v = n.get(k);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException();
        }
        return v.asInt();
    }

    private static long unsigned(JsonNode n, String k) {
        JsonNode v = n.get(k);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw new IllegalArgumentException();
        }
        return v.asLong();
    }

    private static boolean bool(JsonNode n, String k) {
        JsonNode v = n.get(k);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException();
        }
        return v.asBoolean();
    }

    /** An RFC 3339 time as epoch nanoseconds, or null when absent. */
    private static Long time(JsonNode n, String k) {
        JsonNode v = n.get(k);
        if (v == null || v.isNull()) {
            return null;
        }
        try {
            OffsetDateTime t = OffsetDateTime.parse(text(v));
            return t.toEpochSecond() * 1_000_000_000L + t.getNano();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A message not yet deliverable (appended, its batch not yet committed) is not there. */
    private static StoredMessage visible(StoredMessage m, long deliverable) {
        return m == null || m.seq() > deliverable ? null : m;
    }

    private static List<Out> batch(String name, MessageStore st, Req q, long deliverable) throws IOException {
        List<Out> out = new ArrayList<>();
        long seq = q.startTime != null ? st.sequenceAtOrAfter(q.startTime) : q.seq;
        boolean isBatch = q.batch > 0;
        int batch = isBatch ? q.batch : 1;
        String filter = q.next.isEmpty() ? null : q.next;
        long np = 0;
        if (isBatch) {
            np = Math.max(0, st.numPending(Math.max(1, seq), filter, false)
                    - Math.max(0, st.state().lastSeq() - deliverable));
        }
        int maxBytes = q.maxBytes > 0 ? q.maxBytes : DEFAULT_MAX_BYTES;
        long sent = 0;
        long lseq = 0;
        for (int i = 0; i < batch; i++) {
            StoredMessage m;
            if (seq > 0 && q.next.isEmpty()) {
                m = i == 0 && !isBatch ? st.load(seq) : st.loadNext(null, seq);
            } else if (!q.next.isEmpty()) {
                m = st.loadNext(q.next, Math.max(1, seq));
            } else {
                m = st.loadLast(q.last);
            }
            m = visible(m, deliverable);
            if (m == null) {
                if (batch > 1 && i > 0) {
                    break;
                }
                return List.of(status(404, "Message Not Found"));
            }
            seq = m.seq() + 1;
            byte[] hdr = null;
            if (!q.noHdr) {
                StringBuilder add = new StringBuilder();
                add.append("Nats-Stream: ").append(name).append("\r\nNats-Subject: ").append(m.subject())
                        .append("\r\nNats-Sequence: ").append(m.seq()).append("\r\nNats-Time-Stamp: ")
                        .append(JsTime.format(m.timestampNanos())).append("\r\n");
                if (isBatch) {
                    if (np > 0) {
                        np--;
                    }
                    add.append("Nats-Num-Pending: ").append(np).append("\r\nNats-Last-Sequence: ").append(lseq)
                            .append("\r\n");
                }
                hdr = withAdded(m.headers(), add.toString());
            }
            lseq = m.seq();
            out.add(new Out(hdr, m.data()));
            sent += SubjectBytes.encode(m.subject()).length + m.headers().length + m.data().length;
            if (sent >= maxBytes) {
                break;
            }
        }
        if (isBatch) {
            out.add(new Out(("NATS/1.0 204 EOB\r\nNats-Num-Pending: " + np + "\r\nNats-Last-Sequence: " + lseq
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), new byte[0]));
        }
        return out;
    }

    private static List<Out> multi(String name, MessageStore st, Req q, long deliverable) throws IOException {
        StoreState state = st.state();
        long upTo = q.upToSeq;
        if (q.upToTime != null) {
            upTo = st.sequenceAtOrAfter(q.upToTime);
            if (upTo <= state.firstSeq()) {
                return List.of(status(404, "No Results"));
            }
            upTo--;
        }
        if (upTo == 0) {
            upTo = state.lastSeq();
        }
        long ceiling = Math.min(upTo, deliverable);
        TreeSet<Long> seqs = new TreeSet<>();
        if (state.msgs() > 0) {
            for (String f : q.multi) {
                for (Map.Entry<String, SubjectState> e : st.subjects(f).entrySet()) {
                    SubjectState ss = e.getValue();
                    if (ss.lastSeq() <= ceiling) {
                        seqs.add(ss.lastSeq());
                    } else if (ss.msgs() > 1) {
                        long found = 0;
                        for (StoredMessage m = st.loadNext(e.getKey(), ss.firstSeq()); m != null && m.seq() <= ceiling;
                             m = st.loadNext(e.getKey(), m.seq() + 1)) {
                            found = m.seq();
                        }
                        if (found > 0) {
                            seqs.add(found);
                        }
                    }
                }
                if (seqs.size() > MAX_MULTI) {
                    return List.of(status(413, "Too Many Results"));
                }
            }
        }
        if (seqs.isEmpty()) {
            return List.of(status(404, "No Results"));
        }
        List<Out> out = new ArrayList<>();
        int maxBytes = q.maxBytes > 0 ? q.maxBytes : DEFAULT_MAX_BYTES;
        long np = seqs.size();
        long lseq = 0;
        long sentBytes = 0;
        int sent = 0;
        for (long seq : seqs) {
            if (np > 0) {
                np--;
            }
            if (seq < q.seq) {
                continue;
            }
            StoredMessage m = st.load(seq);
            if (m == null) {
                return List.of(status(404, "Message Not Found"));
            }
            String add = "Nats-Stream: " + name + "\r\nNats-Subject: " + m.subject() + "\r\nNats-Sequence: " + m.seq()
                    + "\r\nNats-Time-Stamp: " + JsTime.format(m.timestampNanos()) + "\r\nNats-Num-Pending: " + np
                    + "\r\nNats-Last-Sequence: " + lseq + "\r\n";
            lseq = m.seq();
            out.add(new Out(withAdded(m.headers(), add), m.data()));
            sentBytes += SubjectBytes.encode(m.subject()).length + m.headers().length + m.data().length;
            if (sentBytes >= maxBytes) {
                break;
            }
            sent++;
            if (q.batch > 0 && sent >= q.batch) {
                break;
            }
        }
        out.add(new Out(("NATS/1.0 204 EOB\r\nNats-Num-Pending: " + np + "\r\nNats-Last-Sequence: " + lseq
                + "\r\nNats-UpTo-Sequence: " + upTo + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), new byte[0]));
        return out;
    }

    /** The stored header block byte for byte with {@code added} lines before its end (or a fresh block). */
    static byte[] withAdded(byte[] stored, String added) {
        byte[] tail = SubjectBytes.encode(added + "\r\n");
        int keep = stored.length;
        if (keep >= 4 && stored[keep - 2] == '\r' && stored[keep - 1] == '\n'
                && stored[keep - 4] == '\r' && stored[keep - 3] == '\n') {
            keep -= 2;
        } else {
            return SubjectBytes.encode("NATS/1.0\r\n" + added + "\r\n");
        }
        byte[] head = new byte[keep + tail.length];
        System.arraycopy(stored, 0, head, 0, keep);
        System.arraycopy(tail, 0, head, keep, tail.length);
        return head;
    }
}
