package io.weft.server.bench;

import io.weft.engine.protocol.ByteSink;
import io.weft.engine.protocol.ProtocolEncoder;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** Core NATS scenarios: pub, sub, pub/sub with N publishers and M subscribers, request/reply. */
final class CoreBench {
    private final BenchOptions o;
    private final PrintStream log;
    private final boolean progress;

    CoreBench(BenchOptions o, PrintStream log, boolean progress) {
        this.o = o;
        this.log = log;
        this.progress = progress;
    }

    BenchConnection connect(String name) throws IOException {
        return BenchConnection.connect(o.host(), o.port(), name, o.user, o.pass, o.timeoutMillis);
    }

    /** A subscriber's connection: to {@code --sub-server} when given. */
    BenchConnection connectSubscriber(String name) throws IOException {
        String s = o.subscriberServer();
        return BenchConnection.connect(BenchOptions.host(s), BenchOptions.port(s), name, o.user, o.pass, o.timeoutMillis);
    }

    /**
     * With the subscribers on another server of the cluster, their interest reaches the publishers'
     * server over the route some time after their SUB was acknowledged. A probe subscription made
     * after theirs on the same server travels behind it on the route, so once a probe published on
     * the publishers' server arrives, the subscribers' interest is there too.
     */
    private void awaitRemoteInterest() throws IOException, InterruptedException {
        String ready = "_WEFT_BENCH.ready." + System.nanoTime();
        try (BenchConnection sub = connectSubscriber("bench-ready-sub"); BenchConnection pub = connect("bench-ready-pub")) {
            CountDownLatch got = new CountDownLatch(1);
            sub.subscribe(ready, null, (subject, reply, data, off, hl, tl) -> got.countDown());
            sub.roundTrip(o.timeoutMillis);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(o.timeoutMillis);
            while (!got.await(20, TimeUnit.MILLISECONDS)) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("the subscribers' interest on " + o.subscriberServer() + " did not reach "
                            + o.server + " within " + o.timeoutMillis / 1000 + " s (are they one cluster?)");
                }
                pub.publishNow(ready, null, new byte[0]);
            }
        }
    }

    static byte[] payload(int size) {
        byte[] p = new byte[size];
        for (int i = 0; i < size; i++) {
            p[i] = (byte) ('a' + i % 26);
        }
        return p;
    }

    /** The share of {@code total} for client {@code i} of {@code n}: even split, the first ones take the remainder. */
    static long share(long total, int n, int i) {
        return total / n + (i < total % n ? 1 : 0);
    }

    /** pub, sub and pubsub. */
    BenchResult pubSub(BenchResult r, boolean withPubs, boolean withSubs) throws Exception {
        int nsubs = withSubs ? o.subs : 0;
        int npubs = withPubs ? o.pubs : 0;
        long expectedPerSub = o.msgs;
        long total = (withPubs ? o.msgs : 0) + nsubs * expectedPerSub;
        List<Subscriber> subscribers = new ArrayList<>();
        try (Progress bar = new Progress(r.scenario, total, log, progress)) {
            for (int i = 0; i < nsubs; i++) {
                Subscriber s = new Subscriber(connectSubscriber("bench-sub-" + i), "sub " + (i + 1), expectedPerSub, bar);
                s.conn.subscribe(o.subject, null, s);
                s.conn.roundTrip(o.timeoutMillis); // the SUB is in place before anyone publishes
                subscribers.add(s);
            }
            if (nsubs > 0 && npubs > 0 && !o.subscriberServer().equals(o.server)) {
                awaitRemoteInterest();
            }
            List<Sample> pubSamples = new ArrayList<>();
            if (npubs > 0) {
                List<Thread> threads = new ArrayList<>();
                Sample[] samples = new Sample[npubs];
                AtomicReference<Exception> failure = new AtomicReference<>();
                List<BenchConnection> conns = new ArrayList<>();
                for (int i = 0; i < npubs; i++) {
                    conns.add(connect("bench-pub-" + i));
                }
                byte[] payload = payload(o.size);
                CountDownLatch go = new CountDownLatch(1);
                for (int i = 0; i < npubs; i++) {
                    int idx = i;
                    long count = share(o.msgs, npubs, i);
                    threads.add(Thread.ofPlatform().name("bench-pub-" + i).start(() -> {
                        try {
                            go.await();
                            samples[idx] = publish(conns.get(idx), "pub " + (idx + 1), count, payload, bar);
                        } catch (Exception e) {
                            failure.compareAndSet(null, e);
                        }
                    }));
                }
                go.countDown();
                for (Thread t : threads) {
                    t.join();
                }
                for (BenchConnection c : conns) {
                    c.close();
                }
                if (failure.get() != null) {
                    r.errors.add("publisher: " + failure.get().getMessage());
                }
                for (Sample s : samples) {
                    if (s != null) {
                        pubSamples.add(s);
                    }
                }
            }
            r.pubs = new SampleGroup("Pub", pubSamples);
            List<Sample> subSamples = new ArrayList<>();
            for (Subscriber s : subscribers) {
                s.await(o.timeoutMillis, r);
                subSamples.add(s.sample());
                s.conn.close();
            }
            r.subs = new SampleGroup("Sub", subSamples);
        } finally {
            for (Subscriber s : subscribers) {
                s.conn.close();
            }
        }
        return r;
    }

    /**
     * Publishes {@code count} copies of one message. The PUB is encoded once with the engine's
     * encoder and copied into a block of about 64 KB that is written whole, so the load generator
     * does no per-message work beyond the copy the kernel makes; the server still parses every PUB.
     */
    private Sample publish(BenchConnection c, String name, long count, byte[] payload, Progress bar) throws IOException {
        ByteSink one = new ByteSink(payload.length + 64);
        ProtocolEncoder.pub(one, o.subject, null, payload);
        int frame = one.size();
        int perBlock = Math.max(1, (64 * 1024) / frame);
        byte[] block = new byte[perBlock * frame];
        for (int k = 0; k < perBlock; k++) {
            System.arraycopy(one.array(), 0, block, k * frame, frame);
        }
        long start = System.nanoTime();
        long left = count;
        while (left > 0) {
            int n = (int) Math.min(perBlock, left);
            c.writeRaw(block, n * frame);
            left -= n;
            bar.add(n);
        }
        c.roundTrip(o.timeoutMillis);
        long end = System.nanoTime();
        return new Sample(name, count, count * payload.length, start, end);
    }

    /** Counts messages on the reader thread; the clock starts at the first message. */
    static final class Subscriber implements BenchConnection.MsgHandler {
        final BenchConnection conn;
        final String name;
        final long expected;
        final Progress bar;
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicLong seen = new AtomicLong();
        long bytes;
        long first;
        long last;
        long step;

        Subscriber(BenchConnection conn, String name, long expected, Progress bar) {
            this.conn = conn;
            this.name = name;
            this.expected = expected;
            this.bar = bar;
        }

        @Override
        public void onMessage(String subject, String reply, byte[] data, int off, int headerLen, int totalLen) {
            long n = seen.get() + 1;
            if (n == 1) {
                first = System.nanoTime();
            }
            bytes += totalLen - headerLen;
            seen.lazySet(n);
            if (++step == 1024) {
                bar.add(step);
                step = 0;
            }
            if (n == expected) {
                last = System.nanoTime();
                bar.add(step);
                step = 0;
                done.countDown();
            }
        }

        /** Waits until all expected messages came, or nothing new arrived for {@code idleMillis}. */
        void await(long idleMillis, BenchResult r) throws InterruptedException {
            long lastCount = -1;
            long lastChange = System.nanoTime();
            while (!done.await(100, TimeUnit.MILLISECONDS)) {
                long c = seen.get();
                if (c != lastCount) {
                    lastCount = c;
                    lastChange = System.nanoTime();
                } else if (System.nanoTime() - lastChange > TimeUnit.MILLISECONDS.toNanos(idleMillis) || conn.isClosed()) {
                    r.errors.add(name + " received " + c + " of " + expected + " messages"
                            + (conn.error() != null ? " (" + conn.error() + ")" : ""));
                    return;
                }
            }
        }

        Sample sample() {
            long n = seen.get();
            long end = last != 0 ? last : System.nanoTime(); // short of the expected count: until now
            return new Sample(name, n, bytes, n == 0 ? 0 : first, n == 0 ? 1 : end);
        }
    }

    /** Request/reply: repliers (--sub, in a queue group unless --no-queue) and requesters (--pub), one request in flight each. */
    BenchResult requestReply(BenchResult r) throws Exception {
        List<BenchConnection> repliers = new ArrayList<>();
        try (Progress bar = new Progress(r.scenario, o.msgs, log, progress)) {
            for (int i = 0; i < Math.max(1, o.subs); i++) {
                repliers.add(startReplier("bench-reply-" + i, new AtomicLong(), null));
            }
            byte[] payload = payload(o.size);
            Sample[] samples = new Sample[o.pubs];
            Latency[] lat = new Latency[o.pubs];
            AtomicReference<Exception> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < o.pubs; i++) {
                int idx = i;
                long count = share(o.msgs, o.pubs, i);
                BenchConnection c = connect("bench-req-" + i);
                threads.add(Thread.ofPlatform().name("bench-req-" + i).start(() -> {
                    Latency l = new Latency();
                    try (c) {
                        long start = System.nanoTime();
                        for (long k = 0; k < count; k++) {
                            long t0 = System.nanoTime();
                            c.request(o.subject, payload, o.timeoutMillis);
                            l.record(System.nanoTime() - t0);
                            bar.add(1);
                        }
                        samples[idx] = new Sample("req " + (idx + 1), count, count * payload.length, start, System.nanoTime());
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                    lat[idx] = l;
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                r.errors.add("requester: " + failure.get().getMessage());
            }
            r.collectPubs("Req", samples, lat);
        } finally {
            for (BenchConnection c : repliers) {
                c.close();
            }
        }
        return r;
    }

    /** A replier: echoes each request's payload to its reply subject. */
    BenchConnection startReplier(String name, AtomicLong served, CountDownLatch doneAt) throws IOException {
        BenchConnection c = connect(name);
        c.subscribe(o.subject, o.replyQueue ? "bench-reply" : null, (subject, reply, data, off, hl, tl) -> {
            if (reply == null) {
                return;
            }
            try {
                c.publishNow(reply, null, java.util.Arrays.copyOfRange(data, off + hl, off + tl));
            } catch (IOException e) {
                return;
            }
            served.incrementAndGet();
            if (doneAt != null) {
                doneAt.countDown();
            }
        });
        c.roundTrip(o.timeoutMillis);
        return c;
    }

    /** The standalone reply side: serves --msgs requests (across --sub repliers), then reports. */
    BenchResult replyOnly(BenchResult r) throws Exception {
        List<BenchConnection> repliers = new ArrayList<>();
        AtomicLong served = new AtomicLong();
        CountDownLatch doneAt = new CountDownLatch((int) Math.min(o.msgs, Integer.MAX_VALUE));
        long start = System.nanoTime();
        try {
            for (int i = 0; i < Math.max(1, o.subs); i++) {
                repliers.add(startReplier("bench-reply-" + i, served, doneAt));
            }
            log.println("weft bench: replying on " + o.subject + (o.replyQueue ? " (queue group bench-reply)" : "")
                    + " until " + o.msgs + " requests are served");
            doneAt.await();
        } finally {
            for (BenchConnection c : repliers) {
                c.close();
            }
        }
        r.subs = new SampleGroup("Reply", List.of(new Sample("reply", served.get(), 0, start, System.nanoTime())));
        return r;
    }
}
