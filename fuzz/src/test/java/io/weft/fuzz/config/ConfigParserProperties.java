package io.weft.fuzz.config;

import io.weft.server.config.ConfigException;
import io.weft.server.config.ConfigMap;
import io.weft.server.config.ConfigParser;
import io.weft.server.config.OptionsMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** Whatever the text, parsing and mapping a config either succeeds or throws ConfigException. */
class ConfigParserProperties {
    private static final Map<String, String> ENV = Map.of("E1", "42", "E2", "{a: [1, $E2]}", "E3", "\"unterminated");
    private static final Path BASE = Path.of("target", "fuzz-no-such-dir");

    private static final String VALID = """
            # a valid config to mutate
            port: 4222
            server_name = "srv\\t1"
            TOKEN: 's3cr3t'
            authorization {
              users = [
                {user: a, password: $TOKEN, permissions: {publish: ["a.>", "b"], subscribe: {allow: "c", deny: [d]}, allow_responses: {max: 2, expires: "1m"}}}
                {user: b, password: $2a$11$abc}
              ]
              timeout: 1.5
            }
            accounts { A: { users: [ {user: x, password: y} ], jetstream: enabled } }
            jetstream { store_dir: /tmp/js; max_mem: 1G, max_file_store: 10GB, sync_interval: "2m" }
            max_payload: 1MB; ping_interval: 10s // comment
            listen: 127.0.0.1:4222
            cluster { name: c }
            """;

    private static final List<String> TOKENS = List.of("port", "authorization", "users", "user", "password", "jetstream",
            "accounts", "permissions", "publish", "allow", "deny", "allow_responses", "max_payload", "include", "x.conf",
            "{", "}", "[", "]", ":", "=", ",", ";", " ", "\t", "\n", "\r", "#", "//", "\"", "'", "\\", "\\x4", "\\x41", "$",
            "$E1", "$E2", "$E3", "$port", "$2a$", "1", "-1", "1.5", "1K", "1MB", "99999999999999999999", "9E", "10s",
            "1h30m", "true", "no", "enabled", "nats://h:1", "\u00e9", "\uFEFF", "\u0000");

    @Provide
    Arbitrary<String> tokenSoup() {
        return Arbitraries.of(TOKENS).list().ofMaxSize(60).map(l -> String.join("", l));
    }

    @Provide
    Arbitrary<String> mutatedValid() {
        Arbitrary<Integer> pos = Arbitraries.integers().between(0, VALID.length());
        Arbitrary<String> insert = Arbitraries.oneOf(Arbitraries.of(TOKENS), Arbitraries.strings().ofMaxLength(3));
        Arbitrary<Tuple.Tuple3<Integer, Integer, String>> edit = Arbitraries.integers().between(0, 2).flatMap(kind ->
                pos.flatMap(p -> insert.map(s -> Tuple.of(kind, p, s))));
        return edit.list().ofMinSize(1).ofMaxSize(6).map(edits -> {
            StringBuilder sb = new StringBuilder(VALID);
            for (Tuple.Tuple3<Integer, Integer, String> e : edits) {
                int p = Math.min(e.get2(), sb.length());
                switch (e.get1()) {
                    case 0 -> sb.insert(p, e.get3());
                    case 1 -> sb.delete(p, Math.min(sb.length(), p + 1 + e.get3().length()));
                    default -> sb.replace(p, Math.min(sb.length(), p + e.get3().length()), e.get3());
                }
            }
            return sb.toString();
        });
    }

    @Property(tries = 400)
    void tokenSoupOnlyThrowsConfigException(@ForAll("tokenSoup") String text) {
        parseAndMap(text);
    }

    @Property(tries = 400)
    void mutatedValidConfigOnlyThrowsConfigException(@ForAll("mutatedValid") String text) {
        parseAndMap(text);
    }

    @Property(tries = 200)
    void arbitraryStringsOnlyThrowConfigException(@ForAll String text) {
        parseAndMap(text);
    }

    private static void parseAndMap(String text) {
        try {
            ConfigMap tree = new ConfigParser(ENV::get).parseString(text, "fuzz.conf", BASE);
            new OptionsMapper(ENV::get).map(tree);
        } catch (ConfigException expected) {
            if (expected.getMessage() == null || expected.getMessage().isEmpty()) {
                throw new AssertionError("ConfigException without a message for: " + text);
            }
        }
    }
}
