package io.weft.server;

import io.weft.sim.world.Scenario;
import io.weft.sim.world.Scenarios;
import io.weft.sim.world.SimResult;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code weft sim run --scenario S --seeds A..B}, {@code weft sim replay --scenario S --seed N
 * [--trace FILE]} and {@code weft sim list}. The JVM needs
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED} (bin/weft passes it).
 */
final class SimCommand {
    private SimCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            usage(err);
            return 2;
        }
        try {
            return switch (args[0]) {
                case "list" -> list(out);
                case "run" -> runSeeds(args, out, err);
                case "replay" -> replay(args, out, err);
                case "help", "--help", "-h" -> {
                    usage(out);
                    yield 0;
                }
                default -> {
                    err.println("weft sim: unknown subcommand \"" + args[0] + "\"");
                    usage(err);
                    yield 2;
                }
            };
        } catch (IllegalArgumentException e) {
            err.println("weft sim: " + e.getMessage());
            return 2;
        } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
            err.println("weft sim: cannot start the simulator: " + e + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : ""));
            err.println("run the JVM with --add-opens java.base/java.lang=ALL-UNNAMED");
            return 1;
        }
    }

    private static int list(PrintStream out) {
        for (Scenario s : Scenarios.all()) {
            out.println(s.name() + "\t" + s.description());
        }
        return 0;
    }

    private static int runSeeds(String[] args, PrintStream out, PrintStream err) {
        Scenario scenario = scenario(args);
        String range = option(args, "--seeds");
        long from;
        long to;
        int dots = range.indexOf("..");
        try {
            if (dots >= 0) {
                from = Long.parseLong(range.substring(0, dots));
                to = Long.parseLong(range.substring(dots + 2));
            } else {
                from = Long.parseLong(range);
                to = from;
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seeds takes N or A..B, not \"" + range + "\"");
        }
        if (to < from) {
            throw new IllegalArgumentException("empty seed range " + range);
        }
        int failed = 0;
        long virtual = 0;
        long workload = 0;
        long real = 0;
        for (long seed = from; seed <= to; seed++) {
            SimResult r = scenario.run(seed, null);
            virtual += r.virtualNanos();
            workload += r.workloadNanos();
            real += r.realNanos();
            out.println(r.line());
            if (!r.passed()) {
                failed++;
                for (String f : r.failures()) {
                    out.println("  " + f);
                }
                out.println("  replay: weft sim replay " + scenarioFlags(args) + " --seed " + seed);
            }
            out.flush();
        }
        long seeds = to - from + 1;
        out.printf("%d seeds, %d passed, %d failed; %.3f simulated s (%.3f s of workload) in %.3f real s"
                        + "; %.2f simulated s per real s (%.2f counting the workload only)%n",
                seeds, seeds - failed, failed, virtual / 1e9, workload / 1e9, real / 1e9,
                virtual / (double) Math.max(1, real), workload / (double) Math.max(1, real));
        return failed == 0 ? 0 : 1;
    }

    private static int replay(String[] args, PrintStream out, PrintStream err) {
        Scenario scenario = scenario(args);
        long seed;
        try {
            seed = Long.parseLong(option(args, "--seed"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seed takes a number");
        }
        Optional<String> traceFile = optional(args, "--trace");
        SimResult r;
        if (traceFile.isPresent()) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Path.of(traceFile.get()), StandardCharsets.UTF_8))) {
                r = scenario.run(seed, w::println);
            } catch (IOException e) {
                err.println("weft sim: cannot write " + traceFile.get() + ": " + e.getMessage());
                return 1;
            }
        } else {
            r = scenario.run(seed, null);
        }
        out.println(r.line());
        for (String f : r.failures()) {
            out.println("  " + f);
        }
        out.printf("  %d history entries, %d steps, %.6f simulated s (workload %.6f s), %.3f real s%n",
                r.history().size(), r.steps(), r.virtualNanos() / 1e9, r.workloadNanos() / 1e9, r.realNanos() / 1e9);
        traceFile.ifPresent(f -> out.println("  trace written to " + f));
        return r.passed() ? 0 : 1;
    }

    private static final String[] PARAMS = {"clients", "messages"};

    private static Scenario scenario(String[] args) {
        String name = option(args, "--scenario");
        return Scenarios.byName(name, params(args)).orElseThrow(() -> new IllegalArgumentException(
                "unknown scenario \"" + name + "\" (see weft sim list)"));
    }

    private static Map<String, String> params(String[] args) {
        Map<String, String> params = new TreeMap<>();
        for (String p : PARAMS) {
            optional(args, "--" + p).ifPresent(v -> params.put(p, v));
        }
        return params;
    }

    /** The flags that select the scenario and its parameters, as a replay must repeat them. */
    private static String scenarioFlags(String[] args) {
        StringBuilder sb = new StringBuilder("--scenario ").append(option(args, "--scenario"));
        params(args).forEach((k, v) -> sb.append(" --").append(k).append(' ').append(v));
        return sb.toString();
    }

    private static String option(String[] args, String name) {
        return optional(args, name).orElseThrow(() -> new IllegalArgumentException("missing " + name));
    }

    private static Optional<String> optional(String[] args, String name) {
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals(name)) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                return Optional.of(args[i + 1]);
            }
            if (args[i].startsWith(name + "=")) {
                return Optional.of(args[i].substring(name.length() + 1));
            }
        }
        return Optional.empty();
    }

    static void usage(PrintStream out) {
        out.println("Usage:");
        out.println("  weft sim list");
        out.println("  weft sim run --scenario NAME --seeds A..B [--clients N] [--messages N]");
        out.println("  weft sim replay --scenario NAME --seed N [--clients N] [--messages N] [--trace FILE]");
        out.println("The JVM needs --add-opens java.base/java.lang=ALL-UNNAMED (bin/weft passes it).");
    }
}
