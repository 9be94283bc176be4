package io.weft.engine.arch;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * No import cycle between engine packages: every package under {@code io.weft.engine} is its own
 * slice ({@code jetstream} and {@code jetstream.consumer} are two), and the slices must form a
 * directed acyclic graph. What composes them (server, JetStream, later routes and the meta group)
 * is {@code io.weft.engine.node.Node}, which nothing imports back. A cycle fails the build; the
 * fixture proves the rule can fail.
 */
class PackageCycleTest {

    private static ArchRule rule(String root) {
        return slices().matching(root + ".(**)").namingSlices("$1").should().beFreeOfCycles();
    }

    @Test
    void enginePackagesHaveNoCycle() {
        JavaClasses classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.weft.engine");
        rule("io.weft.engine").check(classes);
    }

    @Test
    void aCycleIsFlagged() {
        JavaClasses fixture = new ClassFileImporter().importPackages("io.weft.engine.arch.cyclefixture");
        assertTrue(rule("io.weft.engine.arch.cyclefixture").evaluate(fixture).hasViolation(),
                "two packages importing each other must violate the rule");
    }
}
