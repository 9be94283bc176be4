package io.weft.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * JetStream scenarios over the $JS API: publish (sync, or async with a window of outstanding
 * acks), consume (ordered push, or pull with batches and explicit acks), KV put/get.
 */
final class JsBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BenchOptions o;
    private final PrintStream log;
    private final boolean progress;
    private final CoreBench core;

    JsBench(BenchOptions o, PrintStream log, boolean progress) {
        this.o = o;
        this.log = log;
        this.progress = progress;
        this.core = new CoreBench(o, log, progress);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Sends a $JS API request and returns its JSON reply; fails on an "error" member. */
    JsonNode api(BenchConnection c, String subject, String body) throws IOException {
        return api(c, subject, body, o.timeoutMillis);
    }

    JsonNode api(BenchConnection c, String subject, String body, long timeoutMillis) throws IOException {
        BenchConnection.Reply r = c.request(subject, utf8(body == null ? "" : body), timeoutMillis);
        if (r.status() == 503) {
            throw new IOException("no responders on " + subject + " (is JetStream enabled?)");
        }
        JsonNode n = JSON.readTree(r.body());
        return n;
    }

    static String error(JsonNode n) {
        JsonNode e = n.get("error");
        return e == null ? null : e.path("description").asText("") + " (" + e.path("err_code").asInt() + ")";
    }

    JsonNode check(JsonNode n, String what) throws IOException {
        String e = error(n);
        if (e != null) {
            throw new IOException(what + ": " + e);
        }
        return n;
    }

    /**
     * Makes sure the stream exists (created with --storage and --replicas); with --purge, starts it
     * empty. On a cluster (--replicas above 1) the JetStream API may answer "temporarily unavailable"
     * or not at all until the meta group has a leader, and the stream takes a moment to elect its
     * own: retries for up to --timeout, then waits until the stream has a leader and every replica
     * is current, so that the first measured publish finds a working group.
     */
    void ensureStream(BenchConnection c, String name, String config) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(o.timeoutMillis);
        // on a cluster a request may go unanswered while the meta group elects: ask again rather than wait it out
        long each = o.replicas > 1 ? Math.min(o.timeoutMillis, 5000) : o.timeoutMillis;
        IOException last = null;
        while (true) {
            try {
                JsonNode info = api(c, "$JS.API.STREAM.INFO." + name, "", each);
                if (info.has("error")) {
                    int code = info.path("error").path("err_code").asInt();
                    if (code != 10059 && o.replicas > 1) { // on a cluster, anything but "stream not found": not ready yet
                        throw new IOException("stream info " + name + ": " + error(info));
                    }
                    check(api(c, "$JS.API.STREAM.CREATE." + name, config, each), "create stream " + name);
                } else if (o.purge) {
                    check(api(c, "$JS.API.STREAM.PURGE." + name, "{}", each), "purge stream " + name);
                }
                break;
            } catch (IOException e) {
                last = e;
                if (o.replicas <= 1 || System.nanoTime() > deadline) {
                    throw e;
                }
                sleep(200);
            }
        }
        if (o.replicas > 1) {
            awaitStreamLeader(c, name, deadline, last);
        }
    }

    /** Waits until STREAM.INFO names a leader and --replicas - 1 current replicas; returns that info. */
    JsonNode awaitStreamLeader(BenchConnection c, String name, long deadline, IOException cause) throws IOException {
        String seen = cause == null ? "" : cause.getMessage();
        while (System.nanoTime() < deadline) {
            try {
                JsonNode info = api(c, "$JS.API.STREAM.INFO." + name, "", Math.min(o.timeoutMillis, 5000));
                JsonNode cl = info.path("cluster");
                int current = 0;
                for (JsonNode r : cl.path("replicas")) {
                    current += r.path("current").asBoolean() ? 1 : 0;
                }
                if (!info.has("error") && !cl.path("leader").asText("").isEmpty() && current >= o.replicas - 1) {
                    return info;
                }
                seen = info.toString();
            } catch (IOException e) {
                seen = e.getMessage();
            }
            sleep(100);
        }
        throw new IOException("stream " + name + " has no leader with " + (o.replicas - 1) + " current replicas within "
                + o.timeoutMillis + " ms (last: " + seen + ")");
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    String streamConfig() {
        return "{\"name\":\"" + o.stream + "\",\"subjects\":[\"" + o.subject + "\"],\"retention\":\"limits\",\"storage\":\""
                + o.storage + "\",\"num_replicas\":" + o.replicas + ",\"discard\":\"old\",\"max_msgs\":-1,\"max_bytes\":-1,\"max_age\":0,"
                + "\"max_msgs_per_subject\":-1,\"max_msg_size\":-1,\"duplicate_window\":120000000000}";
    }

    // ---- publish

    BenchResult publish(BenchResult r) throws Exception {
        try (BenchConnection admin = core.connect("bench-js-admin")) {
            ensureStream(admin, o.stream, streamConfig());
        }
        publishers(r, (c, i) -> o.subject);
        return r;
    }

    interface SubjectFor {
        String subject(BenchConnection c, long i);
    }

    /** Runs --pub publishers that publish --msgs (split) to JetStream, sync or async, and fills r. */
    void publishers(BenchResult r, SubjectFor subjects) throws Exception {
        byte[] payload = CoreBench.payload(o.size);
        Sample[] samples = new Sample[o.pubs];
        Latency[] lat = new Latency[o.pubs];
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        try (Progress bar = new Progress(r.scenario, o.msgs, log, progress)) {
            for (int i = 0; i < o.pubs; i++) {
                int idx = i;
                long count = CoreBench.share(o.msgs, o.pubs, i);
                BenchConnection c = core.connect("bench-jspub-" + i);
                threads.add(Thread.ofPlatform().name("bench-jspub-" + i).start(() -> {
                    Latency l = new Latency();
                    lat[idx] = l;
                    try (c) {
                        long start = System.nanoTime();
                        if (o.async) {
                            publishAsync(c, count, payload, subjects, l, bar);
                        } else {
                            for (long k = 0; k < count; k++) {
                                long t0 = System.nanoTime();
                                BenchConnection.Reply rep = c.request(subjects.subject(c, k), payload, o.timeoutMillis);
                                l.record(System.nanoTime() - t0);
                                checkAck(rep);
                                bar.add(1);
                            }
                        }
                        samples[idx] = new Sample("pub " + (idx + 1), count, count * payload.length, start, System.nanoTime());
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        if (failure.get() != null) {
            r.errors.add("publisher: " + failure.get().getMessage());
        }
        r.collectPubs("Pub", samples, lat);
    }

    static void checkAck(BenchConnection.Reply rep) throws IOException {
        if (rep.status() == 503) {
            throw new IOException("no responders: no stream listens on the subject");
        }
        String body = rep.bodyText();
        if (body.contains("\"error\"") || !body.contains("\"seq\"")) {
            throw new IOException("publish not acknowledged: " + body);
        }
    }

    /** Keeps up to --window publishes in flight; each ack frees a slot. */
    private void publishAsync(BenchConnection c, long count, byte[] payload, SubjectFor subjects, Latency l,
                              Progress bar) throws Exception {
        Semaphore window = new Semaphore(o.window);
        AtomicReference<Exception> bad = new AtomicReference<>();
        for (long k = 0; k < count && bad.get() == null; k++) {
            if (!window.tryAcquire()) {
                c.flushBuffer();
                if (!window.tryAcquire(o.timeoutMillis, TimeUnit.MILLISECONDS)) {
                    throw new IOException("no publish ack within " + o.timeoutMillis + " ms");
                }
            }
            CompletableFuture<BenchConnection.Reply> f = new CompletableFuture<>();
            long t0 = System.nanoTime();
            f.whenComplete((rep, err) -> {
                // on the reader thread: one writer into l at a time, as the reader is single
                l.record(System.nanoTime() - t0);
                try {
                    if (err != null) {
                        throw new IOException(err);
                    }
                    checkAck(rep);
                } catch (IOException e) {
                    bad.compareAndSet(null, e);
                }
                bar.add(1);
                window.release();
            });
            String reply = c.registerReply(f);
            c.publish(subjects.subject(c, k), reply, payload);
        }
        c.flushBuffer();
        if (!window.tryAcquire(o.window, o.timeoutMillis, TimeUnit.MILLISECONDS)) {
            throw new IOException("acks missing at the end (" + (o.window - window.availablePermits()) + " outstanding)");
        }
        if (bad.get() != null) {
            throw bad.get();
        }
    }

    // ---- consume

    BenchResult consume(BenchResult r) throws Exception {
        try (BenchConnection admin = core.connect("bench-js-admin")) {
            JsonNode info = check(api(admin, "$JS.API.STREAM.INFO." + o.stream, ""), "stream " + o.stream);
            long have = info.path("state").path("messages").asLong();
            if (have < o.msgs) {
                throw new IOException("stream " + o.stream + " holds " + have + " messages, fewer than --msgs "
                        + o.msgs + " (fill it first with weft bench js pub)");
            }
        }
        if (o.consumeMode.equals("ordered")) {
            ordered(r);
        } else {
            pull(r);
        }
        return r;
    }

    /** --sub ordered push consumers, each reading --msgs from the start of the stream without acks. */
    private void ordered(BenchResult r) throws Exception {
        int n = Math.max(1, o.subs);
        List<Sample> samples = new ArrayList<>();
        try (Progress bar = new Progress(r.scenario, o.msgs * n, log, progress)) {
            List<OrderedReader> readers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                readers.add(new OrderedReader(core.connect("bench-ordered-" + i), "sub " + (i + 1), bar));
            }
            for (OrderedReader rd : readers) {
                rd.start();
            }
            for (OrderedReader rd : readers) {
                rd.await(r);
                samples.add(rd.sample());
                rd.finish();
            }
        }
        r.subs = new SampleGroup("Sub", samples);
    }

    private final class OrderedReader implements BenchConnection.MsgHandler {
        final BenchConnection c;
        final String name;
        final Progress bar;
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicLong seen = new AtomicLong();
        String consumer;
        long bytes;
        long start;
        long end;
        long gaps;
        long step;

        OrderedReader(BenchConnection c, String name, Progress bar) {
            this.c = c;
            this.name = name;
            this.bar = bar;
        }

        void start() throws IOException {
            String deliver = c.inboxPrefix() + ".ordered";
            c.subscribe(deliver, null, this);
            c.roundTrip(o.timeoutMillis);
            String cfg = "{\"stream_name\":\"" + o.stream + "\",\"config\":{\"deliver_subject\":\"" + deliver
                    + "\",\"deliver_policy\":\"all\",\"ack_policy\":\"none\",\"max_deliver\":1,\"replay_policy\":\"instant\","
                    + "\"flow_control\":true,\"idle_heartbeat\":5000000000,\"mem_storage\":true,\"num_replicas\":1,"
                    + "\"inactive_threshold\":300000000000}}";
            start = System.nanoTime();
            JsonNode created = check(api(c, "$JS.API.CONSUMER.CREATE." + o.stream, cfg), "create ordered consumer");
            consumer = created.path("name").asText();
        }

        @Override
        public void onMessage(String subject, String reply, byte[] data, int off, int headerLen, int totalLen) {
            if (headerLen > 0 && BenchConnection.status(data, off, headerLen) == 100) {
                if (reply != null) { // flow control: answer so the server keeps sending
                    try {
                        c.publishNow(reply, null, new byte[0]);
                    } catch (IOException ignored) {
                        // the connection's error is reported by await
                    }
                }
                return;
            }
            long n = seen.get() + 1;
            if (reply != null && consumerSeq(reply) != n) {
                gaps++;
            }
            bytes += totalLen - headerLen;
            seen.lazySet(n);
            if (++step == 1024) {
                bar.add(step);
                step = 0;
            }
            if (n == o.msgs) {
                end = System.nanoTime();
                bar.add(step);
                done.countDown();
            }
        }

        void await(BenchResult r) throws InterruptedException {
            long last = -1;
            long changed = System.nanoTime();
            while (!done.await(100, TimeUnit.MILLISECONDS)) {
                long s = seen.get();
                if (s != last) {
                    last = s;
                    changed = System.nanoTime();
                } else if (System.nanoTime() - changed > TimeUnit.MILLISECONDS.toNanos(o.timeoutMillis) || c.isClosed()) {
                    r.errors.add(name + " received " + s + " of " + o.msgs + (c.error() != null ? " (" + c.error() + ")" : ""));
                    end = System.nanoTime();
                    return;
                }
            }
            if (gaps > 0) {
                r.errors.add(name + ": " + gaps + " consumer sequence gaps (an ordered consumer would have been reset)");
            }
        }

        Sample sample() {
            return new Sample(name, seen.get(), bytes, start, Math.max(end, start + 1));
        }

        void finish() {
            try {
                if (consumer != null && !c.isClosed()) {
                    api(c, "$JS.API.CONSUMER.DELETE." + o.stream + "." + consumer, "");
                }
            } catch (IOException ignored) {
                // ephemeral consumers go away on their own after inactive_threshold
            }
            c.close();
        }
    }

    /** The consumer sequence in a $JS.ACK reply subject (both the 9-token and the 12-token forms), or -1. */
    static long consumerSeq(String ack) {
        // v1: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>
        // v2: $JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>.<random>
        int tokens = 1;
        for (int i = 0; i < ack.length(); i++) {
            if (ack.charAt(i) == '.') {
                tokens++;
            }
        }
        int want = tokens == 9 ? 6 : tokens >= 11 ? 8 : -1;
        if (want < 0) {
            return -1;
        }
        int t = 0;
        int s = 0;
        for (int i = 0; i <= ack.length(); i++) {
            if (i == ack.length() || ack.charAt(i) == '.') {
                if (t == want) {
                    try {
                        return Long.parseLong(ack, s, i, 10);
                    } catch (NumberFormatException e) {
                        return -1;
                    }
                }
                t++;
                s = i + 1;
            }
        }
        return -1;
    }

    /** --sub pullers share one durable pull consumer with explicit acks, fetching --batch at a time. */
    private void pull(BenchResult r) throws Exception {
        String durable = "benchpull";
        try (BenchConnection admin = core.connect("bench-js-admin")) {
            api(admin, "$JS.API.CONSUMER.DELETE." + o.stream + "." + durable, "");
            String cfg = "{\"stream_name\":\"" + o.stream + "\",\"config\":{\"durable_name\":\"" + durable
                    + "\",\"deliver_policy\":\"all\",\"ack_policy\":\"explicit\",\"ack_wait\":30000000000,"
                    + "\"max_ack_pending\":-1,\"max_waiting\":512,\"replay_policy\":\"instant\",\"num_replicas\":1}}";
            check(api(admin, "$JS.API.CONSUMER.DURABLE.CREATE." + o.stream + "." + durable, cfg), "create pull consumer");
        }
        int n = Math.max(1, o.subs);
        AtomicLong remaining = new AtomicLong(o.msgs);
        Sample[] samples = new Sample[n];
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        try (Progress bar = new Progress(r.scenario, o.msgs, log, progress)) {
            for (int i = 0; i < n; i++) {
                int idx = i;
                BenchConnection c = core.connect("bench-pull-" + i);
                threads.add(Thread.ofPlatform().name("bench-pull-" + i).start(() -> {
                    try (c) {
                        samples[idx] = puller(c, "sub " + (idx + 1), durable, remaining, bar);
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        } finally {
            try (BenchConnection admin = core.connect("bench-js-admin")) {
                api(admin, "$JS.API.CONSUMER.DELETE." + o.stream + "." + durable, "");
            } catch (IOException ignored) {
                // best effort
            }
        }
        if (failure.get() != null) {
            r.errors.add("puller: " + failure.get().getMessage());
        }
        List<Sample> ok = new ArrayList<>();
        for (Sample s : samples) {
            if (s != null) {
                ok.add(s);
            }
        }
        r.subs = new SampleGroup("Sub", ok);
        long got = r.subs.msgs();
        if (got < o.msgs && failure.get() == null) {
            r.errors.add("pullers received " + got + " of " + o.msgs);
        }
    }

    private Sample puller(BenchConnection c, String name, String durable, AtomicLong remaining, Progress bar)
            throws Exception {
        String inbox = c.inboxPrefix() + ".pull";
        Semaphore arrived = new Semaphore(0);
        AtomicLong bytes = new AtomicLong();
        AtomicLong got = new AtomicLong();
        AtomicReference<String> endOfBatch = new AtomicReference<>();
        c.subscribe(inbox, null, (subject, reply, data, off, hl, tl) -> {
            if (hl > 0) {
                int st = BenchConnection.status(data, off, hl);
                if (st >= 400 || st == 100) {
                    if (st != 100) {
                        endOfBatch.set(Integer.toString(st));
                        arrived.release(Integer.MAX_VALUE / 4);
                    }
                    return;
                }
            }
            try {
                if (reply != null) {
                    c.publish(reply, null, new byte[0]); // +ACK, written with the next fetch
                }
            } catch (IOException ignored) {
                // reported through the connection's error
            }
            bytes.addAndGet(tl - hl);
            got.incrementAndGet();
            arrived.release();
        });
        c.roundTrip(o.timeoutMillis);
        String next = "$JS.API.CONSUMER.MSG.NEXT." + o.stream + "." + durable;
        long start = System.nanoTime();
        while (true) {
            long want = Math.min(o.batch, remaining.get());
            if (want <= 0) {
                break;
            }
            long claimed = remaining.getAndAdd(-want);
            if (claimed <= 0) {
                break;
            }
            want = Math.min(want, claimed);
            arrived.drainPermits();
            endOfBatch.set(null);
            c.publishNow(next, inbox, utf8("{\"batch\":" + want + ",\"expires\":" + TimeUnit.SECONDS.toNanos(5) + "}"));
            if (!arrived.tryAcquire((int) want, o.timeoutMillis + 5000, TimeUnit.MILLISECONDS) && endOfBatch.get() == null) {
                throw new IOException(name + ": a batch of " + want + " did not arrive");
            }
            if (endOfBatch.get() != null) {
                throw new IOException(name + ": batch ended early with status " + endOfBatch.get());
            }
            bar.add(want);
        }
        c.roundTrip(o.timeoutMillis); // the last acks are written
        return new Sample(name, got.get(), bytes.get(), start, System.nanoTime());
    }

    // ---- KV

    private String kvStream() {
        return "KV_" + o.bucket;
    }

    private String kvSubject(long key) {
        return "$KV." + o.bucket + ".k" + key;
    }

    private void ensureBucket(BenchConnection c) throws IOException {
        String cfg = "{\"name\":\"" + kvStream() + "\",\"subjects\":[\"$KV." + o.bucket + ".>\"],\"retention\":\"limits\","
                + "\"max_msgs_per_subject\":1,\"discard\":\"new\",\"allow_rollup_hdrs\":true,\"deny_delete\":true,"
                + "\"deny_purge\":false,\"allow_direct\":true,\"storage\":\"" + o.storage + "\",\"num_replicas\":" + o.replicas + ","
                + "\"max_msgs\":-1,\"max_bytes\":-1,\"max_age\":0,\"max_msg_size\":-1,\"duplicate_window\":120000000000}";
        ensureStream(c, kvStream(), cfg);
    }

    BenchResult kvPut(BenchResult r) throws Exception {
        try (BenchConnection admin = core.connect("bench-kv-admin")) {
            ensureBucket(admin);
        }
        publishers(r, (c, i) -> kvSubject(i % o.keys));
        return r;
    }

    BenchResult kvGet(BenchResult r) throws Exception {
        byte[] payload = CoreBench.payload(o.size);
        try (BenchConnection admin = core.connect("bench-kv-admin")) {
            ensureBucket(admin);
            for (int k = 0; k < o.keys; k++) {
                checkAck(admin.request(kvSubject(k), payload, o.timeoutMillis));
            }
        }
        Sample[] samples = new Sample[o.pubs];
        Latency[] lat = new Latency[o.pubs];
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        try (Progress bar = new Progress(r.scenario, o.msgs, log, progress)) {
            for (int i = 0; i < o.pubs; i++) {
                int idx = i;
                long count = CoreBench.share(o.msgs, o.pubs, i);
                BenchConnection c = core.connect("bench-kvget-" + i);
                threads.add(Thread.ofPlatform().name("bench-kvget-" + i).start(() -> {
                    Latency l = new Latency();
                    lat[idx] = l;
                    try (c) {
                        long bytes = 0;
                        long start = System.nanoTime();
                        for (long k = 0; k < count; k++) {
                            long t0 = System.nanoTime();
                            BenchConnection.Reply rep = c.request("$JS.API.DIRECT.GET." + kvStream() + "." + kvSubject(k % o.keys),
                                    new byte[0], o.timeoutMillis);
                            l.record(System.nanoTime() - t0);
                            if (rep.status() != 0) {
                                throw new IOException("direct get of " + kvSubject(k % o.keys) + " answered status " + rep.status());
                            }
                            bytes += rep.body().length;
                            bar.add(1);
                        }
                        samples[idx] = new Sample("get " + (idx + 1), count, bytes, start, System.nanoTime());
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        if (failure.get() != null) {
            r.errors.add("getter: " + failure.get().getMessage());
        }
        r.collectPubs("Get", samples, lat);
        return r;
    }
}
