package io.weft.sim.world;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The scenarios {@code weft sim} knows, by name. */
public final class Scenarios {
    private Scenarios() {
    }

    public static List<Scenario> all() {
        return List.of(new CorePubSub(CorePubSub.Config.defaults()),
                new CorePubSub(CorePubSub.Config.defaults().withReset()),
                new CoreRequestReply(CoreRequestReply.Config.defaults()),
                new CoreSlowConsumer(CoreSlowConsumer.Config.defaults()),
                new CoreQueueGroups(CoreQueueGroups.Config.defaults()),
                new SimSpeed(SimSpeed.Config.defaults()),
                new CoreCrash(CoreCrash.Config.defaults()));
    }

    public static Optional<Scenario> byName(String name) {
        return all().stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /**
     * A scenario with workload parameters (e.g. {@code clients=20}, {@code messages=100}); unknown
     * keys are an error. The parameters are part of what a replay must repeat.
     */
    public static Optional<Scenario> byName(String name, Map<String, String> params) {
        if (name.equals(SimSpeed.NAME)) {
            SimSpeed.Config c = SimSpeed.Config.defaults();
            for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
                int v = positive(e.getKey(), e.getValue());
                c = switch (e.getKey()) {
                    case "clients" -> c.withClients(v);
                    case "messages" -> c.withMessages(v);
                    default -> throw new IllegalArgumentException("unknown parameter " + e.getKey()
                            + " (" + name + " takes clients, messages)");
                };
            }
            return Optional.of(new SimSpeed(c));
        }
        if (name.equals(CoreCrash.NAME)) {
            CoreCrash.Config cc = CoreCrash.Config.defaults();
            for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
                int v = positive(e.getKey(), e.getValue());
                cc = switch (e.getKey()) {
                    case "clients" -> cc.withClients(v);
                    case "messages" -> cc.withMessages(v);
                    default -> throw new IllegalArgumentException("unknown parameter " + e.getKey()
                            + " (" + name + " takes clients, messages)");
                };
            }
            return Optional.of(new CoreCrash(cc));
        }
        if (!name.equals(CorePubSub.NAME) && !name.equals(CorePubSub.RESET_NAME)) {
            if (!params.isEmpty()) {
                throw new IllegalArgumentException("scenario " + name + " takes no parameters");
            }
            return byName(name);
        }
        CorePubSub.Config c = name.equals(CorePubSub.RESET_NAME)
                ? CorePubSub.Config.defaults().withReset() : CorePubSub.Config.defaults();
        for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
            int v = positive(e.getKey(), e.getValue());
            c = switch (e.getKey()) {
                case "clients" -> c.withClients(v);
                case "messages" -> c.withMessages(v);
                default -> throw new IllegalArgumentException("unknown parameter " + e.getKey()
                        + " (" + name + " takes clients, messages)");
            };
        }
        return Optional.of(new CorePubSub(c));
    }

    private static int positive(String key, String value) {
        int v;
        try {
            v = Integer.parseInt(value);
        } catch (NumberFormatException x) {
            throw new IllegalArgumentException(key + " must be a number");
        }
        if (v < 1) {
            throw new IllegalArgumentException(key + " must be at least 1");
        }
        return v;
    }
}
