package io.weft.raft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The bug switches are live: the randomized property run catches each switch in {@link #CAUGHT}
 * within 200 seeds. The others need scenarios this in-memory run makes rarely or never (conf
 * changes, pre-vote off, fsync timing, a leader isolated for long, Figure 8 of the Raft paper):
 * they are for the simulator's bug catalog. {@code -Draft.allBugs=true} prints the table for all.
 */
class BugSwitchTest {
    static final Set<Bug> CAUGHT = EnumSet.of(Bug.TRUNCATE_DAMAGED, Bug.DAMAGED_ACKS_ALL, Bug.NO_TRUNCATE_ON_CONFLICT,
            Bug.SNAPSHOT_SKIPS_INDEX);

    @Test
    void propertyRunCatchesEveryBugSwitch() {
        List<String> table = new ArrayList<>();
        List<Bug> missed = new ArrayList<>();
        for (Bug bug : Boolean.getBoolean("raft.allBugs") ? EnumSet.allOf(Bug.class) : CAUGHT) {
            long caughtAt = 0;
            for (long seed = 1; seed <= 200 && caughtAt == 0; seed++) {
                int n = seed % 3 == 0 ? 5 : 3;
                try {
                    new RaftPropertyTest.Run(seed, n, Set.of(bug), n == 3 && seed % 2 == 1).check();
                } catch (AssertionError e) {
                    caughtAt = seed;
                    if (Boolean.getBoolean("raft.bugDetail")) System.out.println(bug + ": " + e.getMessage().lines().findFirst().orElse(""));
                }
            }
            table.add(String.format("%-32s %s", bug, caughtAt == 0 ? "not caught in 200 seeds" : "caught at seed " + caughtAt));
            if (caughtAt == 0 && CAUGHT.contains(bug)) missed.add(bug);
        }
        System.out.println(String.join("\n", table));
        assertTrue(missed.isEmpty(), "bug switches the property run does not catch: " + missed + "\n" + String.join("\n", table));
    }
}
