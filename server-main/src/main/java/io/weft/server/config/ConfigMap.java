package io.weft.server.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A block {@code { key: value ... }} (the top level of a file is one too). Keys keep their
 * spelling and order; a key set twice keeps its last value. Lookups by {@link #getIgnoreCase} follow
 * nats-server, which matches option names without regard to case.
 */
public final class ConfigMap implements ConfigValue {
    /** One entry: the key as written, where the key was, and its value. */
    public record Entry(String key, Position keyPosition, ConfigValue value) {
    }

    private final Position position;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Set<String> usedAsVariable = new LinkedHashSet<>();

    public ConfigMap(Position position) {
        this.position = position;
    }

    @Override
    public Position position() {
        return position;
    }

    @Override
    public String typeName() {
        return "map";
    }

    void put(Entry e) {
        entries.remove(e.key());
        entries.put(e.key(), e);
    }

    void markUsedAsVariable(String key) {
        usedAsVariable.add(key);
    }

    /** True if the key was referenced as {@code $key} somewhere (such keys are variables, not options). */
    public boolean isUsedAsVariable(String key) {
        return usedAsVariable.contains(key);
    }

    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    public Map<String, Entry> asMap() {
        return Collections.unmodifiableMap(entries);
    }

    public Entry get(String key) {
        return entries.get(key);
    }

    /** The last entry whose key equals {@code key} ignoring case, or null. */
    public Entry getIgnoreCase(String key) {
        Entry found = null;
        for (Entry e : entries.values()) {
            if (e.key().equalsIgnoreCase(key)) {
                found = e;
            }
        }
        return found;
    }

    public int size() {
        return entries.size();
    }

    @Override
    public String toString() {
        return "ConfigMap" + entries.keySet();
    }
}
