package io.weft.sim.world;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiFunction;

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
                new CoreCrash(CoreCrash.Config.defaults()),
                new CoreCluster(CoreCluster.Config.defaults()),
                new JsCrash(JsCrash.Config.defaults()),
                new JsCrash(JsCrash.Config.defaults().withTimed()),
                new JsCrash(JsCrash.Config.defaults().withBatches()),
                new JsCluster(JsCluster.Config.defaults()),
                new JsCluster(JsCluster.Config.heavyDefaults()),
                new JsCluster(JsCluster.Config.defaults().withResets()),
                new io.weft.sim.raft.RaftScenario(io.weft.sim.raft.RaftScenario.Config.of(3)),
                new io.weft.sim.raft.RaftScenario(io.weft.sim.raft.RaftScenario.Config.of(5)),
                new io.weft.sim.raft.JsStreamGroup(),
                new io.weft.sim.raft.JsStreamGroup(io.weft.sim.raft.JsStreamGroup.Config.defaults().withCounters(true)));
    }

    public static Optional<Scenario> byName(String name) {
        return all().stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /**
     * A scenario with workload parameters (e.g. {@code clients=20}, {@code messages=100}); unknown
     * keys are an error. The parameters are part of what a replay must repeat.
     */
    public static Optional<Scenario> byName(String name, Map<String, String> params) {
        return switch (name) {
            case SimSpeed.NAME -> Optional.of(new SimSpeed(
                    sized(name, params, SimSpeed.Config.defaults(), SimSpeed.Config::withClients,
                            SimSpeed.Config::withMessages)));
            case CoreCrash.NAME -> Optional.of(new CoreCrash(
                    sized(name, params, CoreCrash.Config.defaults(), CoreCrash.Config::withClients,
                            CoreCrash.Config::withMessages)));
            case CoreCluster.NAME -> Optional.of(new CoreCluster(
                    sized(name, params, CoreCluster.Config.defaults(), CoreCluster.Config::withClients,
                            CoreCluster.Config::withMessages)));
            case JsCrash.NAME -> Optional.of(new JsCrash(
                    sized(name, params, JsCrash.Config.defaults(), JsCrash.Config::withClients,
                            JsCrash.Config::withMessages)));
            case JsCluster.NAME -> Optional.of(new JsCluster(
                    sized(name, params, JsCluster.Config.defaults(), JsCluster.Config::withClients,
                            JsCluster.Config::withMessages)));
            case JsCluster.HEAVY_NAME -> Optional.of(new JsCluster(
                    sized(name, params, JsCluster.Config.heavyDefaults(), JsCluster.Config::withClients,
                            JsCluster.Config::withMessages)));
            case JsCluster.RESET_NAME -> Optional.of(new JsCluster(
                    sized(name, params, JsCluster.Config.defaults().withResets(), JsCluster.Config::withClients,
                            JsCluster.Config::withMessages)));
            case JsCrash.TTL_NAME -> Optional.of(new JsCrash(
                    sized(name, params, JsCrash.Config.defaults().withTimed(), JsCrash.Config::withClients,
                            JsCrash.Config::withMessages)));
            case JsCrash.BATCH_NAME -> Optional.of(new JsCrash(
                    sized(name, params, JsCrash.Config.defaults().withBatches(), JsCrash.Config::withClients,
                            JsCrash.Config::withMessages)));
            case CorePubSub.NAME -> Optional.of(new CorePubSub(
                    sized(name, params, CorePubSub.Config.defaults(), CorePubSub.Config::withClients,
                            CorePubSub.Config::withMessages)));
            case CorePubSub.RESET_NAME -> Optional.of(new CorePubSub(
                    sized(name, params, CorePubSub.Config.defaults().withReset(), CorePubSub.Config::withClients,
                            CorePubSub.Config::withMessages)));
            default -> {
                if (!params.isEmpty()) {
                    throw new IllegalArgumentException("scenario " + name + " takes no parameters");
                }
                yield byName(name);
            }
        };
    }

    /** Applies {@code clients} and {@code messages} parameters to a scenario's config. */
    private static <C> C sized(String name, Map<String, String> params, C config,
                               BiFunction<C, Integer, C> withClients, BiFunction<C, Integer, C> withMessages) {
        C c = config;
        for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
            int v = positive(e.getKey(), e.getValue());
            c = switch (e.getKey()) {
                case "clients" -> withClients.apply(c, v);
                case "messages" -> withMessages.apply(c, v);
                default -> throw new IllegalArgumentException("unknown parameter " + e.getKey()
                        + " (" + name + " takes clients, messages)");
            };
        }
        return c;
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
