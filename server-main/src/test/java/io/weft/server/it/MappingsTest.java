package io.weft.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Subject {@code mappings}, server-level and per account, against weft and nats-server 2.15.1: the
 * same messages published to both, the subjects a {@code >} subscriber sees compared one for one
 * (wildcard reordering, every mapping function, 1,000 subjects through {@code partition}); weights
 * (the share below 100 keeps its subject); cluster-scoped destinations; and the errors both give
 * for bad mappings.
 */
@Timeout(180)
class MappingsTest {
    static final String CONF = """
            mappings {
              "plain": "mapped.plain"
              "re.*.*": "re.{{wildcard(2)}}.$1"
              "part.*": "part.{{wildcard(1)}}.{{partition(7,1)}}"
              "part2.*.*": "p2.{{partition(5,1,2)}}.$2"
              "whole.*": "whole.{{partition(3)}}"
              "sl.*": "sl.{{splitFromLeft(1,3)}}"
              "sr.*": "sr.{{SplitFromRight(1,2)}}"
              "cl.*": "cl.{{sliceFromLeft(1,2)}}"
              "cr.*": "cr.{{slicefromright(1,2)}}"
              "sp.*": "sp.{{split(1,-)}}"
              "le.*": "le.{{left(1,2)}}"
              "ri.*": "ri.{{right(1,2)}}"
              "tail.*.>": "t.$1.>"
              "drop.*.*": "drop.$2"
            }
            """;

    /** Subjects to publish; each server's answer is what a {@code >} subscriber sees for each. */
    static List<String> inputs() {
        List<String> in = new ArrayList<>(List.of("plain", "re.a.b", "whole.x", "sl.abcdef", "sl.ab", "sr.abcdef",
                "cl.abcdefg", "cr.abcdefg", "sp.a-b--c", "sp.-a", "sp.--a", "sp.a-", "le.abcdef", "le.a", "ri.abcdef",
                "tail.x.y.z", "drop.a.b", "unmapped.subject"));
        for (int i = 0; i < 1000; i++) {
            in.add("part.customer" + i);
        }
        for (int i = 0; i < 50; i++) {
            in.add("part2.k" + i + ".v" + (i * 7));
        }
        return in;
    }

