package io.weft.server.config;

import java.util.List;

/** An array {@code [a, b, c]}. */
public record ConfigList(Position position, List<ConfigValue> items) implements ConfigValue {
    public ConfigList {
        items = List.copyOf(items);
    }

    @Override
    public String typeName() {
        return "array";
    }
}
