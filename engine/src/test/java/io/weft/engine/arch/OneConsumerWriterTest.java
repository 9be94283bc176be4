package io.weft.engine.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaFieldAccess;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Consumer state as applied values (issue 10): a consumer's durable state (delivered, ack floor,
 * pending acks with their delivery counts) and its state file have one writer, the apply step
 * {@code ConsumerApply}. Everything else decides a {@code ConsumerOp} and hands it over. Fails the
 * build on a violation, and proves on a bad fixture that it can fail.
 *
 * <p>What it checks: no other class sets the durable counters of {@code Consumer} or the fields of
 * a pending entry; no code of {@code Consumer} (whose only maps are the pending acks and the
 * delivery counts) calls a mutating {@link Map} method; nothing else writes or deletes the state
 * file. A constructor initialises its own fields, and {@code ConsumerPersistence} may set the fields when it restores them from that file.
 */
class OneConsumerWriterTest {
    static final String PKG = "io.weft.engine.jetstream.consumer.";
    static final String APPLY = PKG + "ConsumerApply";
    static final String CONSUMER = PKG + "Consumer";
    static final String PENDING = CONSUMER + "$Pending";
    static final String PERSISTENCE = PKG + "ConsumerPersistence";
    static final Set<String> DURABLE = Set.of("dseq", "lastStreamSeq", "ackFloorC", "ackFloorS", "lastActiveWall",
            "lastAckWall", "pending", "deliveries");
    static final Set<String> PENDING_FIELDS = Set.of("cseq", "deadline", "deliveredMono");
    static final Set<String> MAP_WRITES = Set.of("put", "putAll", "putIfAbsent", "remove", "clear", "compute",
            "computeIfAbsent", "computeIfPresent", "merge", "replace", "replaceAll", "pollFirstEntry",
            "pollLastEntry");
    static final Set<String> FILE_WRITES = Set.of("writeState", "delete");

    static List<String> violations(JavaClasses classes, String consumer, String pending, String persistence) {
        List<String> out = new ArrayList<>();
        for (JavaClass c : classes) {
            String owner = c.getName();
            if (owner.equals(APPLY) || owner.startsWith(APPLY + "$")) {
                continue;
            }
            boolean restores = owner.equals(persistence);
            boolean inConsumer = owner.equals(consumer) || owner.startsWith(consumer + "$");
            for (JavaAccess<?> a : c.getAccessesFromSelf()) {
                String target = a.getTargetOwner().getName();
                if (a instanceof JavaFieldAccess f) {
                    boolean set = f.getAccessType() == JavaFieldAccess.AccessType.SET;
                    boolean durable = (target.equals(consumer) && DURABLE.contains(a.getName()))
                            || (target.equals(pending) && PENDING_FIELDS.contains(a.getName()));
                    boolean constructing = a.getOrigin().getName().equals("<init>") && a.getOriginOwner().getName().equals(target);
                    if (set && durable && !restores && !constructing) {
                        out.add(a.getDescription());
                    }
                } else if (inConsumer && a.getTargetOwner().isAssignableTo(Map.class)
                        && MAP_WRITES.contains(a.getName())) {
                    out.add(a.getDescription());
                } else if (target.equals(persistence) && FILE_WRITES.contains(a.getName())) {
                    out.add(a.getDescription());
                }
            }
        }
        return out;
    }

    @Test
    void onlyTheApplyStepWritesConsumerState() {
        JavaClasses engine = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.weft.engine");
        assertTrue(engine.stream().anyMatch(c -> c.getName().equals(APPLY)), "the apply step exists");
        assertTrue(engine.stream().anyMatch(c -> c.getName().equals(PENDING)), "the pending entry exists");
        assertEquals(List.of(), violations(engine, CONSUMER, PENDING, PERSISTENCE));
    }

    /** A consumer changing its own state behind the apply step's back (never used: the rule's proof). */
    static final class BadConsumer {
        long dseq;
        final TreeMap<Long, Pending> pending = new TreeMap<>();

        static final class Pending {
            long deadline;

            Pending(long deadline) {
                this.deadline = deadline; // a constructor is fine
            }
        }

        void ack(long seq, Files files) {
            dseq++;
            pending.remove(seq);
            pending.get(seq + 1).deadline = 0;
            files.writeState(this);
            pending.containsKey(seq); // reading is fine
        }
    }

    static final class Files {
        void writeState(BadConsumer c) {
        }
    }

    @Test
    void theRuleCatchesAWriter() {
        String bad = BadConsumer.class.getName();
        List<String> v = violations(new ClassFileImporter().importClasses(BadConsumer.class, BadConsumer.Pending.class,
                Files.class), bad, bad + "$Pending", Files.class.getName());
        assertEquals(4, v.size(), v.toString());
        assertTrue(v.stream().anyMatch(s -> s.contains("remove")), v.toString());
        assertTrue(v.stream().anyMatch(s -> s.contains("writeState")), v.toString());
    }
}
