package io.weft.sim.raft;

import io.weft.raft.Entry;
import io.weft.raft.Snapshot;
import io.weft.raft.driver.StateMachine;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The replicated KV register the raft scenarios run: commands {@code w key value} and
 * {@code c key expected new} ({@code nil} for absent), results {@code ok} / {@code fail}. Its
 * snapshot records the index it was taken at, so a snapshot restored under another index (an
 * entry skipped or applied twice) is reported to {@code violation}.
 */
final class KvMachine implements StateMachine {
    private final ReentrantLock lock = new ReentrantLock();
    private final TreeMap<String, Long> values = new TreeMap<>();
    private final Consumer<String> violation;
    private long applied;

    KvMachine(Consumer<String> violation) {
        this.violation = violation;
    }

    static byte[] write(String key, long value) {
        return ("w " + key + " " + value).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] cas(String key, Long expected, long value) {
        return ("c " + key + " " + (expected == null ? "nil" : expected) + " " + value).getBytes(StandardCharsets.UTF_8);
    }

    /** The value of {@code key} now (null: never written). */
    Long get(String key) {
        lock.lock();
        try {
            return values.get(key);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public byte[] apply(Entry entry) {
        if (entry.kind() != Entry.Kind.NORMAL) {
            lock.lock();
            try {
                applied = entry.index();
            } finally {
                lock.unlock();
            }
            return new byte[0];
        }
        String[] cmd = new String(entry.data(), StandardCharsets.UTF_8).split(" ");
        lock.lock();
        try {
            applied = entry.index();
            boolean ok = switch (cmd[0]) {
                case "w" -> {
                    values.put(cmd[1], Long.parseLong(cmd[2]));
                    yield true;
                }
                case "c" -> {
                    Long have = values.get(cmd[1]);
                    Long want = cmd[2].equals("nil") ? null : Long.parseLong(cmd[2]);
                    if (java.util.Objects.equals(have, want)) {
                        values.put(cmd[1], Long.parseLong(cmd[3]));
                        yield true;
                    }
                    yield false;
                }
                default -> throw new IllegalStateException("unknown command " + cmd[0]);
            };
            return (ok ? "ok" : "fail").getBytes(StandardCharsets.UTF_8);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public byte[] snapshot() {
        lock.lock();
        try {
            StringBuilder sb = new StringBuilder().append(applied);
            for (Map.Entry<String, Long> e : values.entrySet()) sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void restore(Snapshot s) {
        lock.lock();
        try {
            values.clear();
            applied = s.index();
            if (s.data().length == 0) {
                if (s.index() != 0) violation.accept("snapshot at " + s.index() + " holds no state");
                return;
            }
            String[] parts = new String(s.data(), StandardCharsets.UTF_8).split(" ");
            long at = Long.parseLong(parts[0]);
            if (at != s.index()) violation.accept("snapshot labelled index " + s.index() + " holds the state as of index " + at);
            for (int i = 1; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                values.put(parts[i].substring(0, eq), Long.parseLong(parts[i].substring(eq + 1)));
            }
        } finally {
            lock.unlock();
        }
    }
}
