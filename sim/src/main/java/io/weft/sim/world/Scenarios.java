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
            int v;
            try {
                v = Integer.parseInt(e.getValue());
            } catch (NumberFormatException x) {
                throw new IllegalArgumentException(e.getKey() + " must be a number");
            }
            if (v < 1) {
                throw new IllegalArgumentException(e.getKey() + " must be at least 1");
            }
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
