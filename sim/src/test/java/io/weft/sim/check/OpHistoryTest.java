package io.weft.sim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.sim.SimScheduler;
import io.weft.sim.world.History;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpHistoryTest {

    @Test
    void dumpIsEdnLike() {
        OpHistory h = new OpHistory()
                .invoke(0, "cas", List.of(1, 2))
                .info(0, "cas", null)
                .invoke(1, "write", new KV("k", "v\"q"))
                .ok(1, "write", null);
        assertEquals("""
                [{:process 0, :type :invoke, :f :cas, :value [1 2], :time 0}
                 {:process 0, :type :info, :f :cas, :value nil, :time 1}
                 {:process 1, :type :invoke, :f :write, :value ["k" "v\\"q"], :time 2}
                 {:process 1, :type :ok, :f :write, :value nil, :time 3}]
                """, h.dump());
    }

    @Test
    void convertsSimulatorHistories() {
        History sim = new History(new SimScheduler(1));
        sim.add(3, History.Type.INVOKE, "write", "7");
        sim.add(3, History.Type.OK, "write", "");
        sim.add(4, History.Type.INVOKE, "read", "");
        sim.add(4, History.Type.OK, "read", "7");
        sim.add(5, History.Type.INVOKE, "cas", "[7 8]");
        sim.add(5, History.Type.INFO, "cas", "");
        sim.add(2, History.Type.INFO, "msg", "s.1 c0-1");
        OpHistory h = OpHistory.fromHistory(sim, e -> !e.op().equals("msg"));
        assertEquals(6, h.size());
        assertEquals(new Op(5, Op.Type.INVOKE, "cas", List.of(7L, 8L), 0), h.ops().get(4));
        assertEquals(7L, h.ops().get(3).value());
        assertTrue(Linearizability.check(new RegisterModel(), h).linearizable());
        assertEquals("s.1 c0-1", OpHistory.fromHistory(sim).ops().get(6).value());
    }

    @Test
    void parsesValues() {
        assertEquals(null, Values.parse(""));
        assertEquals(null, Values.parse("nil"));
        assertEquals(-4L, Values.parse("-4"));
        assertEquals(Arrays.asList(1L, Arrays.asList(2L, "x"), null), Values.parse("[1 [2 x] nil]"));
        assertEquals("a b", Values.parse("a b"));
    }
}
