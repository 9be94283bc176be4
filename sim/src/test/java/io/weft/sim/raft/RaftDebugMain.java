package io.weft.sim.raft;

import io.weft.sim.world.SimResult;
import org.junit.jupiter.api.Test;

class RaftDebugMain {
    @Test
    void dump() {
        long seed = Long.getLong("raft.seed", 5);
        int n = Integer.getInteger("raft.n", 3);
        String grep = System.getProperty("raft.grep", "");
        SimResult r = new RaftScenario(RaftScenario.Config.of(n)).run(seed, l -> { if (!grep.isEmpty() && l.matches(grep)) System.out.println(l); });
        System.out.println(RaftFaults.fromSeed(seed, n + 1, (n - 1) / 2));
        r.history().forEach(e -> System.out.println(e));
        System.out.println(r.line() + " " + r.failures());
    }
}
