package io.weft.engine.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaFieldAccess;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.weft.store.MessageStore;
import io.weft.store.MemoryStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The stream log seam (issue 10): a stream's {@link MessageStore} has one writer, the apply step
 * {@code io.weft.engine.jetstream.StreamApply}. Every other engine class may read a store but
 * never call a method that changes it, so that a replicated log can replace the local one and
 * every write goes through it. Fails the build on a violation, and proves on a bad fixture that
 * it can fail.
 */
class OneStoreWriterTest {
    /** The methods of {@link MessageStore} that change it (or its durability). */
    static final Set<String> MUTATING = Set.of("append", "appendAt", "skipTo", "remove", "purge", "begin", "commit",
            "rollback", "sync", "destroy", "close");
    static final String APPLY = "io.weft.engine.jetstream.StreamApply";

    static List<String> violations(JavaClasses classes) {
        List<String> out = new ArrayList<>();
        for (JavaClass c : classes) {
            String owner = c.getName();
            if (owner.equals(APPLY) || owner.startsWith(APPLY + "$")) {
                continue;
            }
            for (JavaAccess<?> a : c.getAccessesFromSelf()) {
                if (a instanceof JavaFieldAccess) {
                    continue;
                }
                if (a.getTargetOwner().isAssignableTo(MessageStore.class) && MUTATING.contains(a.getName())) {
                    out.add(a.getDescription());
                }
            }
        }
        return out;
    }

    @Test
    void onlyTheApplyStepWritesAStreamStore() {
        JavaClasses engine = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.weft.engine");
        assertTrue(engine.stream().anyMatch(c -> c.getName().equals(APPLY)),
                "the apply step exists");
        assertEquals(List.of(), violations(engine));
    }

    /** A class writing a store behind the apply step's back (never used: the rule's proof). */
    static final class WriterBehindTheLog {
        void trim(MessageStore s) throws IOException {
            s.purge(null, 0, 10);
        }

        Runnable later(MemoryStore s) {
            return s::rollback;
        }

        long reads(MessageStore s) {
            return s.state().lastSeq(); // reading is fine
        }
    }

    @Test
    void theRuleCatchesAWriter() {
        List<String> v = violations(new ClassFileImporter().importClasses(WriterBehindTheLog.class));
        assertEquals(2, v.size(), v.toString());
        assertTrue(v.get(0).contains("purge") || v.get(1).contains("purge"), v.toString());
    }
}
