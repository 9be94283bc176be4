package io.weft.engine.auth;

/**
 * An account: an isolated subject space. Its users are listed in {@link AuthConfig#users} and
 * {@link AuthConfig#nkeys}. {@code jetstreamLimits} are the account's {@code jetstream { ... }}
 * limits (null when none were given: unlimited).
 */
public record AccountConfig(String name, boolean jetstream, JetStreamLimits jetstreamLimits) {

    public AccountConfig(String name, boolean jetstream) {
        this(name, jetstream, null);
    }

    /** An account's JetStream limits; -1 means unlimited. */
    public record JetStreamLimits(long maxMemory, long maxStore, int maxStreams, int maxConsumers) {
        public static final JetStreamLimits UNLIMITED = new JetStreamLimits(-1, -1, -1, -1);
    }
}
