package io.weft.engine.auth;

/** Outcome of {@link Authenticator#authenticate}. */
public sealed interface AuthResult {

    /** The global account's name. */
    String GLOBAL_ACCOUNT = "$G";

    /**
     * The client may proceed.
     *
     * @param account account to bind the connection to ({@value #GLOBAL_ACCOUNT} for the global one)
     * @param user user name or nkey, for logs and connz {@code authorized_user}; empty when anonymous or by token
     * @param permissions null means everything is allowed
     * @param expiresSeconds the user JWT's {@code exp} (Unix seconds), when the client must be
     *                       disconnected; 0 for none
     */
    record Allowed(String account, String user, Permissions permissions, long expiresSeconds) implements AuthResult {
        public Allowed(String account, String user, Permissions permissions) {
            this(account, user, permissions, 0);
        }
    }

    /**
     * The client must be refused with {@code -ERR 'Authorization Violation'} and closed.
     *
     * @param reason text for the server log, in nats-server's words, e.g. {@code authentication error - User "bob"}
     * @param detail why, for the debug log (nats-server logs it at debug level before the error); null if none
     */
    record Denied(String reason, String detail) implements AuthResult {
        public Denied(String reason) {
            this(reason, null);
        }
    }
}
