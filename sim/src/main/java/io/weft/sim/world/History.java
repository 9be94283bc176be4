package io.weft.sim.world;

import io.weft.sim.SimScheduler;
import java.util.ArrayList;
import java.util.List;

/**
 * What the simulated clients did and saw, in virtual time: an invoke and an ok (or fail) per
 * operation, and an info entry per delivered message. Every entry also goes into the trace.
 */
public final class History {
    /** The kinds of history entries, as in Jepsen histories. */
    public enum Type { INVOKE, OK, FAIL, INFO }

    /** One entry: who, what, with which value, when (virtual ns). */
    public record Entry(long time, int process, Type type, String op, String value) {
        @Override
        public String toString() {
            return time + " " + process + " " + type.name().toLowerCase() + " " + op + " " + value;
        }
    }

    /** {@code Type} names in lower case, computed once (a history entry is made per message). */
    private static final String[] LOWER = {"invoke", "ok", "fail", "info"};

    private final SimScheduler scheduler;
    private final List<Entry> entries = new ArrayList<>();

    public History(SimScheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** Appends an entry stamped with the current virtual time. */
    public void add(int process, Type type, String op, String value) {
        Entry e = new Entry(scheduler.now(), process, type, op, value);
        entries.add(e);
        scheduler.note("history " + process + " " + LOWER[type.ordinal()] + " " + op + " " + value);
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }
}
