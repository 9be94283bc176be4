package io.weft.sim.world;

import io.weft.engine.server.Account;
import io.weft.engine.server.Server;
import io.weft.net.Disk;
import io.weft.net.DiskFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A tiny stand-in for JetStream, just enough of the {@code $JS.API} for scenario {@code js-crash}
 * (stream create, publish with PubAck, KV CAS by {@code Nats-Expected-Last-Subject-Sequence},
 * direct get, stream info, msg get, pulls from an in-memory cursor), so that the scenario and its checker can be
 * tested against known behaviour: each stream is a text log ({@code seq TAB subject TAB payload
 * NL}) on the node's disk, recovered at start by keeping the lines up to the first incomplete one.
 * With {@code syncBeforeAck} it fsyncs before acknowledging (correct under crashes); without, it
 * acknowledges unsynced data (the checker must find lost acknowledged publishes). It has no
 * checksum: a bit flip in a payload is served as is (the checker must find it served wrong).
 */
final class ToyJetStream {
    private final boolean syncBeforeAck;
    private final Disk disk;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Log> logs = new HashMap<>();
    private Account account;
    private long cursor;
    private final java.util.TreeSet<Long> pending = new java.util.TreeSet<>();

    /** One stream's log: messages by sequence, and the file they are appended to. */
    private final class Log {
        final String stream;
        final DiskFile file;
        long size;
        final List<String[]> messages = new ArrayList<>(); // index seq-1: subject, payload
        final Map<String, Long> lastBySubject = new HashMap<>();

        Log(String stream) throws IOException {
            this.stream = stream;
            disk.mkdirs("js/" + stream);
            boolean fresh = !disk.exists("js/" + stream + "/toy.blk");
            file = disk.open("js/" + stream + "/toy.blk", true);
            if (fresh) {
                disk.syncDir("js/" + stream); // else a crash forgets the file (the checker caught that)
            }
            byte[] all = new byte[(int) file.size()];
            file.read(ByteBuffer.wrap(all), 0);
            int pos = 0;
            while (true) {
                int nl = indexOf(all, pos, (byte) '\n');
                if (nl < 0) {
                    break;
                }
                String[] f = new String(all, pos, nl - pos, StandardCharsets.UTF_8).split("\t", 3);
                if (f.length != 3 || !f[0].equals(Long.toString(messages.size() + 1))) {
                    break;
                }
                messages.add(new String[] {f[1], f[2]});
                lastBySubject.put(f[1], (long) messages.size());
                pos = nl + 1;
            }
            size = pos;
            if (size < all.length) {
                file.truncate(size);
                file.force();
            }
        }

        long append(String subject, String payload) throws IOException {
            long seq = messages.size() + 1;
            byte[] line = (seq + "\t" + subject + "\t" + payload + "\n").getBytes(StandardCharsets.UTF_8);
            file.write(ByteBuffer.wrap(line), size);
            size += line.length;
            if (syncBeforeAck) {
                file.force();
            }
            messages.add(new String[] {subject, payload});
            lastBySubject.put(subject, seq);
            return seq;
        }
    }

    private ToyJetStream(Disk disk, boolean syncBeforeAck) {
        this.disk = disk;
        this.syncBeforeAck = syncBeforeAck;
    }

    /** Installs a fresh toy on every start of {@code node}, recovering its logs from the node's disk. */
    static void install(SimNode node, boolean syncBeforeAck) {
        node.onStart(server -> new ToyJetStream(node.env().disk(), syncBeforeAck).attach(server));
    }

