package io.weft.engine.auth;

/** An account: an isolated subject space. Its users are listed in {@link AuthConfig#users} and {@link AuthConfig#nkeys}. */
public record AccountConfig(String name, boolean jetstream) {
}
