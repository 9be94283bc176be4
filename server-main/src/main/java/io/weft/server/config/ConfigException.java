package io.weft.server.config;

import java.util.List;

/**
 * A configuration problem. The message is one {@code file:line:col: message} line per problem, the
 * way nats-server reports configuration errors.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final List<String> problems;

    public ConfigException(Position where, String message) {
        this(List.of(where == null ? message : where + ": " + message));
    }

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    /** Each problem as {@code file:line:col: message}. */
    public List<String> problems() {
        return problems;
    }
}
