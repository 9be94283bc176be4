package io.weft.raft;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every {@code src/test/resources/raft/*.txt} script, in etcd's data-driven style: a command
 * line, a {@code ----} line, then the expected output up to a blank line. Lines starting with
 * {@code #} between blocks are comments. With {@code -Draft.rewrite=true} the files are rewritten
 * with the actual output (then review the diff before committing).
 */
class DataDrivenTest {
    private static final Path DIR = Path.of("src/test/resources/raft");

    record Block(int line, String command, String expected, List<String> comments) {}

    @TestFactory
    Stream<DynamicTest> scripts() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        }
        if (files.isEmpty()) fail("no scripts under " + DIR.toAbsolutePath());
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> runFile(f)));
    }

    private static void runFile(Path file) throws IOException {
        List<Block> blocks = parse(Files.readAllLines(file, StandardCharsets.UTF_8), file);
        InteractionEnv env = new InteractionEnv();
        boolean rewrite = Boolean.getBoolean("raft.rewrite");
        StringBuilder rewritten = new StringBuilder();
        for (Block b : blocks) {
            String actual;
            try {
                actual = env.run(b.command());
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError(file.getFileName() + ":" + b.line() + ": " + b.command() + " threw " + e, e);
            }
            if (rewrite) {
                for (String c : b.comments()) rewritten.append(c).append('\n');
                rewritten.append(b.command()).append("\n----\n").append(actual).append("\n\n");
            } else if (!actual.equals(b.expected())) {
                fail(file.getFileName() + ":" + b.line() + ": " + b.command() + "\n--- expected\n" + b.expected()
                        + "\n--- actual\n" + actual);
            }
        }
        if (rewrite) Files.writeString(file, rewritten.toString().stripTrailing() + "\n", StandardCharsets.UTF_8);
    }

    static List<Block> parse(List<String> lines, Path file) {
        List<Block> out = new ArrayList<>();
        List<String> comments = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            String l = lines.get(i);
            if (l.isBlank()) {
                i++;
                continue;
            }
            if (l.startsWith("#")) {
                comments.add(l);
                i++;
                continue;
            }
            int at = i + 1;
            if (i + 1 >= lines.size() || !lines.get(i + 1).equals("----")) {
                throw new IllegalArgumentException(file + ":" + at + ": expected ---- after " + l);
            }
            StringBuilder exp = new StringBuilder();
            int j = i + 2;
            while (j < lines.size() && !lines.get(j).isEmpty()) {
                if (!exp.isEmpty()) exp.append('\n');
                exp.append(lines.get(j));
                j++;
            }
            out.add(new Block(at, l, exp.toString(), List.copyOf(comments)));
            comments.clear();
            i = j;
        }
        return out;
    }
}
