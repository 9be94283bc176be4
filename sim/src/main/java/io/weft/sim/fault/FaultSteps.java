package io.weft.sim.fault;

import io.weft.sim.SimClock;
import io.weft.sim.world.History;
import io.weft.sim.world.SimNode;
import io.weft.sim.world.SimWorld;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The steps the nemeses are made of, each recorded in the history as process -1 before it acts:
 * crash a node and restart it after a downtime, pause and resume it, damage one of its files while
 * it is down. {@link Nemesis} (one node) and {@link ClusterNemesis} (a cluster) sleep on different
 * clocks, so each brings its own.
 */
final class FaultSteps {
    private final SimWorld world;
    private final SimClock clock;

    FaultSteps(SimWorld world, SimClock clock) {
        this.world = world;
        this.clock = clock;
    }

    void sleep(Duration d) throws InterruptedException {
        clock.sleep(d);
    }

    void crashFor(SimNode n, Duration down) throws InterruptedException, IOException {
        record("crash", n.host());
        n.crash();
        clock.sleep(down);
        record("restart", n.host());
        n.restart();
    }

    void pauseFor(SimNode n, Duration length) throws InterruptedException {
        record("pause", n.host());
        n.pause();
        clock.sleep(length);
        record("resume", n.host());
        n.resume();
    }

    /**
     * Crashes {@code n}, truncates or flips a bit of one of its non-empty files that {@code targets}
     * accepts ({@code file} and {@code offset} pick which and where, modulo what there is), and
     * restarts it after {@code down}. {@code label} starts the damage's history value.
     */
    void damageAtRest(SimNode n, Predicate<String> targets, boolean truncate, int file, long offset, Duration down,
                      String label) throws InterruptedException, IOException {
        record("crash", n.host());
        n.crash();
        List<Map.Entry<String, Long>> files = n.disk().files().entrySet().stream()
                .filter(e -> e.getValue() > 0 && targets.test(e.getKey())).toList();
        String op = truncate ? "truncate" : "bitflip";
        if (files.isEmpty()) {
            record(op, label + "no file to damage");
        } else {
            var hit = files.get(file % files.size());
            long at = offset % hit.getValue();
            record(op, label + hit.getKey() + " " + at + " of " + hit.getValue());
            if (truncate) {
                n.disk().truncate(hit.getKey(), at);
            } else {
                n.disk().flipBit(hit.getKey(), at);
            }
        }
        clock.sleep(down);
        record("restart", n.host());
        n.restart();
    }

    void record(String op, String value) {
        world.history().add(-1, History.Type.INFO, op, value);
    }
}