    private void attach(Server server) {
        account = server.account(Account.GLOBAL);
        try {
            if (disk.exists("js/Q/toy.blk")) {
                logs.put("Q", new Log("Q"));
            }
            if (disk.exists("js/KV_b/toy.blk")) {
                logs.put("KV_b", new Log("KV_b"));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        account.subscribe("$JS.API.>", null, this::api);
        account.subscribe("$JS.ACK.Q.work.>", null, (s, r, d, o, h, t) -> {
            lock.lock();
            try {
                pending.remove(Long.parseLong(s.split("\\.")[5]));
            } finally {
                lock.unlock();
            }
        });
        account.subscribe("q.>", null, (s, r, d, o, h, t) -> publish("Q", s, r, d, o, h, t));
        account.subscribe("$KV.b.>", null, (s, r, d, o, h, t) -> publish("KV_b", s, r, d, o, h, t));
    }

    private void publish(String stream, String subject, String reply, byte[] data, int off, int hdrLen, int totalLen) {
        String headers = new String(data, off, hdrLen, StandardCharsets.UTF_8);
        String payload = new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8);
        String answer;
        lock.lock();
        try {
            Log log = logs.get(stream);
            if (log == null) {
                answer = error(404, 10059, "stream not found");
            } else {
                String expected = header(headers, "Nats-Expected-Last-Subject-Sequence");
                long last = log.lastBySubject.getOrDefault(subject, 0L);
                if (expected != null && Long.parseLong(expected) != last) {
                    answer = error(400, 10071, "wrong last sequence: " + last);
                } else {
                    answer = "{\"stream\":\"" + stream + "\",\"seq\":" + log.append(subject, payload) + "}";
                }
            }
        } catch (IOException e) {
            answer = error(500, 10000, e.getMessage());
        } finally {
            lock.unlock();
        }
        if (reply != null) {
            account.publish(reply, null, null, answer.getBytes(StandardCharsets.UTF_8));
        }
    }

    private void api(String subject, String reply, byte[] data, int off, int hdrLen, int totalLen) {
        String body = new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8);
        String answer;
        byte[] headers = null;
        lock.lock();
        try {
            if (subject.startsWith("$JS.API.STREAM.CREATE.")) {
                String name = subject.substring("$JS.API.STREAM.CREATE.".length());
                if (!logs.containsKey(name)) {
                    logs.put(name, new Log(name));
                }
                answer = "{\"type\":\"io.nats.jetstream.api.v1.stream_create_response\",\"config\":{\"name\":\"" + name + "\"}}";
            } else if (subject.startsWith("$JS.API.CONSUMER.DURABLE.CREATE.")) {
                answer = "{\"type\":\"io.nats.jetstream.api.v1.consumer_create_response\",\"name\":\"work\"}";
            } else if (subject.startsWith("$JS.API.CONSUMER.MSG.NEXT.")) {
                // deliveries from an in-memory cursor (it restarts at 1 after a crash: redeliveries)
                Log log = logs.get("Q");
                // unacked ones first (the client acks at once, so they were lost on the way)
                int batch = 5;
                int sent = 0;
                List<Long> todo = new ArrayList<>(pending);
                while (log != null && todo.size() < batch && cursor < log.messages.size()) {
                    todo.add(++cursor);
                    pending.add(cursor);
                }
                for (long seq : todo.subList(0, Math.min(batch, todo.size()))) {
                    String[] m = log.messages.get((int) seq - 1);
                    account.publish(reply, "$JS.ACK.Q.work.1." + seq + "." + seq + ".0.0", null,
                            m[1].getBytes(StandardCharsets.UTF_8));
                    sent++;
                }
                if (sent > 0) {
                    return;
                }
                headers = "NATS/1.0 404 No Messages\r\n\r\n".getBytes(StandardCharsets.UTF_8);
                answer = "";
            } else if (subject.equals("$JS.API.STREAM.INFO.Q")) {
                Log log = logs.get("Q");
                answer = log == null ? error(404, 10059, "stream not found")
                        : "{\"state\":{\"messages\":" + log.messages.size() + ",\"last_seq\":" + log.messages.size() + "}}";
            } else if (subject.equals("$JS.API.STREAM.MSG.GET.Q")) {
                Log log = logs.get("Q");
                long seq = Long.parseLong(body.replaceAll("[^0-9]", ""));
                if (log == null || seq < 1 || seq > log.messages.size()) {
                    answer = error(404, 10037, "no message found");
                } else {
                    String[] m = log.messages.get((int) seq - 1);
                    answer = "{\"message\":{\"subject\":\"" + m[0] + "\",\"seq\":" + seq + ",\"data\":\""
                            + Base64.getEncoder().encodeToString(m[1].getBytes(StandardCharsets.UTF_8)) + "\"}}";
                }
            } else if (subject.startsWith("$JS.API.DIRECT.GET.KV_b.")) {
                String key = subject.substring("$JS.API.DIRECT.GET.KV_b.".length());
                Log log = logs.get("KV_b");
                Long seq = log == null ? null : log.lastBySubject.get(key);
                if (seq == null) {
                    headers = "NATS/1.0 404 Message Not Found\r\n\r\n".getBytes(StandardCharsets.UTF_8);
                    answer = "";
                } else {
                    headers = ("NATS/1.0\r\nNats-Stream: KV_b\r\nNats-Subject: " + key + "\r\nNats-Sequence: " + seq
                            + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
                    answer = log.messages.get((int) (long) seq - 1)[1];
                }
            } else {
                answer = error(400, 10025, "unsupported by the toy: " + subject);
            }
        } catch (IOException e) {
            answer = error(500, 10000, e.getMessage());
        } finally {
            lock.unlock();
        }
        if (reply != null) {
            account.publish(reply, null, headers, answer.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String error(int code, int errCode, String description) {
        return "{\"error\":{\"code\":" + code + ",\"err_code\":" + errCode + ",\"description\":\"" + description + "\"}}";
    }

    private static String header(String block, String name) {
        for (String line : block.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static int indexOf(byte[] a, int from, byte b) {
        for (int i = from; i < a.length; i++) {
            if (a[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
