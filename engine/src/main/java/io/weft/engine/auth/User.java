package io.weft.engine.auth;

/**
 * A user with a password (plain text, or a bcrypt hash starting with {@code $2}).
 *
 * @param account the account name the user belongs to, or null for the global account
 * @param permissions null means everything is allowed
 */
public record User(String username, String password, Permissions permissions, String account) {
}
