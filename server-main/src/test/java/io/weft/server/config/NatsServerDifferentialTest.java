package io.weft.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code nats-server -t -c FILE} (the real 2.9 binary) on valid and invalid files and checks
 * that weft accepts and rejects the same ones. Skipped when the binary is absent, except under CI=true.
 */
class NatsServerDifferentialTest {
    private static final Path NATS = Path.of("/usr/sbin/nats-server");

    private static final Map<String, String> CASES = new LinkedHashMap<>();

    static {
        // Accepted by both.
        CASES.put("empty", "");
        CASES.put("separators", "port: 4222\nhttp_port = 8222\nserver_name my_server // comment\n");
        CASES.put("semicolons", "port: 4222 ;  http: 8222\ndebug: true;\n");
        CASES.put("auth_users", "authorization {\n  users = [\n    {user: a, password: b}\n    {user: c, password: d, permissions: {publish: \"x.>\", subscribe: {allow: [\"y\"], deny: \"z\"}}}\n  ]\n}\n");
        CASES.put("bcrypt", "authorization {\nuser: derek\npassword: $2a$11$3kIDaCxw.Glsl1.u5nKa6eUnNDLV5HV9tIuUp7EHhMt6Nm9myW1a\n}\n");
        CASES.put("variables", "TOKEN: abc\nauthorization { token: $TOKEN, timeout: 2 }\n");
        CASES.put("accounts", "accounts {\n  A: { users: [ {user: a, password: a} ], jetstream: enabled }\n  B: { users: [ {user: b, password: b} ] }\n}\nno_auth_user: a\n");
        CASES.put("jetstream_block", "jetstream {\n  store_dir: /tmp/weft-js\n  max_mem: 1G\n  max_file_store: 10GB\n  domain: hub\n}\n");
        CASES.put("jetstream_enabled", "jetstream: enabled\n");
        CASES.put("sizes_durations", "max_payload: 2MB\nmax_pending: 100MB\nping_interval: \"30s\"\nwrite_deadline: 5s\nlame_duck_duration: 1h30m\n");
        CASES.put("listen", "listen: 127.0.0.1:4333\nhttp: localhost:8333\n");
        CASES.put("cluster_ignored", "cluster { name: c, listen: 0.0.0.0:6222 }\n");
        CASES.put("upper_case_keys", "PORT: 4222\nDebug: true\n");
        CASES.put("name_with_space", "server_name: \"a b\"\n");
        CASES.put("zero_means_default", "max_payload: 0\nmax_control_line: 0\n");
        CASES.put("env_var", "port: $WEFT_DIFF_PORT\n");
        CASES.put("include_nested_relative", "include sub/inc.conf\nauthorization { include sub/auth.conf }\n");
        CASES.put("bcrypt_var_like", "authorization { user: a, password: $2a$10$abcdefghijklmnopqrstuv }\n");
        CASES.put("allow_responses", "authorization { users: [ {user: a, password: b, permissions: {allow_responses: {max: 3, expires: \"1m\"}}} ] }\n");
        CASES.put("docs_permissions_example", """
                authorization {
                  default_permissions = {
                    publish = "SANDBOX.*"
                    subscribe = ["PUBLIC.>", "_INBOX.>"]
                  }
                  ADMIN = {
                    publish = ">"
                    subscribe = ">"
                  }
                  REQUESTOR = {
                    publish = ["req.a", "req.b"]
                    subscribe = "_INBOX.>"
                  }
                  RESPONDER = {
                    subscribe = ["req.a", "req.b"]
                    publish = "_INBOX.>"
                    allow_responses = true
                  }
                  users = [
                    {user: admin,   password: secret1, permissions: $ADMIN}
                    {user: client,  password: secret2, permissions: $REQUESTOR}
                    {user: service, password: secret3, permissions: $RESPONDER}
                    {user: other,   password: secret4}
                  ]
                }
                """);
        CASES.put("docs_deny_example", """
                authorization: {
                  users = [
                    {
                      user: admin
                      password: secret
                      permissions: {
                        publish: ">"
                        subscribe: ">"
                      }
                    }
                    {
                      user: test
                      password: test
                      permissions: {
                        publish: {
                          deny: ">"
                        },
                        subscribe: {
                          allow: "client.>"
                        }
                      }
                    }
                  ]
                }
                """);
        CASES.put("docs_accounts_example", """
                accounts: {
                    A: {
                        users: [
                            {user: a, password: a}
                        ]
                    },
                    B: {
                        users: [
                            {user: b, password: b}
                        ]
                    },
                }
                """);
        CASES.put("nkey_user", "authorization { users: [ {nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4} ] }\n");
        CASES.put("include_defines_variable", "include sub/vars.conf\nport: $XPORT\n");
        CASES.put("accounts_array", "accounts: [A, B]\n");
        // Rejected by both.
        CASES.put("include_does_not_see_outer_variables", "TOKEN: abc\nauthorization { include sub/tok.conf }\n");
        CASES.put("nkey_bad_checksum", "authorization { users: [ {nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF5} ] }\n");
        CASES.put("nkey_with_password", "authorization { users: [ {nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4, password: x} ] }\n");
        CASES.put("user_entry_without_user", "authorization { users: [ {password: x} ] }\n");
        CASES.put("subject_not_string", "authorization { permissions: { publish: { allow: 5 } } }\n");
        CASES.put("user_entry_not_map", "authorization { users: [ 5 ] }\n");
        CASES.put("account_not_map", "accounts { A: 5 }\n");
        CASES.put("unused_block_in_auth", "authorization {\n  ADMIN = { publish = \">\" }\n  users = [ {user: a, password: b} ]\n}\n");
        CASES.put("unknown_field", "port: 4222\nfoo: bar\n");
        CASES.put("port_string", "port: \"abc\"\n");
        CASES.put("bool_int", "debug: 1\n");
        CASES.put("float_duration", "ping_interval: 1.5\n");
        CASES.put("unclosed_array", "authorization {\n  user: a\n  password: [\n}\n");
        CASES.put("missing_var", "port: $NOPE_NOT_SET_ANYWHERE\n");
        CASES.put("two_values", "port: 4222 port: 5\n");
        CASES.put("bad_escape", "server_name = \"a\\qb\"\n");
        CASES.put("unclosed_block", "a { b: 1 ");
        CASES.put("unterminated", "port: \"abc");
        CASES.put("jetstream_maybe", "jetstream: maybe\n");
        CASES.put("sibling_var", "a { b { c: 1 } }\nport: $c\n");
        CASES.put("map_no_separator", "authorization { users: [\n{user: a password: b}\n] }\n");
        CASES.put("unknown_auth_field", "authorization { bogus: 1 }\n");
        CASES.put("lame_duck_short", "lame_duck_duration: 5s\n");
        CASES.put("token_and_user", "authorization { token: t, user: u }\n");
        CASES.put("user_and_users", "authorization { user: a, users: [ {user: b} ] }\n");
        CASES.put("duplicate_user", "authorization { users: [ {user: a}, {user: a} ] }\n");
        CASES.put("bad_nkey", "authorization { users: [ {nkey: NOTAKEY} ] }\n");
        CASES.put("case_sensitive_var", "x: 5\nport: $X\n");
        CASES.put("var_defined_later", "port: $Y\nY: 5\n");
        CASES.put("env_var_wrong_type", "server_name: $WEFT_DIFF_PORT\n");
        CASES.put("include_missing", "include nothere.conf\n");
    }

