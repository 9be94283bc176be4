package io.weft.server.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The outcome of one bench run: publisher and subscriber samples, latencies, errors; printed as text or JSON. */
public final class BenchResult {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public final String scenario;
    public final long msgs;
    public final int size;
    public SampleGroup pubs = new SampleGroup("Pub", List.of());
    public SampleGroup subs = new SampleGroup("Sub", List.of());
    /** Round-trip latencies (requests, sync JetStream publishes, KV operations), or null. */
    public Latency latency;
    public final List<String> errors = new ArrayList<>();
    /** CPU time this process used during the run, in nanoseconds, or -1 when unknown. */
    public long clientCpuNanos = -1;
    /** CPU time the server process used during the run (set by {@link Compare}), or -1. */
    public long serverCpuNanos = -1;
    public long wallNanos;

    public BenchResult(String scenario, long msgs, int size) {
        this.scenario = scenario;
        this.msgs = msgs;
        this.size = size;
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    /** The headline rate: the pub/sub aggregate when both sides ran, else the side that did. */
    public double msgsPerSec() {
        if (!pubs.samples().isEmpty() && !subs.samples().isEmpty()) {
            return SampleGroup.union("all", pubs, subs).msgsPerSec();
        }
        return pubs.samples().isEmpty() ? subs.msgsPerSec() : pubs.msgsPerSec();
    }

    public void printText(PrintStream out) {
        out.printf(Locale.ROOT, "%s benchmark [msgs=%,d, msgsize=%s, pubs=%d, subs=%d]%n", scenario, msgs,
                humanBytes(size), pubs.samples().size(), subs.samples().size());
        if (!pubs.samples().isEmpty() && !subs.samples().isEmpty()) {
            SampleGroup all = SampleGroup.union("NATS Pub/Sub", pubs, subs);
            out.printf(Locale.ROOT, "NATS Pub/Sub stats: %s%n", rate(all.msgsPerSec(), all.bytesPerSec()));
        }
        group(out, pubs);
        group(out, subs);
        if (latency != null && latency.count() > 0) {
            out.printf(Locale.ROOT, "Latency (%,d samples): p50 %s | p90 %s | p99 %s | p99.9 %s | max %s | mean %s%n",
                    latency.count(), micros(latency.percentile(50)), micros(latency.percentile(90)),
                    micros(latency.percentile(99)), micros(latency.percentile(99.9)), micros(latency.max()),
                    micros((long) latency.mean()));
        }
        if (clientCpuNanos >= 0 && wallNanos > 0) {
            out.printf(Locale.ROOT, "Load generator CPU: %.2f s over %.2f s wall (%.0f%% of one core)%n",
                    clientCpuNanos / 1e9, wallNanos / 1e9, 100.0 * clientCpuNanos / wallNanos);
        }
        for (String e : errors) {
            out.println("ERROR: " + e);
        }
    }

    private static void group(PrintStream out, SampleGroup g) {
        if (g.samples().isEmpty()) {
            return;
        }
        out.printf(Locale.ROOT, "%s stats: %s%n", g.name(), rate(g.msgsPerSec(), g.bytesPerSec()));
        if (g.samples().size() > 1) {
            int i = 1;
            for (Sample s : g.samples()) {
                out.printf(Locale.ROOT, " [%d] %s (%,d msgs)%n", i++, rate(s.msgsPerSec(), s.bytesPerSec()), s.msgs());
            }
            out.printf(Locale.ROOT, " min %,.0f | avg %,.0f | max %,.0f | stddev %,.0f msgs%n",
                    g.minRate(), g.avgRate(), g.maxRate(), g.stddevRate());
        }
    }

    static String rate(double msgsPerSec, double bytesPerSec) {
        return String.format(Locale.ROOT, "%,.0f msgs/sec ~ %.2f MB/sec", msgsPerSec, bytesPerSec / (1024.0 * 1024.0));
    }

    static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1f µs", nanos / 1000.0);
    }

    static String humanBytes(long n) {
        if (n >= 1024 * 1024 && n % (1024 * 1024) == 0) {
            return (n / (1024 * 1024)) + " MiB";
        }
        if (n >= 1024 && n % 1024 == 0) {
            return (n / 1024) + " KiB";
        }
        return n + " B";
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("scenario", scenario);
        o.put("msgs", msgs);
        o.put("size", size);
        o.put("ok", ok());
        o.put("msgs_per_sec", msgsPerSec());
        if (!pubs.samples().isEmpty()) {
            o.set("pub", groupJson(pubs));
        }
        if (!subs.samples().isEmpty()) {
            o.set("sub", groupJson(subs));
        }
        if (latency != null && latency.count() > 0) {
            ObjectNode l = o.putObject("latency_us");
            l.put("count", latency.count());
            l.put("p50", latency.percentile(50) / 1000.0);
            l.put("p90", latency.percentile(90) / 1000.0);
            l.put("p99", latency.percentile(99) / 1000.0);
            l.put("p99_9", latency.percentile(99.9) / 1000.0);
            l.put("max", latency.max() / 1000.0);
            l.put("mean", latency.mean() / 1000.0);
        }
        if (clientCpuNanos >= 0) {
            o.put("client_cpu_sec", clientCpuNanos / 1e9);
            o.put("wall_sec", wallNanos / 1e9);
        }
        ArrayNode errs = o.putArray("errors");
        errors.forEach(errs::add);
        return o;
    }

    private static ObjectNode groupJson(SampleGroup g) {
        ObjectNode o = JSON.createObjectNode();
        o.put("msgs", g.msgs());
        o.put("bytes", g.bytes());
        o.put("msgs_per_sec", g.msgsPerSec());
        o.put("bytes_per_sec", g.bytesPerSec());
        o.put("min", g.minRate());
        o.put("avg", g.avgRate());
        o.put("max", g.maxRate());
        o.put("stddev", g.stddevRate());
        ArrayNode clients = o.putArray("clients");
        for (Sample s : g.samples()) {
            ObjectNode c = clients.addObject();
            c.put("name", s.name());
            c.put("msgs", s.msgs());
            c.put("msgs_per_sec", s.msgsPerSec());
            c.put("bytes_per_sec", s.bytesPerSec());
        }
        return o;
    }

    public void printJson(PrintStream out) {
        try {
            out.println(JSON.writeValueAsString(toJson()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Sets the publishing side from parallel clients' samples and latencies, one slot per client;
     * an empty slot is a client that failed (its error is in {@link #errors}).
     */
    void collectPubs(String label, Sample[] samples, Latency[] latencies) {
        List<Sample> ok = new ArrayList<>();
        Latency all = new Latency();
        for (int i = 0; i < samples.length; i++) {
            if (samples[i] != null) {
                ok.add(samples[i]);
            }
            if (latencies[i] != null) {
                all.add(latencies[i]);
            }
        }
        pubs = new SampleGroup(label, ok);
        latency = all;
    }
}
