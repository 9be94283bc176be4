package io.weft.server.bench;

import io.weft.server.cli.UsageException;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * {@code weft bench <scenario> [flags]}: a load generator modeled on {@code nats bench}, speaking
 * the NATS protocol over raw sockets with the engine's codec, so it works against weft and
 * nats-server alike. {@code weft bench compare} runs the side-by-side comparison ({@link Compare}).
 */
public final class BenchCommand {
    private BenchCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            usage(args.length == 0 ? err : out);
            return args.length == 0 ? 2 : 0;
        }
        if (args[0].equals("compare")) {
            return Compare.run(Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        if (args[0].equals("raft")) {
            return RaftBench.run(Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        BenchOptions o;
        try {
            o = BenchOptions.parse(args);
        } catch (UsageException e) {
            err.println(e.getMessage());
            err.println("Run 'weft bench help' for usage.");
            return 2;
        }
        BenchResult r = runScenario(o, err, o.progress != null ? o.progress : !o.json && System.console() != null && System.console().isTerminal());
        if (o.json) {
            r.printJson(out);
        } else {
            r.printText(out);
        }
        return r.ok() ? 0 : 1;
    }

    /** Runs one scenario; failures end up in {@link BenchResult#errors}. */
    public static BenchResult runScenario(BenchOptions o, PrintStream log, boolean progress) {
        BenchResult r = new BenchResult(o.scenario.words, o.msgs, o.size);
        long cpu0 = ProcStats.cpuNanos("self");
        long t0 = System.nanoTime();
        try {
            CoreBench core = new CoreBench(o, log, progress);
            JsBench js = new JsBench(o, log, progress);
            switch (o.scenario) {
                case PUB -> core.pubSub(r, true, false);
                case SUB -> core.pubSub(r, false, true);
                case PUBSUB -> core.pubSub(r, true, true);
                case REQ -> core.requestReply(r);
                case REPLY -> core.replyOnly(r);
                case JS_PUB -> js.publish(r);
                case JS_CONSUME -> js.consume(r);
                case KV_PUT -> js.kvPut(r);
                case KV_GET -> js.kvGet(r);
                default -> throw new IllegalStateException(o.scenario.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            r.errors.add("interrupted");
        } catch (Exception e) {
            r.errors.add(e.getMessage() == null ? e.toString() : e.getMessage());
        }
        r.wallNanos = System.nanoTime() - t0;
        long cpu1 = ProcStats.cpuNanos("self");
        r.clientCpuNanos = cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0;
        return r;
    }

    public static void usage(PrintStream out) {
        out.println("Usage: weft bench <scenario> [flags]");
        out.println();
        out.println("Scenarios:");
        out.println("  pub              publishers only (--pub N)");
        out.println("  sub              subscribers only, counting --msgs each from another publisher");
        out.println("  pubsub           N publishers and M subscribers (--pub N --sub M)");
        out.println("  req              request/reply: --pub requesters against --sub repliers (queue group");
        out.println("                   bench-reply, --no-queue for plain subscriptions); latency percentiles");
        out.println("  reply            repliers only, serving --msgs requests");
        out.println("  js pub           JetStream publish to --stream (created if missing), sync or --async --window W");
        out.println("  js consume       replay --msgs from --stream: --mode ordered (push, default) or pull --batch B");
        out.println("  kv put | kv get  KV bucket --bucket over --keys keys");
        out.println("  compare          weft vs nats-server side by side (`weft bench compare --help`)");
        out.println("  raft             commits/s of an in-process Raft group on the real disk and loopback:");
        out.println("                   [--nodes 3] [--msgs 20K] [--size 128] [--clients 64] [--dir DIR] [--json]");
        out.println();
        out.println("Flags:");
        out.println("  -s, --server URL  server (default nats://127.0.0.1:4222)");
        out.println("  --sub-server URL  subscribers connect here (another server of the cluster; default --server);");
        out.println("                    pub/sub waits until their interest has crossed the route before publishing");
        out.println("  --subject S       subject (default bench)");
        out.println("  --msgs N          messages in total (default 100K; K/M suffixes)");
        out.println("  --size N          payload bytes (default 128; K/M suffixes)");
        out.println("  --pub N, --clients N   publishers / requesters (default 1)");
        out.println("  --sub N           subscribers / repliers / consumers (default 1)");
        out.println("  --storage file|memory  --purge  --batch N (500)  --window N (256)  --keys N (100)");
        out.println("  --replicas N      num_replicas of the stream js pub / kv create (default 1; on a cluster, 3 or 5);");
        out.println("                    waits for the meta leader, then for the stream's leader and current replicas");
        out.println("  --user U --pass P  --timeout SECONDS (60)");
        out.println("  --json            print the result as JSON");
        out.println("  --progress / --no-progress   the progress bar (default: on when stderr is a terminal)");
    }
}