    @Test
    void weftAcceptsAndRejectsTheSameFilesAsNatsServer(@TempDir Path dir) throws Exception {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        if (!Files.isExecutable(NATS)) {
            if (ci) {
                fail("CI=true but " + NATS + " is missing; install the Debian nats-server package");
            }
            assumeTrue(false, NATS + " not found; skipping the differential test (apt-get install nats-server)");
        }
        Path sub = Files.createDirectories(dir.resolve("sub"));
        Files.writeString(sub.resolve("inc.conf"), "port: 4333\ninclude inc2.conf\n");
        Files.writeString(sub.resolve("inc2.conf"), "debug: true\n");
        Files.writeString(sub.resolve("auth.conf"), "token: abc\n");
        Files.writeString(sub.resolve("vars.conf"), "XPORT: 4333\n");
        Files.writeString(sub.resolve("tok.conf"), "token: $TOKEN\n");
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Map<String, String> env = Map.of("WEFT_DIFF_PORT", "4333");
        List<String> mismatches = new ArrayList<>();
        for (Map.Entry<String, String> c : CASES.entrySet()) {
            Path file = dir.resolve(c.getKey() + ".conf");
            Files.writeString(file, c.getValue());
            boolean natsOk = natsAccepts(file, elsewhere, env);
            String weftError = null;
            try {
                new OptionsMapper(k -> null).map(new ConfigParser(env::get).parseFile(file));
            } catch (ConfigException e) {
                weftError = e.getMessage();
            }
            if (natsOk != (weftError == null)) {
                mismatches.add(c.getKey() + ": nats-server " + (natsOk ? "accepts" : "rejects") + ", weft "
                        + (weftError == null ? "accepts" : "rejects: " + weftError));
            }
        }
        assertEquals(List.of(), mismatches);
    }

