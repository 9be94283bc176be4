package io.weft.raft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Each bug switch must make the randomized property run fail (the simulator's bug catalog runs
 * the full scenarios; this checks the switches are live in the library). Switches whose harm
 * needs what this in-memory run does not model are listed in {@link #NEEDS_SIMULATOR}.
 */
class BugSwitchTest {
    static final Set<Bug> NEEDS_SIMULATOR = EnumSet.of(Bug.READ_INDEX_NO_HEARTBEAT);

    @Test
    void propertyRunCatchesEveryBugSwitch() {
        List<String> table = new ArrayList<>();
        List<Bug> missed = new ArrayList<>();
        for (Bug bug : Bug.values()) {
            long caughtAt = 0;
            for (long seed = 1; seed <= 200 && caughtAt == 0; seed++) {
                int n = seed % 3 == 0 ? 5 : 3;
                try {
                    new RaftPropertyTest.Run(seed, n, Set.of(bug)).check();
                } catch (AssertionError e) {
                    caughtAt = seed;
                    if (Boolean.getBoolean("raft.bugDetail")) System.out.println(bug + ": " + e.getMessage().lines().findFirst().orElse(""));
                }
            }
            table.add(String.format("%-32s %s", bug, caughtAt == 0 ? "not caught in 200 seeds" : "caught at seed " + caughtAt));
            if (caughtAt == 0 && !NEEDS_SIMULATOR.contains(bug)) missed.add(bug);
        }
        System.out.println(String.join("\n", table));
        assertTrue(missed.isEmpty(), "bug switches the property run does not catch: " + missed + "\n" + String.join("\n", table));
    }
}
