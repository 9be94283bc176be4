package io.weft.engine.jetstream;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.server.Account;
import io.weft.net.Env;
import java.util.Collection;

/**
 * What JetStream needs of the server it runs in, and nothing more: the environment, the log, the
 * current options, the accounts (JetStream subscribes and publishes inside them) and the server's
 * name (a stream's leader in /jsz). The {@code Node} gives one at construction; JetStream never
 * sees the core server itself.
 */
public interface JetStreamHost {
    Env env();

    ServerLog log();

    /** The options in force (a reload replaces them). */
    ServerOptions options();

    /** The account of that name, created on first use. */
    Account account(String name);

    /** Every account the server has. */
    Collection<Account> accounts();

    String serverName();
}
