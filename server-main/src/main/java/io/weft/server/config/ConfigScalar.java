package io.weft.server.config;

/**
 * A scalar value. {@code value} is a {@link String}, {@link Long} (integers, size suffixes already
 * applied), {@link Double} or {@link Boolean}; {@code raw} is the text as written (without quotes).
 */
public record ConfigScalar(Position position, Kind kind, Object value, String raw) implements ConfigValue {
    public enum Kind { STRING, INTEGER, FLOAT, BOOLEAN }

    @Override
    public String typeName() {
        return switch (kind) {
            case STRING -> "string";
            case INTEGER -> "integer";
            case FLOAT -> "float";
            case BOOLEAN -> "boolean";
        };
    }
}
