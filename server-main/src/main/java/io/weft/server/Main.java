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
            default:
                if (cmd.startsWith("-")) {
                    return Serve.run(args, out, err);
                }
                err.println("weft: unknown command \"" + cmd + "\"");
                usage(err);
                return 2;
        }
    }

    static void usage(PrintStream out) {
        out.println("Usage: weft <command> [options]");
        out.println();
        out.println("Commands:");
        out.println("  serve [flags]   run the server (nats-server compatible flags; `weft serve --help`)");
        out.println("  sim run|replay|list  the deterministic simulator (`weft sim list` names the scenarios)");
        out.println("  bench <scenario> load generator modeled on `nats bench`; `bench compare` runs weft vs nats-server");
        out.println("  version         print the version");
        out.println("  help            this text");
        out.println();
        out.println("Flags given without a command run the server, as nats-server does.");
    }
}
