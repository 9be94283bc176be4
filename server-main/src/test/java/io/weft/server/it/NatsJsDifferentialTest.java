package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The official nats.js v3 client (npm {@code @nats-io/*} 3.4.0, pinned by
 * {@code clients/njs/package-lock.json}) run with the same client calls against a real weft process
 * and a real nats-server 2.15.1: {@code clients/njs/cases.mjs} prints one normalized JSON result per
 * case (values, error classes, JetStream codes and texts; ids and times removed), and each case is
 * one dynamic test here that requires weft's result to equal the reference's.
 *
 * <p>Needs Node.js ({@code node} on the PATH or /usr/bin/node; {@code .ci/run} installs Debian's
 * nodejs and npm when missing). The test runs {@code npm ci} in clients/njs itself when
 * node_modules is missing or older than package-lock.json. Without node it is skipped, except
 * under {@code CI=true}, where it fails.
 */
class NatsJsDifferentialTest {
    /**
     * Cases where weft differs today only because of the version it announces (nats-server
     * 2.12.0): nats.js 3.4 gates these calls on the server version in INFO (not on {@code api_lvl})
     * and throws before sending anything. Drop an entry when weft announces the version; a listed
     * case that matches fails the test, so the list can not go stale. With the client's gate lifted
     * by hand ({@code NJS_ASSUME_SERVER_VERSION=2.15.1 node cases.mjs URL CASE}) it matches
     * nats-server 2.15.1 on weft today.
     */
    static final Map<String, String> DIFFERS_BY_API_LEVEL = Map.of(
            "consumer_reset", "nats.js refuses reset() on a server below 2.14.0 ('consumer reset requires server 2.14.0')");

    /**
     * Cases where weft differs for a reason other than the announced version: features or 2.11+
     * behaviour weft lacks. Each is a known gap (reported with the test), not a matched feature.
     */
    static final Map<String, String> NOT_YET_IN_WEFT = Map.of();

    static final Path PROJECT = Path.of("..", "clients", "njs").toAbsolutePath().normalize();
    static final ObjectMapper JSON = new ObjectMapper();

    static JsServer reference;
    static JsServer weft;
    static String node;
    static Map<String, JsonNode> referenceResults;
    static Map<String, JsonNode> weftResults;

    @BeforeAll
    static void runBoth() throws Exception {
        node = findNode();
        if (node == null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true but node is missing; install Debian's nodejs and npm (.ci/run does)");
            }
            assumeTrue(false, "node not found; skipping the nats.js differential test (apt-get install nodejs npm)");
        }
        npmCi();
        reference = JsServer.start(TestServers.Target.NATS_NEWEST, "");
        weft = JsServer.start(TestServers.Target.WEFT, "");
        // the two runs go side by side: the cases mostly wait (TTLs, fetch expiries)
        CompletableFuture<Map<String, JsonNode>> ref = CompletableFuture.supplyAsync(() -> runCases(reference));
        CompletableFuture<Map<String, JsonNode>> got = CompletableFuture.supplyAsync(() -> runCases(weft));
        referenceResults = ref.get(6, TimeUnit.MINUTES);
        weftResults = got.get(6, TimeUnit.MINUTES);
    }

    @AfterAll
    static void stop() {
        if (reference != null) {
            reference.close();
        }
        if (weft != null) {
            weft.close();
        }
    }

    static String findNode() {
        for (String candidate : List.of("node", "/usr/bin/node", "/usr/local/bin/node")) {
            try {
                Process p = new ProcessBuilder(candidate, "--version").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 && out.startsWith("v")) {
                    return candidate;
                }
            } catch (IOException e) {
                // not this one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    /** {@code npm ci} when node_modules is absent or older than the lock file (npm ci rewrites node_modules/.package-lock.json). */
    static void npmCi() throws Exception {
        Path lock = PROJECT.resolve("package-lock.json");
        Path installed = PROJECT.resolve("node_modules").resolve(".package-lock.json");
        if (Files.exists(installed)) {
            FileTime a = Files.getLastModifiedTime(installed);
            FileTime b = Files.getLastModifiedTime(lock);
            if (a.compareTo(b) >= 0) {
                return;
            }
        }
        Process p = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(PROJECT.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            fail("npm ci in " + PROJECT + " failed (npm comes with Debian's npm package):\n" + out);
        }
    }

    /** Runs every case against one server; the results by case name, in the script's order. */
    static Map<String, JsonNode> runCases(JsServer server) {
        try {
            Process p = new ProcessBuilder(node, "cases.mjs", server.url()).directory(PROJECT.toFile()).start();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("cases.mjs against " + server + " did not finish within 5 minutes:\n" + out);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("cases.mjs against " + server + " exited " + p.exitValue() + ":\n" + out
                        + "\n" + err.get());
            }
            Map<String, JsonNode> results = new LinkedHashMap<>();
            for (String line : out.split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = JSON.readTree(line);
                results.put(n.path("case").asText(), n.path("result"));
            }
            return results;
        } catch (Exception e) {
            throw new AssertionError("cannot run cases.mjs against " + server + ": " + e, e);
        }
    }

    static List<String> listCases() throws Exception {
        Process p = new ProcessBuilder(node, "cases.mjs", "--list").directory(PROJECT.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES) && p.exitValue() == 0, out);
        return List.of(out.trim().split("\n"));
    }

    @TestFactory
    Stream<DynamicTest> eachCaseMatchesNatsServer() throws Exception {
        List<String> names = listCases();
        assertEquals(names, new ArrayList<>(referenceResults.keySet()), "cases the reference run printed");
        assertEquals(names, new ArrayList<>(weftResults.keySet()), "cases the weft run printed");
        for (String listed : DIFFERS_BY_API_LEVEL.keySet()) {
            assertTrue(names.contains(listed), "DIFFERS_BY_API_LEVEL names an unknown case " + listed);
        }
        for (String listed : NOT_YET_IN_WEFT.keySet()) {
            assertTrue(names.contains(listed), "NOT_YET_IN_WEFT names an unknown case " + listed);
        }
        long matched = names.stream().filter(n -> referenceResults.get(n).equals(weftResults.get(n))).count();
        System.out.println("nats.js differential: " + matched + " of " + names.size() + " cases match nats-server 2.15.1"
                + " (expected to differ: " + DIFFERS_BY_API_LEVEL.keySet() + " by API level, " + NOT_YET_IN_WEFT.keySet()
                + " not in weft yet)");
        return names.stream().map(name -> DynamicTest.dynamicTest(name, () -> check(name)));
    }

    static void check(String name) throws Exception {
        JsonNode ref = referenceResults.get(name);
        JsonNode got = weftResults.get(name);
        // a reference run that failed or timed out proves nothing: the case itself is broken
        assertFalse(ref.has("failed") || ref.has("timeout"), "the case fails on nats-server 2.15.1 itself: " + ref);
        String shown = "\n  nats-server 2.15.1: " + JSON.writeValueAsString(ref) + "\n  weft:               "
                + JSON.writeValueAsString(got);
        String expected = DIFFERS_BY_API_LEVEL.getOrDefault(name, NOT_YET_IN_WEFT.get(name));
        if (expected != null) {
            assertNotEquals(ref, got, name + " now matches nats-server: drop it from "
                    + (DIFFERS_BY_API_LEVEL.containsKey(name) ? "DIFFERS_BY_API_LEVEL" : "NOT_YET_IN_WEFT") + shown);
            System.out.println("nats.js case " + name + " differs as expected for now (" + expected + ")" + shown);
            return;
        }
        assertEquals(ref, got, "nats.js case " + name + " differs between weft and nats-server 2.15.1" + shown);
    }
}