    private static List<String> observe(TestServers.Target target, String conf, List<String> subjects, String user)
            throws Exception {
        try (TestServer s = TestServers.start(target, conf);
             Connection c = Clients.connect(user == null ? Clients.options(s) : Clients.options(s).userInfo(user, user))) {
            Subscription all = c.subscribe(">");
            c.flush(Clients.WAIT);
            for (String subject : subjects) {
                c.publish(subject, new byte[0]);
            }
            c.flush(Clients.WAIT);
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < subjects.size(); i++) {
                Message m = all.nextMessage(Clients.WAIT);
                if (m == null) {
                    break;
                }
                seen.add(m.getSubject());
            }
            return seen;
        }
    }

    @Test
    void mappedSubjectsAreNatsServers() throws Exception {
        List<String> in = inputs();
        List<String> ours = observe(TestServers.Target.WEFT, CONF, in, null);
        List<String> theirs = observe(TestServers.Target.NATS_NEWEST, CONF, in, null);
        // "sp.--a" maps to "sp..a", not a valid subject: both servers deliver nothing for it
        assertEquals(in.size() - 1, theirs.size());
        assertEquals(theirs, ours);
        // the partitions are spread over all 7 buckets (the mapping did something)
        assertEquals(7, ours.stream().filter(x -> x.startsWith("part.customer")).map(x -> x.substring(x.lastIndexOf('.')))
                .distinct().count());
    }

    @Test
    void accountMappingsApplyInTheirAccountOnly() throws Exception {
        String conf = """
                accounts {
                  A: { users: [{user: a, password: a}], mappings: { "in.*": "out.$1" } }
                  B: { users: [{user: b, password: b}] }
                }
                """;
        List<String> subjects = List.of("in.x", "other");
        for (TestServers.Target t : List.of(TestServers.Target.WEFT, TestServers.Target.NATS_NEWEST)) {
            assertEquals(List.of("out.x", "other"), observe(t, conf, subjects, "a"), t.toString());
            assertEquals(List.of("in.x", "other"), observe(t, conf, subjects, "b"), t.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestServers.Target.class, names = {"WEFT", "NATS_NEWEST"})
    void weightsSplitTrafficAndTheRestKeepsItsSubject(TestServers.Target target) throws Exception {
        String conf = """
                mappings {
                  half: [ {destination: h.one, weight: 50} ]
                  split: [ {destination: s.a, weight: 30%}, {destination: s.b, weight: 70%} ]
                }
                """;
        List<String> subjects = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            subjects.add("half");
            subjects.add("split");
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String s : observe(target, conf, subjects, null)) {
            counts.merge(s, 1, Integer::sum);
        }
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        assertEquals(800, total, target + ": messages lost " + counts);
        assertEquals(400, counts.getOrDefault("half", 0) + counts.getOrDefault("h.one", 0), counts.toString());
        assertTrue(counts.getOrDefault("half", 0) > 120 && counts.getOrDefault("h.one", 0) > 120, counts.toString());
        assertEquals(400, counts.getOrDefault("s.a", 0) + counts.getOrDefault("s.b", 0), counts.toString());
        assertTrue(counts.getOrDefault("s.a", 0) > 60 && counts.getOrDefault("s.b", 0) > 200, counts.toString());
    }

    @ParameterizedTest
    @EnumSource(value = TestServers.Target.class, names = {"WEFT", "NATS_NEWEST"})
    void clusterScopedDestinationsApplyInTheirCluster(TestServers.Target target) throws Exception {
        String mappings = """
                mappings {
                  foo: [ {destination: foo.c1, weight: 100, cluster: c1} ]
                  x: [ {destination: x.c2, weight: 100, cluster: c2}, {destination: x.any, weight: 100} ]
                }
                """;
        List<String> subjects = List.of("foo", "x");
        assertEquals(List.of("foo", "x.any"), observe(target, mappings, subjects, null), target + " (not clustered)");
        assertEquals(List.of("foo.c1", "x.any"),
                observe(target, "server_name: s1\ncluster { name: c1, port: -1 }\n" + mappings, subjects, null),
                target + " (in cluster c1)");
    }

    static final List<String> BAD = List.of(
            "mappings { \"foo.*\": \"bar.$2\" }",
            "mappings { \"foo.*\": \"bar.{{wildcard(2)}}\" }",
            "mappings { \"foo.*\": \"bar.{{wildcard()}}\" }",
            "mappings { \"foo.*\": \"bar.{{wildcard(x)}}\" }",
            "mappings { \"foo.*\": \"bar.{{wildcard(1,2)}}\" }",
            "mappings { \"foo.*\": \"bar.{{partition()}}\" }",
            "mappings { \"foo.*\": \"bar.{{partition(3,2)}}\" }",
            "mappings { \"foo.*\": \"bar.{{splitfromleft(1)}}\" }",
            "mappings { \"foo.*\": \"bar.{{splitfromleft(1,2,3)}}\" }",
            "mappings { \"foo.*\": \"bar.{{split(1)}}\" }",
            "mappings { \"foo.*\": \"bar.{{nosuch(1)}}\" }",
            "mappings { \"foo.*\": \"bar.{{ PARTITION(3, 1) }}\" }",
            "mappings { \"foo.*\": \"bar.{{random()}}\" }",
            "mappings { \"foo.*\": \"bar.>\" }",
            "mappings { \"foo.>\": \"bar.*\" }",
            "mappings { \"foo.>\": \"bar\" }",
            "mappings { \"foo.*\": \"bar.*\" }",
            "mappings { \"foo.*\": \"bar baz\" }",
            "mappings { \"foo.*\": \"bar..$1\" }",
            "mappings { \"foo bar\": \"baz\" }",
            "mappings { foo: 5 }",
            "mappings { foo: [{destination: bar, weight: 101}] }",
            "mappings { foo: [{destination: bar}] }",
            "mappings { foo: [{destination: bar, weight: 50, bogus: 1}] }",
            "mappings { foo: [{destination: bar, weight: 60}, {destination: baz, weight: 50}] }",
            "mappings { foo: [{destination: bar, weight: 30, cluster: c1},{destination: baz, weight: 80, cluster: c1}] }",
            "accounts { A: { mappings: { \"a.*\": \"b.$2\" } } }");

    @Test
    void mappingErrorsAreNatsServers() throws Exception {
        List<String> differ = new ArrayList<>();
        for (String conf : BAD) {
            String ours = AccountLinksTest.problems(AccountLinksTest.weftCheck(conf));
            String theirs = AccountLinksTest.problems(AccountLinksTest.natsCheck(conf));
            if (theirs.isEmpty() || !ours.equals(theirs)) {
                differ.add(conf + "\n  weft: " + ours + "\n  nats: " + theirs);
            }
        }
        assertEquals(List.of(), differ, String.join("\n", differ));
    }

    /** Accepted by both: the edge cases nats-server lets through load in weft too. */
    @Test
    void mappingsBothAccept() throws Exception {
        List<String> ok = List.of("mappings { \"foo.*\": \"bar\" }", "mappings { \"foo.*.>\": \"bar.$1.>\" }",
                "mappings { \"foo.*\": \"bar.{{split(1,.)}}\" }", "mappings { foo: [{destination: bar, weight: 0}] }",
                "mappings { foo: {destination: bar, weight: 50} }", "mappings { foo: [] }",
                "mappings { foo: [{destination: bar, weight: 30, cluster: c1},{destination: baz, weight: 80, cluster: c2}] }",
                "mappings { \"foo.*\": \"bar.{{ wildcard(1) }}.{{random(5)}}\" }");
        List<String> wrong = new ArrayList<>();
        for (String conf : ok) {
            String nats = AccountLinksTest.natsCheck(conf);
            String weft = AccountLinksTest.weftCheck(conf);
            if (!nats.contains("is valid") || !weft.contains("is valid")) {
                wrong.add(conf + "\n  weft: " + weft.trim() + "\n  nats: " + nats.trim());
            }
        }
        assertEquals(List.of(), wrong, String.join("\n", wrong));
    }
}
