package io.weft.engine.mapping;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/**
 * One entry of a {@code mappings} block: a source subject and its destinations, each with a weight
 * in percent and optionally the cluster it applies in. As nats-server 2.15.1 does: a server in a
 * cluster that some destinations name uses those, otherwise the destinations that name no cluster;
 * a message picks a destination by weight; the share the weights leave (below 100) keeps its
 * original subject; weights of one cluster (or of the unscoped set) must add up to at most 100.
 */
public final class Mapping {
    /** One destination: a transform, its weight (1..100, 0 never chosen), the cluster it is for (null: any). */
    public record Destination(SubjectTransform transform, int weight, String cluster) {
    }

    private final String source;
    private final List<Destination> unscoped;
    private final Map<String, List<Destination>> byCluster;

    private Mapping(String source, List<Destination> unscoped, Map<String, List<Destination>> byCluster) {
        this.source = source;
        this.unscoped = unscoped;
        this.byCluster = byCluster;
    }

    /** Fails with nats-server's {@code total weight needs to be <= 100} when a set's weights add up to more. */
    public static Mapping of(String source, List<Destination> destinations) throws MappingException {
        List<Destination> unscoped = new ArrayList<>();
        Map<String, List<Destination>> byCluster = new LinkedHashMap<>();
        for (Destination d : destinations) {
            if (d.cluster() == null || d.cluster().isEmpty()) {
                unscoped.add(d);
            } else {
                byCluster.computeIfAbsent(d.cluster(), k -> new ArrayList<>()).add(d);
            }
        }
        check(unscoped);
        for (List<Destination> set : byCluster.values()) {
            check(set);
        }
        return new Mapping(source, List.copyOf(unscoped), Map.copyOf(byCluster));
    }

    private static void check(List<Destination> set) throws MappingException {
        int total = 0;
        for (Destination d : set) {
            total += d.weight();
        }
        if (total > 100) {
            throw new MappingException("total weight needs to be <= 100");
        }
    }

    public String source() {
        return source;
    }

    /** True if the (literal) subject is one this mapping takes. */
    public boolean matches(String subject) {
        return io.weft.store.Subjects.matches(source, subject);
    }

    /**
     * The subject a message published to {@code subject} goes to on a server of cluster
     * {@code clusterName} ("" when not clustered), picking by weight with {@code random(100)}.
     */
    public String map(String subject, String clusterName, IntUnaryOperator random) {
        List<Destination> set = clusterName == null ? null : byCluster.get(clusterName);
        if (set == null) {
            set = unscoped;
        }
        if (set.isEmpty()) {
            return subject;
        }
        if (set.size() == 1 && set.get(0).weight() >= 100) {
            return set.get(0).transform().apply(subject, random);
        }
        int r = random.applyAsInt(100);
        int upTo = 0;
        for (Destination d : set) {
            upTo += d.weight();
            if (r < upTo) {
                return d.transform().apply(subject, random);
            }
        }
        return subject;
    }
}