    private static final Path DOCS = Path.of("/work/shared/reference/nats-docs.txt");
    private static final java.util.regex.Pattern FENCED = java.util.regex.Pattern.compile("```\\n(.*?)```", java.util.regex.Pattern.DOTALL);
    private static final java.util.regex.Pattern LOOKS_LIKE_CONFIG = java.util.regex.Pattern.compile(
            "^\\s*(port|authorization|accounts|jetstream|listen|server_name|max_payload|http_port|include|debug|cluster|leafnodes|tls)\\s*[:={ ]",
            java.util.regex.Pattern.MULTILINE);

    /** The config examples of the NATS docs: weft must agree with nats-server -t on every one. */
    @Test
    void docsExamplesGetTheSameVerdict(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(NATS), NATS + " not found; skipping (the other test fails under CI=true)");
        assumeTrue(Files.isReadable(DOCS), DOCS + " not found; skipping");
        java.util.regex.Matcher m = FENCED.matcher(Files.readString(DOCS));
        List<String> mismatches = new ArrayList<>();
        int n = 0;
        int accepted = 0;
        while (m.find()) {
            String block = m.group(1);
            if (!LOOKS_LIKE_CONFIG.matcher(block).find()) {
                continue;
            }
            Path file = dir.resolve("docs" + (++n) + ".conf");
            Files.writeString(file, block);
            boolean natsOk = natsAccepts(file, dir, Map.of());
            String weftError = null;
            try {
                new OptionsMapper(k -> null).map(new ConfigParser(k -> null).parseFile(file));
            } catch (ConfigException e) {
                weftError = e.getMessage();
            }
            accepted += natsOk ? 1 : 0;
            if (natsOk && weftError != null && weftError.lines().allMatch(l -> l.contains(OptionsMapper.REFUSED))) {
                // a deliberate difference: a security option weft does not implement is refused, never
                // ignored (docs/security.md); each refusal names its option
                continue;
            }
            if (natsOk != (weftError == null)) {
                mismatches.add("docs example " + n + " (" + block.lines().findFirst().orElse("") + "): nats-server "
                        + (natsOk ? "accepts" : "rejects") + ", weft " + (weftError == null ? "accepts" : "rejects: " + weftError));
            }
        }
        assertTrue(n >= 5 && accepted >= 2, "found " + n + " examples, " + accepted + " valid");
        assertEquals(List.of(), mismatches);
    }

    /** Runs nats-server -t from a directory other than the file's, so includes must resolve against the file. */
    private static boolean natsAccepts(Path file, Path dir, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(NATS.toString(), "-t", "-c", file.toString()).directory(dir.toFile())
                .redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("NOPE"));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("nats-server -t hung on " + file);
        }
        return p.exitValue() == 0;
    }
}
