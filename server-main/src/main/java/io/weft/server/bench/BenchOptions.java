package io.weft.server.bench;

import io.weft.server.cli.UsageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The parsed command line of {@code weft bench}: the scenario (e.g. {@code pubsub},
 * {@code js pub}, {@code kv get}) and its flags. Sizes accept the suffixes K, M (powers of 1024
 * for {@code --size}, of 1000 for {@code --msgs}): {@code --msgs 1M --size 1K}.
 */
public final class BenchOptions {
    /** The scenarios; {@link #words} is how they are spelled on the command line. */
    public enum Scenario {
        PUB("pub"), SUB("sub"), PUBSUB("pubsub"), REQ("req"), REPLY("reply"),
        JS_PUB("js pub"), JS_CONSUME("js consume"), KV_PUT("kv put"), KV_GET("kv get");

        public final String words;

        Scenario(String words) {
            this.words = words;
        }
    }

    public Scenario scenario;
    public String server = "nats://127.0.0.1:4222";
    /** Where subscribers connect (another server of the same cluster); null: {@link #server}. */
    public String subServer;
    public String subject = "bench";
    public long msgs = 100_000;
    public int size = 128;
    public int pubs = 1;
    public int subs = 1;
    public boolean json;
    /** null: decide by whether stderr is a terminal. */
    public Boolean progress;
    public boolean replyQueue = true;
    public boolean async;
    public int window = 256;
    public int batch = 500;
    /** JetStream consume mode: "pull" or "ordered". */
    public String consumeMode = "ordered";
    public String stream = "benchstream";
    public String storage = "file";
    /** num_replicas of the streams {@code js pub} and {@code kv} create (1-5; above 1 needs a cluster). */
    public int replicas = 1;
    public boolean purge;
    public String bucket = "benchbucket";
    public int keys = 100;
    public long timeoutMillis = 60_000;
    public String user;
    public String pass;

