package io.weft.sim.world;

import java.util.List;
import java.util.Optional;

/** The scenarios {@code weft sim} knows, by name. */
public final class Scenarios {
    private Scenarios() {
    }

    public static List<Scenario> all() {
        return List.of(new CorePubSub(CorePubSub.Config.defaults()));
    }

    public static Optional<Scenario> byName(String name) {
        return all().stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
