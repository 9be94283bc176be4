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
     * @param maxSubs the user JWT's (or its scope's) and account's {@code subs} limit, the smaller;
     *                -1 for none (the server's {@code max_subscriptions} applies on top)
     * @param maxPayload likewise {@code payload}; -1 for none (the server's {@code max_payload} applies on top)
     */
    record Allowed(String account, String user, Permissions permissions, long expiresSeconds, long maxSubs,
                   long maxPayload) implements AuthResult {
        public Allowed(String account, String user, Permissions permissions) {
            this(account, user, permissions, 0);
        }

        public Allowed(String account, String user, Permissions permissions, long expiresSeconds) {
            this(account, user, permissions, expiresSeconds, -1, -1);
        }
    }

    /**
     * The client must be refused with {@code -ERR 'Authorization Violation'} and closed.
     *
     * @param reason text for the server log, in nats-server's words, e.g. {@code authentication error - User "bob"}
     * @param detail why, for the debug log (nats-server logs it at debug level before the error); null if none
     * @param detailIsError the detail is logged at error level instead (nats-server's {@code Bad src Ip},
     *                      {@code Outside connect times})
     */
    record Denied(String reason, String detail, boolean detailIsError) implements AuthResult {
        public Denied(String reason) {
            this(reason, null);
        }

        public Denied(String reason, String detail) {
            this(reason, detail, false);
        }
    }
}