    /** Parses {@code args} (everything after {@code weft bench}). */
    public static BenchOptions parse(String[] args) throws UsageException {
        BenchOptions o = new BenchOptions();
        List<String> words = new ArrayList<>();
        int i = 0;
        while (i < args.length && !args[i].startsWith("-")) {
            words.add(args[i++]);
        }
        o.scenario = scenario(words);
        while (i < args.length) {
            String a = args[i++];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--json" -> o.json = true;
                case "--progress" -> o.progress = true;
                case "--no-progress" -> o.progress = false;
                case "--no-queue" -> o.replyQueue = false;
                case "--reply-queue" -> o.replyQueue = true;
                case "--async" -> o.async = true;
                case "--sync" -> o.async = false;
                case "--purge" -> o.purge = true;
                default -> {
                    if (value == null) {
                        if (i >= args.length) {
                            throw new UsageException("weft bench: " + a + " needs a value");
                        }
                        value = args[i++];
                    }
                    o.set(a, value);
                }
            }
        }
        o.check();
        return o;
    }

    private void set(String flag, String v) throws UsageException {
        switch (flag) {
            case "-s", "--server" -> server = v.contains("://") || v.isEmpty() ? v : "nats://" + v;
            case "--sub-server" -> subServer = v.contains("://") || v.isEmpty() ? v : "nats://" + v;
            case "--subject" -> subject = v;
            case "--msgs", "-n" -> msgs = count(flag, v, 1000);
            case "--size" -> size = (int) count(flag, v, 1024);
            case "--pub", "--clients", "-c" -> pubs = (int) count(flag, v, 1000);
            case "--sub" -> subs = (int) count(flag, v, 1000);
            case "--window" -> window = (int) count(flag, v, 1000);
            case "--batch" -> batch = (int) count(flag, v, 1000);
            case "--mode" -> consumeMode = v.toLowerCase(Locale.ROOT);
            case "--stream" -> stream = v;
            case "--storage" -> storage = v.toLowerCase(Locale.ROOT);
            case "--replicas" -> replicas = (int) count(flag, v, 1000);
            case "--bucket" -> bucket = v;
            case "--keys" -> keys = (int) count(flag, v, 1000);
            case "--timeout" -> timeoutMillis = count(flag, v, 1000) * 1000;
            case "--user" -> user = v;
            case "--pass", "--password" -> pass = v;
            default -> throw new UsageException("weft bench: unknown flag " + flag);
        }
    }

    private void check() throws UsageException {
        if (msgs < 1) {
            throw new UsageException("weft bench: --msgs must be at least 1");
        }
        if (size < 0 || size > 64 * 1024 * 1024) {
            throw new UsageException("weft bench: --size must be between 0 and 64M");
        }
        if (pubs < 1 || subs < 0 || window < 1 || batch < 1 || keys < 1) {
            throw new UsageException("weft bench: --pub, --window, --batch and --keys must be at least 1, --sub at least 0");
        }
        if (replicas < 1 || replicas > 5) {
            throw new UsageException("weft bench: --replicas is 1 to 5, not " + replicas);
        }
        if (!consumeMode.equals("pull") && !consumeMode.equals("ordered")) {
            throw new UsageException("weft bench: --mode is pull or ordered, not " + consumeMode);
        }
        if (!storage.equals("file") && !storage.equals("memory")) {
            throw new UsageException("weft bench: --storage is file or memory, not " + storage);
        }
        if (subject.isEmpty() || subject.contains(" ")) {
            throw new UsageException("weft bench: bad --subject \"" + subject + "\"");
        }
        if (scenario == Scenario.PUB) {
            subs = 0;
        }
        if ((scenario == Scenario.PUBSUB || scenario == Scenario.SUB) && subs < 1) {
            throw new UsageException("weft bench: " + scenario.words + " needs --sub of at least 1");
        }
    }

    /** Parses a count with an optional K/M/G suffix. */
    static long count(String flag, String v, int unit) throws UsageException {
        String s = v.trim().replace("_", "").replace(",", "");
        long mult = 1;
        if (!s.isEmpty()) {
            char last = Character.toUpperCase(s.charAt(s.length() - 1));
            switch (last) {
                case 'K' -> mult = unit;
                case 'M' -> mult = (long) unit * unit;
                case 'G' -> mult = (long) unit * unit * unit;
                default -> mult = 1;
            }
            if (mult != 1) {
                s = s.substring(0, s.length() - 1);
            }
        }
        try {
            long n = Long.parseLong(s);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(n, mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new UsageException("weft bench: " + flag + " takes a count (e.g. 1000, 10K, 1M), not \"" + v + "\"");
        }
    }

    private static Scenario scenario(List<String> words) throws UsageException {
        String joined = String.join(" ", words).toLowerCase(Locale.ROOT);
        for (Scenario s : Scenario.values()) {
            if (s.words.equals(joined)) {
                return s;
            }
        }
        if (joined.equals("request")) {
            return Scenario.REQ;
        }
        if (joined.isEmpty()) {
            throw new UsageException("weft bench: name a scenario (pub, sub, pubsub, req, reply, js pub, js consume, kv put, kv get, compare)");
        }
        throw new UsageException("weft bench: unknown scenario \"" + joined + "\"");
    }

    /** host:port of {@link #server}. */
    public String host() {
        return host(server);
    }

    public int port() {
        return port(server);
    }

    /** The subscribers' server: {@link #subServer}, else {@link #server}. */
    public String subscriberServer() {
        return subServer == null ? server : subServer;
    }

    static String host(String server) {
        String s = server.substring(server.indexOf("://") + 3);
        int at = s.lastIndexOf('@');
        if (at >= 0) {
            s = s.substring(at + 1);
        }
        int colon = s.lastIndexOf(':');
        return colon < 0 ? s : s.substring(0, colon);
    }

    static int port(String server) {
        String s = server.substring(server.indexOf("://") + 3);
        int colon = s.lastIndexOf(':');
        if (colon < 0 || colon < s.lastIndexOf('@')) {
            return 4222;
        }
        try {
            return Integer.parseInt(s.substring(colon + 1).replace("/", ""));
        } catch (NumberFormatException e) {
            return 4222;
        }
    }
}
