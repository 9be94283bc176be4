package io.weft.engine.auth;

/**
 * A user identified by an nkey (public user key starting with {@code U}).
 *
 * @param account the account name the user belongs to, or null for the global account
 * @param permissions null means everything is allowed
 */
public record NkeyUser(String nkey, Permissions permissions, String account) {
}
