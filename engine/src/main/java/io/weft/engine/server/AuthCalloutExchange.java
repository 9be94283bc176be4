package io.weft.engine.server;

import io.weft.engine.auth.AuthCallout;
import io.weft.engine.auth.AuthResult;
import io.weft.engine.auth.Credentials;
import io.weft.engine.auth.Nkeys;
import io.weft.engine.auth.XKeys;
import io.weft.engine.protocol.ConnectOptions;
import io.weft.net.Clock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One auth callout for one CONNECT, on the connecting client's reader thread: subscribes a
 * one-time reply inbox in the callout account, publishes the (optionally sealed) request on
 * {@value AuthCallout#SUBJECT}, waits through the {@link Clock} for the reply until the
 * authorization timeout, and judges it ({@link AuthCallout#response}). The reply arrives on the
 * service's own reader thread, which only copies it and signals.
 */
final class AuthCalloutExchange {
    private static final char[] DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private byte[] reply;

    private AuthCalloutExchange() {
    }

    /**
     * Runs the callout; the result is the user the client becomes, or a Denied whose reason is
     * the log line.
     */
    static AuthResult run(Server server, AuthCallout.Config cfg, io.weft.engine.auth.OperatorMode mode,
                          Credentials creds, ConnectOptions opts, AuthCallout.ClientInfo client, AuthCallout.ClientTls tls)
            throws InterruptedException {
        return new AuthCalloutExchange().exchange(server, cfg, mode, creds, opts, client, tls);
    }

    private AuthResult exchange(Server server, AuthCallout.Config cfg, io.weft.engine.auth.OperatorMode mode,
                                Credentials creds, ConnectOptions opts,
                                AuthCallout.ClientInfo client, AuthCallout.ClientTls tls) throws InterruptedException {
        Clock clock = server.env().clock();
        Account account = server.account(cfg.account());
        String userNkey = Nkeys.createUser(server.env().entropy()).publicKey();
        Nkeys.KeyPair xkp = cfg.xkey() == null ? null : server.serverXkey();
        Duration timeout = server.authTimeout();
        long nowMillis = clock.currentTimeMillis();
        long now = Math.floorDiv(nowMillis, 1000);
        long expires = Math.floorDiv(nowMillis + timeout.toMillis(), 1000);
        AuthCallout.ServerIdentity identity = new AuthCallout.ServerIdentity(server.serverName(),
                server.options().host, server.serverId(), Server.COMPAT_VERSION, null,
                xkp == null ? null : xkp.publicKey());
        String token = AuthCallout.request(cfg, server.serverSeed(), identity, userNkey, client, creds,
                opts.name(), opts.lang(), opts.version(), opts.protocol(), tls, now, expires);
        byte[] payload = token.getBytes(StandardCharsets.US_ASCII);
        byte[] headers = null;
        if (xkp != null) {
            payload = XKeys.seal(payload, cfg.xkey(), xkp.seed(), server.env().entropy());
            headers = ("NATS/1.0\r\n" + AuthCallout.XKEY_HEADER + ": " + xkp.publicKey() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
        }
        String inbox = inbox(server);
        InternalSubscription sub = account.subscribe(inbox, null, this::onReply);
        byte[] got;
        try {
            account.publish(AuthCallout.SUBJECT, inbox, headers, payload);
            long deadline = clock.nanoTime() + timeout.toNanos();
            lock.lock();
            try {
                while (reply == null && clock.nanoTime() < deadline) {
                    clock.awaitUntil(arrived, deadline);
                }
                got = reply;
            } finally {
                lock.unlock();
            }
        } finally {
            account.unsubscribe(sub);
        }
        if (got == null) {
            return new AuthResult.Denied("authentication error",
                    "Authorization callout response not received in time on account \"" + cfg.account() + "\"");
        }
        return AuthCallout.response(got, new AuthCallout.Expectation(cfg, server.serverId(), userNkey,
                xkp == null ? null : xkp.seed(), server.authenticator().accountNames(),
                Math.floorDiv(clock.currentTimeMillis(), 1000), mode));
    }

    /** Called on the service's thread: keeps the first reply's payload and wakes the waiting reader. */
    private void onReply(String subject, String replyTo, byte[] data, int off, int hdrLen, int totalLen) {
        byte[] copy = java.util.Arrays.copyOfRange(data, off + hdrLen, off + totalLen);
        lock.lock();
        try {
            if (reply == null) {
                reply = copy;
                arrived.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** A one-time reply subject, as nats-server's {@code $SYS._INBOX.<server>.<random>}. */
    private static String inbox(Server server) {
        StringBuilder sb = new StringBuilder("$SYS._INBOX.");
        String id = server.serverId();
        sb.append(id, Math.max(0, id.length() - 8), id.length()).append('.');
        long r = server.env().entropy().nextLong();
        for (int i = 0; i < 12; i++) {
            sb.append(DIGITS[(int) Long.remainderUnsigned(r, DIGITS.length)]);
            r = Long.divideUnsigned(r, DIGITS.length);
        }
        return sb.toString();
    }
}
