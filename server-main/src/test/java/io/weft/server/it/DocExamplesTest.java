package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jnats example of {@code docs/jetstream.md}, taken from the page itself, compiled against the
 * jnats version the project pins and run against a real weft: an example that no longer compiles
 * (it once called a builder method jnats does not have) or no longer does what its comments say
 * fails here.
 */
class DocExamplesTest {
    private static final Path PAGE = Path.of("..", "docs", "jetstream.md");
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

    @Test
    void jetstreamPageExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
        List<String> blocks = javaBlocks(Files.readString(PAGE));
        assertEquals(1, blocks.size(), "java examples on " + PAGE + " (add each new one to this test)");
        Method example = compile(dir, "JetStreamPageExample", blocks.get(0));
        try (JsServer js = JsServer.start(TestServers.Target.WEFT, "");
             Connection nc = Clients.connect(js.server)) {
            try {
                example.invoke(null, nc);
            } catch (InvocationTargetException e) {
                throw new AssertionError("the example failed against weft", e.getCause());
            }
            // what the example's comments promise
            assertNotNull(nc.jetStreamManagement().getStreamInfo("ORDERS"));
            assertEquals(1, nc.jetStreamManagement().getStreamInfo("ORDERS").getStreamState().getMsgCount());
            KeyValue kv = nc.keyValue("config");
            assertEquals(5, nc.keyValueManagement().getStatus("config").getMaxHistoryPerKey());
            KeyValueEntry mode = kv.get("mode");
            assertEquals("off", mode.getValueAsString());
            // "fails with wrong last sequence if someone wrote in between"
            JetStreamApiException stale = assertThrows(JetStreamApiException.class,
                    () -> kv.update("mode", "again", mode.getRevision() - 1));
            assertTrue(stale.getMessage().contains("wrong last sequence"), stale.getMessage());
        }
    }

    static List<String> javaBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher m = JAVA_BLOCK.matcher(markdown);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    /**
     * Compiles {@code body} as the body of {@code static void run(Connection nc)} in a class with
     * the jnats imports a reader of the page would write, and returns that method.
     */
    private static Method compile(Path dir, String className, String body) throws Exception {
        String source = "import io.nats.client.*;\nimport io.nats.client.api.*;\n\n"
                + "public final class " + className + " {\n"
                + "    public static void run(Connection nc) throws Exception {\n"
                + body
                + "    }\n}\n";
        Path file = dir.resolve(className + ".java");
        Files.writeString(file, source, StandardCharsets.UTF_8);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "tests need a JDK (javax.tools) to compile the doc examples");
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics,
                "-proc:none", "-cp", System.getProperty("java.class.path"), "-d", dir.toString(), file.toString());
        assertEquals(0, rc, "the example of " + PAGE + " does not compile:\n" + diagnostics.toString(StandardCharsets.UTF_8)
                + "\nsource:\n" + source);
        URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, DocExamplesTest.class.getClassLoader());
        return loader.loadClass(className).getMethod("run", Connection.class);
    }
}
