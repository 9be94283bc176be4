package io.weft.engine.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The transforms that imports use (strict, reversible) and the weighted choice; the mapping
 * functions' outputs and errors are compared with nats-server 2.15.1 in server-main's MappingsTest.
 */
class SubjectTransformTest {
    @Test
    void serviceImportTransformsRunBackwards() throws Exception {
        // B imports A's "req.*.*" as "b.$2.$1": B publishes b.y.x, A sees req.x.y
        SubjectTransform toLocal = SubjectTransform.forImport("req.*.*", "b.$2.$1");
        assertEquals("b.y.x", toLocal.apply("req.x.y", n -> 0));
        SubjectTransform back = toLocal.reverse();
        assertEquals("b.*.*", back.source());
        assertEquals("req.x.y", back.apply("b.y.x", n -> 0));
        // a '*' in "to" stands for the wildcard of the same rank
        assertEquals("req.q.r.s", SubjectTransform.forImport("req.*.>", "breq.*.>").reverse().apply("breq.q.r.s", n -> 0));
        assertEquals("ev.a", SubjectTransform.forImport("ev.a", null).apply("ev.a", n -> 0));
    }

    @Test
    void importsAllowOnlyWildcardsAndMustUseThemAll() {
        MappingException f = assertThrows(MappingException.class, () -> SubjectTransform.forImport("a.*", "x.{{partition(3,1)}}"));
        assertTrue(f.getMessage().startsWith("invalid mapping destination: the only mapping function allowed"), f.getMessage());
        MappingException all = assertThrows(MappingException.class, () -> SubjectTransform.forImport("a.*", "x"));
        assertEquals("invalid mapping destination: not using all of the token wildcard(s) in x", all.getMessage());
    }

    @Test
    void weightsPickByTheDrawAndTheRestKeepsTheSubject() throws Exception {
        Mapping m = Mapping.of("foo", List.of(new Mapping.Destination(SubjectTransform.compile("foo", "a"), 30, null),
                new Mapping.Destination(SubjectTransform.compile("foo", "b"), 50, null)));
        assertEquals("a", m.map("foo", "", n -> 29));
        assertEquals("b", m.map("foo", "", n -> 30));
        assertEquals("b", m.map("foo", "", n -> 79));
        assertEquals("foo", m.map("foo", "", n -> 80));
        MappingException over = assertThrows(MappingException.class, () -> Mapping.of("foo",
                List.of(new Mapping.Destination(SubjectTransform.compile("foo", "a"), 60, null),
                        new Mapping.Destination(SubjectTransform.compile("foo", "b"), 50, null))));
        assertEquals("total weight needs to be <= 100", over.getMessage());
    }

    @Test
    void clusterScopedDestinationsWinInTheirCluster() throws Exception {
        Mapping m = Mapping.of("x", List.of(new Mapping.Destination(SubjectTransform.compile("x", "x.east"), 100, "east"),
                new Mapping.Destination(SubjectTransform.compile("x", "x.any"), 100, null)));
        assertEquals("x.east", m.map("x", "east", n -> 0));
        assertEquals("x.any", m.map("x", "west", n -> 0));
        assertEquals("x.any", m.map("x", "", n -> 0));
    }
}
