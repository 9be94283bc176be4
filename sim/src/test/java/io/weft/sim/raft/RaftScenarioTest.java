package io.weft.sim.raft;

import io.weft.sim.world.SimResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(600)
class RaftScenarioTest {
    static long from = Long.getLong("raft.from", 1);
    static long to = Long.getLong("raft.to", 20);

    @Test
    void raft3Seeds() {
        runSeeds(new RaftScenario(RaftScenario.Config.of(3)));
    }

    @Test
    void raft5Seeds() {
        runSeeds(new RaftScenario(RaftScenario.Config.of(5)));
    }

    private static void runSeeds(RaftScenario s) {
        List<String> failed = new ArrayList<>();
        long real = 0;
        long ops = 0;
        for (long seed = from; seed <= to; seed++) {
            SimResult r = s.run(seed, null);
            real += r.realNanos();
            if (!r.passed()) failed.add(r.line() + " " + r.failures());
            if (Boolean.getBoolean("raft.verbose")) {
                r.history().stream().filter(e -> e.op().equals("summary")).forEach(e -> System.out.println(r.seed() + " " + e.value()
                        + " faults " + r.history().stream().filter(x -> x.process() == -1).count() + " real " + r.realNanos() / 1_000_000 + "ms virt " + r.virtualNanos() / 1_000_000 + "ms steps " + r.steps()));
            }
        }
        System.out.println(s.name() + " seeds " + from + ".." + to + " real ms/seed " + real / 1_000_000 / (to - from + 1)
                + " failed " + failed.size());
        failed.forEach(System.out::println);
        assertEquals(List.of(), failed);
    }
}
