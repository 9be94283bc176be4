package io.weft.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigParserTest {
    private final ConfigParser parser = new ConfigParser(Map.of("HOME_PORT", "4333", "NAME_ENV", "from-env", "BLOCK_ENV", "{a: 1}")::get);

    private ConfigMap parse(String text) {
        return parser.parseString(text, "t.conf", null);
    }

    private static Object value(ConfigMap m, String key) {
        return ((ConfigScalar) m.get(key).value()).value();
    }

    @Test
    void separatorsColonEqualsAndSpace() {
        ConfigMap m = parse("a: 1\nb = 2\nc 3\nd:4\ne=5\n");
        assertEquals(List.of("a", "b", "c", "d", "e"), m.entries().stream().map(ConfigMap.Entry::key).toList());
        assertEquals(5L, value(m, "e"));
        assertEquals(3L, value(m, "c"));
    }

    @Test
    void semicolonsAndCommasSeparateEntries() {
        ConfigMap m = parse("port: 4222; http: 8222, debug: true;;\n");
        assertEquals(4222L, value(m, "port"));
        assertEquals(8222L, value(m, "http"));
        assertEquals(true, value(m, "debug"));
    }

    @Test
    void blocksInEveryForm() {
        ConfigMap m = parse("a { x: 1 }\nb: { x: 2 }\nc = {\n  x: 3\n}\nd {x:4; y:5}\n");
        for (String k : List.of("a", "b", "c", "d")) {
            assertInstanceOf(ConfigMap.class, m.get(k).value());
        }
        assertEquals(3L, value((ConfigMap) m.get("c").value(), "x"));
        assertEquals(5L, value((ConfigMap) m.get("d").value(), "y"));
    }

    @Test
    void arraysWithCommasNewlinesAndTrailingComma() {
        ConfigMap m = parse("a: [1, 2, 3]\nb [\n  x\n  y # c\n  z\n]\nc: [ {u: 1}, {u: 2}, ]\nd: []\n");
        assertEquals(3, ((ConfigList) m.get("a").value()).items().size());
        ConfigList b = (ConfigList) m.get("b").value();
        assertEquals(List.of("x", "y", "z"), b.items().stream().map(v -> ((ConfigScalar) v).value()).toList());
        assertEquals(2, ((ConfigList) m.get("c").value()).items().size());
        assertEquals(0, ((ConfigList) m.get("d").value()).items().size());
    }

    @Test
    void stringsQuotedAndUnquoted() {
        ConfigMap m = parse("a: \"x\\ty\\n\\\"q\\\" \\\\ \\x41\"\nb: 'raw \\t $NOT'\nc: nats://host:4222\nd: 127.0.0.1\n'e': 1\n\"f\": 2\n");
        assertEquals("x\ty\n\"q\" \\ A", value(m, "a"));
        assertEquals("raw \\t $NOT", value(m, "b"));
        assertEquals("nats://host:4222", value(m, "c"));
        assertEquals("127.0.0.1", value(m, "d"));
        assertEquals(1L, value(m, "e"));
        assertEquals(2L, value(m, "f"));
    }

    @Test
    void numbers() {
        ConfigMap m = parse("a: 42\nb: -7\nc: 1.5\nd: -0.25\ne: 01\n");
        assertEquals(42L, value(m, "a"));
        assertEquals(-7L, value(m, "b"));
        assertEquals(1.5, value(m, "c"));
        assertEquals(-0.25, value(m, "d"));
        assertEquals(1L, value(m, "e"));
    }

    @Test
    void booleansAsNatsDoes() {
        ConfigMap m = parse("a: true\nb: TRUE\nc: yes\nd: On\ne: false\nf: no\ng: OFF\nh: False\n");
        for (String k : List.of("a", "b", "c", "d")) {
            assertEquals(true, value(m, k), k);
        }
        for (String k : List.of("e", "f", "g", "h")) {
            assertEquals(false, value(m, k), k);
        }
    }

    @Test
    void sizeSuffixesMatchNatsServer() {
        // Verified against nats-server 2.9.10 through /varz max_payload: k=1000, kb/ki/kib=1024, etc.
        Map<String, Long> cases = Map.ofEntries(
                Map.entry("1K", 1000L), Map.entry("1k", 1000L), Map.entry("1KB", 1024L), Map.entry("1kb", 1024L),
                Map.entry("1Ki", 1024L), Map.entry("1KiB", 1024L), Map.entry("1M", 1_000_000L), Map.entry("1MB", 1L << 20),
                Map.entry("1Mi", 1L << 20), Map.entry("1mib", 1L << 20), Map.entry("2G", 2_000_000_000L),
                Map.entry("1GB", 1L << 30), Map.entry("1T", 1_000_000_000_000L), Map.entry("1TB", 1L << 40),
                Map.entry("1P", 1_000_000_000_000_000L), Map.entry("1E", 1_000_000_000_000_000_000L), Map.entry("2m", 2_000_000L));
        cases.forEach((text, expected) -> assertEquals(expected, value(parse("v: " + text), "v"), text));
        assertThrows(ConfigException.class, () -> parse("v: 100EB"));
    }

    @Test
    void durationsStayStrings() {
        ConfigMap m = parse("a: 10s\nb: 500ms\nc: 1h30m\nd: \"2m\"\n");
        assertEquals("10s", value(m, "a"));
        assertEquals("500ms", value(m, "b"));
        assertEquals("1h30m", value(m, "c"));
        assertEquals("2m", value(m, "d"));
    }

    @Test
    void comments() {
        ConfigMap m = parse("# top\n// also\na: 1 # trailing\nb: 2 // trailing\nc { # in block\n  d: 3 // x\n}\n");
        assertEquals(1L, value(m, "a"));
        assertEquals(2L, value(m, "b"));
        assertEquals(3L, value((ConfigMap) m.get("c").value(), "d"));
    }

    @Test
    void variablesFromSameOrEnclosingLevelThenEnvironment() {
        ConfigMap m = parse("TOKEN: s3cr3t\nauthorization {\n  INNER: 7\n  token: $TOKEN\n  timeout: $INNER\n}\nport: $HOME_PORT\nname: $NAME_ENV\nblk: $BLOCK_ENV\n");
        ConfigMap auth = (ConfigMap) m.get("authorization").value();
        assertEquals("s3cr3t", value(auth, "token"));
        assertEquals(7L, value(auth, "timeout"));
        assertEquals(4333L, value(m, "port"), "env values are parsed as config values");
        assertEquals("from-env", value(m, "name"));
        assertInstanceOf(ConfigMap.class, m.get("blk").value());
        assertTrue(m.isUsedAsVariable("TOKEN"));
        assertEquals(new Position("t.conf", 4, 10), auth.get("token").value().position());
    }

    @Test
    void variableInSiblingBlockIsNotVisible() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("a { b { c: 1 } }\nport: $c\n"));
        assertEquals("t.conf:2:7: variable reference for 'c' can not be found", e.getMessage());
    }

    @Test
    void includeIsRelativeToTheIncludingFile(@TempDir Path dir) throws Exception {
        Path sub = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(sub.resolve("main.conf"), "port: 1\ninclude 'auth/users.conf'\nhttp { include \"inner.conf\" }\ninclude plain.conf\n");
        Files.createDirectories(sub.resolve("auth"));
        Files.writeString(sub.resolve("auth/users.conf"), "authorization { token: abc }\n");
        Files.writeString(sub.resolve("inner.conf"), "port: 8222\n");
        Files.writeString(sub.resolve("plain.conf"), "debug: true\n");
        ConfigMap m = parser.parseFile(sub.resolve("main.conf"));
        assertInstanceOf(ConfigMap.class, m.get("authorization").value());
        assertEquals(8222L, value((ConfigMap) m.get("http").value(), "port"));
        assertEquals(true, value(m, "debug"));
        assertTrue(m.get("authorization").keyPosition().file().endsWith("users.conf"));
    }

    @Test
    void includeCycleIsAnError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.conf"), "include b.conf\n");
        Files.writeString(dir.resolve("b.conf"), "include a.conf\n");
        ConfigException e = assertThrows(ConfigException.class, () -> parser.parseFile(dir.resolve("a.conf")));
        assertTrue(e.getMessage().contains("nested"), e.getMessage());
    }

    @Test
    void missingIncludeNamesTheIncludeLine(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.conf"), "port: 1\ninclude nothere.conf\n");
        ConfigException e = assertThrows(ConfigException.class, () -> parser.parseFile(dir.resolve("a.conf")));
        assertTrue(e.getMessage().startsWith(dir.resolve("a.conf") + ":2:1: error parsing include file 'nothere.conf'"), e.getMessage());
    }

    @Test
    void lastDuplicateWins() {
        assertEquals(2L, value(parse("port: 1\nport: 2\n"), "port"));
    }

    @Test
    void errorsCarryFileLineAndColumn() {
        assertError("port: 4222 port: 5\n", "t.conf:1:12: ");
        assertError("a {\n  b: 1\n", "t.conf:3:1: unexpected end of file");
        assertError("x: [1, 2\n", "t.conf:2:1: unexpected end of file");
        assertError("s: \"abc\n", "t.conf:1:4: unterminated");
        assertError("s: \"a\\qb\"\n", "t.conf:1:6: invalid escape");
        assertError("authorization {\n  users: [\n    {user: a password: b}\n  ]\n}\n", "t.conf:3:14: ");
        assertError("port:\n", "t.conf:1:6: missing value");
        assertError("}\n", "t.conf:1:1: unexpected '}'");
        assertError("v: 99999999999999999999\n", "t.conf:1:4: integer");
    }

    private void assertError(String text, String prefix) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(text));
        assertTrue(e.getMessage().startsWith(prefix), "for " + text.replace("\n", "|") + " got: " + e.getMessage());
    }
}
