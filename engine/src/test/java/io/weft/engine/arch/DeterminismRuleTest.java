package io.weft.engine.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md's determinism rule: engine, store and raft reach time, threads, randomness, network
 * and disk only through the {@code io.weft.net} seam. This test fails the build on a violation,
 * and proves on a deliberately bad fixture that it can fail.
 */
class DeterminismRuleTest {

    /** Owner class and method names that are forbidden, with any parameters unless listed. */
    private record Forbidden(String owner, String method, List<String> params) {
        boolean matches(JavaCall<?> call) {
            String ownerName = call.getTargetOwner().getName();
            if (!ownerName.equals(owner)) {
                return false;
            }
            if (!call.getName().equals(method)) {
                return false;
            }
            if (params == null) {
                return true;
            }
            List<String> actual = call.getTarget().getRawParameterTypes().stream().map(JavaClass::getName).toList();
            return actual.equals(params);
        }
    }

    private static final List<Forbidden> FORBIDDEN = List.of(
            new Forbidden("java.lang.System", "currentTimeMillis", null),
            new Forbidden("java.lang.System", "nanoTime", null),
            new Forbidden("java.lang.System", "identityHashCode", null),
            new Forbidden("java.time.Instant", "now", null),
            new Forbidden("java.time.LocalDateTime", "now", null),
            new Forbidden("java.time.ZonedDateTime", "now", null),
            new Forbidden("java.time.OffsetDateTime", "now", null),
            new Forbidden("java.time.LocalDate", "now", null),
            new Forbidden("java.time.Clock", "systemUTC", null),
            new Forbidden("java.time.Clock", "systemDefaultZone", null),
            new Forbidden("java.lang.Thread", "sleep", null),
            new Forbidden("java.lang.Thread", "<init>", null),
            new Forbidden("java.lang.Thread", "ofVirtual", null),
            new Forbidden("java.lang.Thread", "ofPlatform", null),
            new Forbidden("java.lang.Thread", "startVirtualThread", null),
            new Forbidden("java.lang.Math", "random", null),
            new Forbidden("java.lang.StrictMath", "random", null),
            new Forbidden("java.util.UUID", "randomUUID", null),
            new Forbidden("java.util.Random", "<init>", List.of()),
            new Forbidden("java.util.SplittableRandom", "<init>", List.of()),
            new Forbidden("java.security.SecureRandom", "<init>", null),
            new Forbidden("java.util.concurrent.ThreadLocalRandom", "current", null),
            new Forbidden("java.util.concurrent.locks.LockSupport", "parkNanos", null),
            new Forbidden("java.util.concurrent.locks.LockSupport", "parkUntil", null),
            new Forbidden("java.util.concurrent.locks.Condition", "await", List.of("long", "java.util.concurrent.TimeUnit")),
            new Forbidden("java.util.concurrent.locks.Condition", "awaitNanos", null),
            new Forbidden("java.util.concurrent.locks.Condition", "awaitUntil", null),
            new Forbidden("java.lang.Object", "wait", List.of("long")),
            new Forbidden("java.lang.Object", "wait", List.of("long", "int")),
            new Forbidden("java.util.concurrent.CountDownLatch", "await", List.of("long", "java.util.concurrent.TimeUnit")),
            new Forbidden("java.util.concurrent.BlockingQueue", "poll", List.of("long", "java.util.concurrent.TimeUnit")),
            new Forbidden("java.util.concurrent.BlockingQueue", "offer",
                    List.of("java.lang.Object", "long", "java.util.concurrent.TimeUnit")),
            new Forbidden("java.util.concurrent.CompletableFuture", "runAsync", List.of("java.lang.Runnable")),
            new Forbidden("java.util.concurrent.CompletableFuture", "supplyAsync", List.of("java.util.function.Supplier")),
            new Forbidden("java.util.concurrent.CompletableFuture", "orTimeout", null),
            new Forbidden("java.util.concurrent.CompletableFuture", "completeOnTimeout", null));

    /** Whole classes engine, store and raft may not touch at all. */
    private static final List<String> FORBIDDEN_PACKAGES_OR_CLASSES = List.of(
            "java.util.concurrent.Executors",
            "java.util.concurrent.ThreadPoolExecutor",
            "java.util.concurrent.ScheduledThreadPoolExecutor",
            "java.util.Timer",
            "java.net.Socket",
            "java.net.ServerSocket",
            "java.net.DatagramSocket",
            "java.nio.channels.SocketChannel",
            "java.nio.channels.ServerSocketChannel",
            "java.nio.channels.FileChannel",
            "java.nio.file.Files",
            "java.nio.file.Paths",
            "java.io.File",
            "java.io.FileInputStream",
            "java.io.FileOutputStream",
            "java.io.RandomAccessFile");

    private static final DescribedPredicate<JavaAccess<?>> FORBIDDEN_ACCESS =
            new DescribedPredicate<>("time, threads, randomness, sockets or files outside the io.weft.net seam") {
                @Override
                public boolean test(JavaAccess<?> access) {
                    if (access instanceof JavaCall<?> call) {
                        if (isSuperConstructorOfOwnSubclass(call)) {
                            return false;
                        }
                        for (Forbidden f : FORBIDDEN) {
                            if (f.matches(call)) {
                                return true;
                            }
                        }
                    }
                    String owner = access.getTargetOwner().getName();
                    return FORBIDDEN_PACKAGES_OR_CLASSES.contains(owner);
                }
            };

    /**
     * A subclass's own {@code super(...)} call: e.g. a {@code SecureRandom} subclass that hands the
     * JDK's key generator fixed bytes (deterministic by construction) is not a source of entropy.
     */
    private static boolean isSuperConstructorOfOwnSubclass(JavaCall<?> call) {
        return call.getName().equals("<init>")
                && call.getOriginOwner().getRawSuperclass().map(s -> s.getName().equals(call.getTargetOwner().getName()))
                        .orElse(false)
                && call.getOrigin().getName().equals("<init>");
    }

    static ArchRule rule(String... packages) {
        return noClasses().that().resideInAnyPackage(packages)
                .should().accessTargetWhere(FORBIDDEN_ACCESS)
                .allowEmptyShould(false);
    }

    @Test
    void engineStoreAndRaftReachTheWorldOnlyThroughTheSeam() {
        JavaClasses classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.weft.engine", "io.weft.store", "io.weft.raft");
        rule("io.weft.engine..", "io.weft.store..", "io.weft.raft..").check(classes);
    }

    @Test
    void theRuleCatchesAViolation() {
        JavaClasses bad = new ClassFileImporter().importClasses(BadClock.class, BadSleeper.class, BadFiles.class);
        ArchRule r = rule("io.weft.engine.arch..");
        EvaluationResult result = r.evaluate(bad);
        org.junit.jupiter.api.Assertions.assertTrue(result.hasViolation(), "the rule must flag the fixture");
        for (Class<?> c : List.of(BadClock.class, BadSleeper.class, BadFiles.class)) {
            JavaClasses one = new ClassFileImporter().importClasses(c);
            assertThrows(AssertionError.class, () -> r.check(one), c.getSimpleName() + " must violate the rule");
        }
    }

    /** Fixtures: each breaks the rule in one way. */
    static final class BadClock {
        long now() {
            return System.nanoTime();
        }
    }

    static final class BadSleeper {
        void nap() throws InterruptedException {
            Thread.sleep(1);
        }
    }

    static final class BadFiles {
        boolean exists() {
            return java.nio.file.Files.exists(java.nio.file.Path.of("/"));
        }
    }
}
