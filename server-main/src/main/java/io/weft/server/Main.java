package io.weft.server;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The {@code weft} command. {@code weft serve [flags]} runs the server; as with nats-server, flags
 * alone ({@code weft -p 4222}) mean serve too.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code >= 0) {
            System.exit(code);
        }
    }

    /** Runs a command; returns the exit status, or -1 when the server keeps running on its own threads. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            return Serve.run(args, out, err);
        }
        String cmd = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (cmd) {
            case "serve":
                return Serve.run(rest, out, err);
            case "sim": return SimCommand.run(rest, out, err);
            case "bench": return io.weft.server.bench.BenchCommand.run(rest, out, err);
            case "version":
            case "--version":
                out.println(Serve.versionLine());
                return 0;
            case "help":
                usage(out);
                return 0;
            case "-h", "--help":
                // every command first (flags alone mean serve, so its flags follow)
                usage(out);
                out.println();
                out.print(io.weft.server.cli.ServeCommand.usage());
                return 0;
            default:
                if (cmd.startsWith("-")) {
                    return Serve.run(args, out, err);
                }
                err.println("weft: unknown command \"" + cmd + "\"");
                usage(err);
                return 2;
        }
    }

    /** One line per command, every command listed. */
    static final String[][] COMMANDS = {
        {"serve [flags]", "run the server, with nats-server's flags and config file (`weft serve --help`)"},
        {"sim list", "name the simulator's scenarios"},
        {"sim run", "run a scenario over a seed range in the deterministic simulator; failing seeds print their replay"},
        {"sim replay", "replay one seed of a scenario, optionally writing its trace (`weft sim` for the flags)"},
        {"bench <scenario>", "load generator modeled on `nats bench`: core, request/reply, JetStream, KV (`weft bench --help`)"},
        {"bench compare", "the same load against weft and nats-server side by side (`weft bench compare --help`)"},
        {"version", "print the version (also --version)"},
        {"help", "this text (also -h, --help, which add the server's flags)"},
    };

    static void usage(PrintStream out) {
        out.println("Usage: weft <command> [options]");
        out.println();
        out.println("Commands:");
        for (String[] c : COMMANDS) {
            out.printf("  %-18s %s%n", c[0], c[1]);
        }
        out.println();
        out.println("Flags given without a command run the server, as nats-server does.");
    }
}
