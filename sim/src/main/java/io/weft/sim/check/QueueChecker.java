package io.weft.sim.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a queue workload in the style of Jepsen's NATS/queue tests. Operations: {@code enqueue}
 * (value: a unique element; ok = acknowledged, info = indeterminate, fail = certainly not
 * enqueued) and {@code dequeue} (the ok's value is the element delivered; a dequeue that got
 * nothing is a fail or has a nil value). Reports:
 *
 * <ul>
 *   <li>lost: acknowledged enqueues never dequeued;</li>
 *   <li>unexpected: dequeued elements that no ok or info enqueue offered (including elements
 *       whose enqueue failed);</li>
 *   <li>duplicated: elements dequeued more than once, with how many times;</li>
 *   <li>reordered: dequeues that, for the same consumer, delivered an element of a producer
 *       after a later-enqueued element of that producer (FIFO per producer; each consumer of a
 *       shared queue sees an increasing subsequence, so this holds with several consumers);</li>
 *   <li>recovered: indeterminate enqueues whose element was dequeued.</li>
 * </ul>
 */
public final class QueueChecker {

    /** The findings; {@link #valid()} when nothing is lost, unexpected, duplicated or reordered. */
    public record Report(int acknowledged, int indeterminate, int dequeued,
                         List<Object> lost, List<Object> unexpected, Map<Object, Integer> duplicated,
                         int reordered, List<Object> recovered) {

        public boolean valid() {
            return lost.isEmpty() && unexpected.isEmpty() && duplicated.isEmpty() && reordered == 0;
        }

        /** At-least-once delivery: nothing lost or unexpected (duplicates and reorders allowed). */
        public boolean atLeastOnce() {
            return lost.isEmpty() && unexpected.isEmpty();
        }

        /** EDN-like summary, as Jepsen prints checker results. */
        public String describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(":valid?", valid());
            m.put(":acknowledged-count", acknowledged);
            m.put(":indeterminate-count", indeterminate);
            m.put(":dequeued-count", dequeued);
            m.put(":lost-count", lost.size());
            m.put(":lost", lost);
            m.put(":unexpected-count", unexpected.size());
            m.put(":unexpected", unexpected);
            m.put(":duplicated-count", duplicated.size());
            m.put(":duplicated", new ArrayList<>(duplicated.entrySet().stream()
                    .map(e -> List.of(e.getKey(), e.getValue())).toList()));
            m.put(":reordered-count", reordered);
            m.put(":recovered-count", recovered.size());
            m.put(":recovered", recovered);
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<String, Object> e : m.entrySet()) {
                sb.append(first ? "" : ",\n ").append(e.getKey()).append(' ');
                Values.edn(e.getValue(), sb);
                first = false;
            }
            return sb.append('}').toString();
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    private QueueChecker() {
    }

    public static Report check(OpHistory history) {
        List<Op> ops = history.ops();
        // enqueue outcome per element, from the completion of each invoke
        Map<Object, Integer> producer = new HashMap<>();
        Map<Object, Integer> enqueueOrder = new HashMap<>();
        Set<Object> acked = new HashSet<>();
        Set<Object> attempted = new HashSet<>();
        Map<Integer, Op> pending = new HashMap<>();
        List<Object> ackedInOrder = new ArrayList<>();
        List<Object> indeterminateInOrder = new ArrayList<>();
        List<Op> dequeues = new ArrayList<>();
        int order = 0;
        for (Op op : ops) {
            if (op.type() == Op.Type.INVOKE) {
                Op open = pending.put(op.process(), op);
                if (open != null && open.f().equals("enqueue")) {
                    // invoked again without completing: the earlier enqueue is indeterminate
                    attempted.add(open.value());
                    indeterminateInOrder.add(open.value());
                }
                if (op.f().equals("enqueue")) {
                    producer.putIfAbsent(op.value(), op.process());
                    enqueueOrder.putIfAbsent(op.value(), order++);
                }
                continue;
            }
            Op inv = pending.remove(op.process());
            if (inv == null) {
                continue;
            }
            if (inv.f().equals("enqueue")) {
                switch (op.type()) {
                    case OK -> {
                        acked.add(inv.value());
                        attempted.add(inv.value());
                        ackedInOrder.add(inv.value());
                    }
                    case INFO -> {
                        attempted.add(inv.value());
                        indeterminateInOrder.add(inv.value());
                    }
                    default -> {
                    }
                }
            } else if (inv.f().equals("dequeue") && op.type() == Op.Type.OK && op.value() != null) {
                dequeues.add(op);
            }
        }
        for (Op open : pending.values()) {
            if (open.f().equals("enqueue")) {
                attempted.add(open.value());
                indeterminateInOrder.add(open.value());
            }
        }

        Map<Object, Integer> seen = new LinkedHashMap<>();
        List<Object> unexpected = new ArrayList<>();
        int reordered = 0;
        // per consumer, per producer: the latest enqueue order delivered so far
        Map<Integer, Map<Integer, Integer>> high = new HashMap<>();
        for (Op d : dequeues) {
            Object v = d.value();
            int times = seen.merge(v, 1, Integer::sum);
            if (!attempted.contains(v)) {
                if (times == 1) {
                    unexpected.add(v);
                }
                continue;
            }
            if (times > 1) {
                continue;
            }
            int p = producer.get(v);
            int o = enqueueOrder.get(v);
            Map<Integer, Integer> mine = high.computeIfAbsent(d.process(), k -> new HashMap<>());
            Integer h = mine.get(p);
            if (h != null && o < h) {
                reordered++;
            } else {
                mine.put(p, o);
            }
        }
        List<Object> lost = new ArrayList<>();
        for (Object v : ackedInOrder) {
            if (!seen.containsKey(v)) {
                lost.add(v);
            }
        }
        Map<Object, Integer> duplicated = new TreeMap<>(QueueChecker::compare);
        for (Map.Entry<Object, Integer> e : seen.entrySet()) {
            if (e.getValue() > 1) {
                duplicated.put(e.getKey(), e.getValue());
            }
        }
        List<Object> recovered = new ArrayList<>();
        for (Object v : indeterminateInOrder) {
            if (seen.containsKey(v) && !acked.contains(v)) {
                recovered.add(v);
            }
        }
        return new Report(ackedInOrder.size(), indeterminateInOrder.size(), dequeues.size(),
                List.copyOf(lost), List.copyOf(unexpected), java.util.Collections.unmodifiableMap(duplicated),
                reordered, List.copyOf(recovered));
    }

    private static int compare(Object a, Object b) {
        if (a instanceof Long x && b instanceof Long y) {
            return Long.compare(x, y);
        }
        return String.valueOf(a).compareTo(String.valueOf(b));
    }
}
