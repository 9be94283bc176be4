package io.weft.engine.server;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.auth.AuthResult;
import io.weft.engine.auth.Credentials;
import io.weft.engine.auth.PermissionChecker;
import io.weft.engine.auth.ResponsePermits;
import io.weft.engine.protocol.ConnectOptions;
import io.weft.engine.protocol.Headers;
import io.weft.engine.protocol.ProtocolException;
import io.weft.engine.protocol.ProtocolHandler;
import io.weft.engine.protocol.ProtocolParser;
import io.weft.store.Subjects;
import io.weft.engine.sublist.SublistResult;
import io.weft.net.Clock;
import io.weft.net.Conn;
import io.weft.store.SubjectBytes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client connection: a reader thread that parses and routes inline (a PUB is matched and
 * copied into every subscriber's outbound buffer on this thread), and a writer thread that
 * drains this connection's outbound buffer in large writes.
 */
public final class ClientConnection implements ProtocolHandler {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] PONG = "PONG\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PING = "PING\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final Duration FIRST_PING = Duration.ofSeconds(2);
    /** True while this connection's reader hands its own 503 status to itself (echo does not apply). */
    private boolean sendingStatus;

    private final Server server;
    /** The connection; replaced once by its TLS layer after the handshake, before the reader and writer start. */
    private volatile Conn conn;
    /** The TLS this client must handshake with (the server's when it connected), or null. */
    private final io.weft.net.TlsServer tls;
    private final boolean tlsHandshakeFirst;
    /** The identities of the client's verified certificate ({@code verify_and_map}), set after the handshake. */
    private volatile java.util.List<String> certIdentities = java.util.List.of();
    private final long cid;
    private final Clock clock;
    private final ServerLog log;
    private final ProtocolParser parser;
    final Outbound out;
    private final SplittableRandom random;
    /** Queue members this reader tries first: its own random, no lock (one reader thread). */
    private final Router.QueuePick pick;
    private final String nonce;
    private final String logPrefix;
    private final ConcurrentHashMap<String, ClientSubscription> subs = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger pingsOut = new AtomicInteger();
    /** Connections this reader appended to during the current read; their writers are woken before the next read blocks. */
    private final Deliveries readBatch;
    /** The token of the last {@link Deliveries} batch that listed this connection. */
    volatile long flushMark;
    private static final int MIN_READ_BUFFER = 512; // nats-server's startBufSize
    /** Largest pending batch a producer writes inline ({@link #flushPending}); more goes to the writer. */
    private static final int INLINE_WRITE_MAX = 16 * 1024;
    private static final int MAX_READ_BUFFER = 64 * 1024;

    private volatile ConnectOptions connect;
    private volatile Credentials credentials;
    private volatile Account account;
    private volatile PermissionChecker permissions;
    private volatile ResponsePermits responses;
    private volatile String authorizedUser = "";
    private volatile String closeReason = "";
    private volatile boolean authRequired;

    private final long startMillis;
    private volatile long lastActivityMillis;
    private volatile long stopMillis;
    private volatile long writeStartNanos;
    private volatile long pingSentNanos;
    private volatile long rttNanos;
    private final AtomicLong inMsgs = new AtomicLong();
    private final AtomicLong inBytes = new AtomicLong();
    private final AtomicLong outMsgs = new AtomicLong();
    /** How many times producers waited for this connection's writer (nats-server's connz {@code stalls}). */
    final java.util.concurrent.atomic.LongAdder stalls = new java.util.concurrent.atomic.LongAdder();
    private final AtomicLong outBytes = new AtomicLong();
    private volatile Clock.Cancellable authTimer;
    /**
     * True while the CONNECT waits for the auth callout service: as in nats-server, the
     * authorization timer does not cut that wait short; the callout's own wait (as long) ends it.
     */
    private volatile boolean authorizing;
    /**
     * Admitted by the auth callout service: a reload or new account claims do not re-check its
     * CONNECT against the local users (the service decided, the local users never would).
     */
    private volatile boolean calloutAdmitted;
    /** nats-server's warning line of a refused callout, logged after the error line. */
    private String calloutWarning;
    private volatile Clock.Cancellable pingTimer;
    /** Set when the connection ends after what is queued ({@link #endAfterQueued}): the reader stops parsing. */
    private volatile boolean ending;
    /** Set once the writer sent the last bytes and ended this side ({@link #halfClose}), at {@link #lingerStartNanos}. */
    private volatile boolean lingering;
    /**
     * A maximum payload violation ends the connection as nats-server ends it: the {@code -ERR},
     * then a close with the rest of the oversized message left unread, so that the peer's kernel
     * sees a reset when that rest was already sent (jnats reports a SocketException, as its tests
     * expect) and a plain end of stream when it was not. No half-close and no draining.
     */
    private volatile boolean resetOnEnd;
    private volatile long lingerStartNanos;
    /** The subscriptions as they were at close, for monitoring of closed connections. */
    private volatile List<SubscriptionView> closedSubscriptions;

    ClientConnection(Server server, Conn conn, long cid, String nonce, long seed) {
        this.server = server;
        this.conn = conn;
        this.cid = cid;
        this.clock = server.env().clock();
        this.log = server.log();
        this.nonce = nonce;
        ServerOptions opts = server.options();
        this.tls = opts.tls;
        this.tlsHandshakeFirst = opts.tlsHandshakeFirst;
        this.parser = new ProtocolParser(this, opts.maxControlLine, opts.maxPayload, ProtocolParser.Side.SERVER);
        this.out = new Outbound(opts.maxPending);
        this.readBatch = server.newDeliveries();
        this.random = new SplittableRandom(seed);
        this.pick = random::nextInt;
        this.logPrefix = conn.remoteHost() + ":" + conn.remotePort() + " - cid:" + cid + " - ";
        this.startMillis = clock.currentTimeMillis();
        this.lastActivityMillis = startMillis;
    }

    /** The TLS this client handshakes with, or null. */
    io.weft.net.TlsServer tls() {
        return tls;
    }

    /**
     * Sends INFO and starts the reader, the writer and the timers. With TLS, first the handshake,
     * on a thread of its own: after a plain INFO (which tells the client to start it), or before
     * any byte with {@code handshake_first}, in which case INFO is the first thing sent over TLS.
     */
    void start() {
        if (tls == null) {
            startProtocol(true);
            return;
        }
        server.env().spawner().spawn("client-" + cid + "-tls", () -> {
            try {
                if (!tlsHandshakeFirst) {
                    conn.write(new java.nio.ByteBuffer[] {java.nio.ByteBuffer.wrap(server.infoFor(this).getBytes(StandardCharsets.UTF_8))});
                }
                conn = tls.handshake(conn);
                certIdentities = io.weft.net.TlsServer.peerIdentities(conn);
                tlsSession = io.weft.net.TlsServer.session(conn);
            } catch (IOException e) {
                log.error(logPrefix + "TLS handshake error: " + e.getMessage());
                close("TLS Handshake Error");
                return;
            }
            if (log.isDebug()) {
                log.debug(logPrefix + "TLS handshake complete");
            }
            startProtocol(tlsHandshakeFirst);
        });
    }

    private void startProtocol(boolean sendInfo) {
        ServerOptions opts = server.options();
        authRequired = server.authRequired();
        if (sendInfo) {
            enqueue(server.infoFor(this).getBytes(StandardCharsets.UTF_8));
        }
        server.env().spawner().spawn("client-" + cid + "-writer", this::writeLoop);
        server.env().spawner().spawn("client-" + cid + "-reader", this::readLoop);
        if (authRequired) {
            authTimer = clock.schedule(server.authTimeout(), () -> {
                if (connect == null && !closed.get() && !authorizing) {
                    log.error(logPrefix + "authentication timeout");
                    closeWithError("Authentication Timeout", "Authentication Timeout");
                }
            });
        }
        // as nats-server, the first PING comes early (2s) so that RTT is known soon after connect
        schedulePing(opts, FIRST_PING.compareTo(opts.pingInterval) < 0 ? FIRST_PING : opts.pingInterval);
        if (log.isDebug()) {
            log.debug(logPrefix + "Client connection created");
        }
    }

    private void schedulePing(ServerOptions opts, Duration delay) {
        if (closed.get()) {
            return;
        }
        pingTimer = clock.schedule(delay, () -> {
            if (closed.get()) {
                return;
            }
            ServerOptions now = server.options();
            if (pingsOut.incrementAndGet() > now.pingMax) {
                log.debug(logPrefix + "Stale Client Connection - Closing");
                server.countStale(Server.ConnKind.CLIENT);
                closeWithError("Stale Connection", "Stale Connection");
                return;
            }
            pingSentNanos = clock.nanoTime();
            enqueue(PING);
            schedulePing(now, now.pingInterval);
        });
    }

    private void readLoop() {
        // Starts small (an idle connection keeps only this) and doubles while reads fill it, as
        // nats-server's read buffer does, up to MAX_READ_BUFFER.
        byte[] buf = new byte[MIN_READ_BUFFER];
        try {
            while (!closed.get()) {
                int n = conn.read(buf, 0, buf.length);
                if (n < 0) {
                    close("Client Closed");
                    return;
                }
                if (ending) {
                    continue; // ending after what is queued: the peer's bytes are drained unread (see endAfterQueued)
                }
                byte[] next = n == buf.length && buf.length < MAX_READ_BUFFER ? new byte[buf.length * 2] : null;
                lastActivityMillis = clock.currentTimeMillis();
                parseRead(buf, n);
                if (resetOnEnd) {
                    return; // what the peer sent after the oversized message stays unread (see resetOnEnd)
                }
                if (next != null) {
                    buf = next; // after the parse: the parser may hand out ranges of buf only during the call
                }
            }
        } catch (IOException e) {
            close("Client Closed");
        } catch (RuntimeException e) {
            log.error(logPrefix + "internal error: " + e);
            close("Internal Error");
        } finally {
            readBatch.flush();
        }
    }

    /**
     * Parses one read. A protocol error ends the connection after what is queued for it (the
     * replies to the operations before the error, then the {@code -ERR} if nats-server sends one);
     * the reader then goes on draining until the peer closes or its time is up.
     */
    private void parseRead(byte[] buf, int n) {
        try {
            parser.parse(buf, 0, n);
            readBatch.flush();
        } catch (ProtocolException e) {
            readBatch.flush();
            log.error(logPrefix + e.getMessage());
            if (e.sendsErr()) {
                resetOnEnd = ProtocolException.MAX_PAYLOAD.equals(e.getMessage());
                closeWithError(e.getMessage(), closeReasonFor(e));
            } else {
                endAfterQueued(null, "Protocol Violation", false);
            }
        } catch (Stop e) {
            // the operation being handled ended the connection
            readBatch.flush();
        }
    }

    private static String closeReasonFor(ProtocolException e) {
        return switch (e.getMessage()) {
            case ProtocolException.MAX_PAYLOAD -> "Maximum Payload Exceeded";
            case ProtocolException.MAX_CONTROL_LINE -> "Maximum Control Line Exceeded";
            default -> "Parse Error";
        };
    }

    private void writeLoop() {
        boolean sentLast = false;
        try {
            while (true) {
                Outbound.Chunk chunk = out.take();
                if (chunk == null) {
                    break;
                }
                writeChunk(chunk);
                out.written(chunk.data());
                if (chunk.last()) {
                    sentLast = true;
                    break;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the peer went away or we were closed: handled below
        }
        writeStartNanos = 0;
        if (sentLast && !resetOnEnd && halfClose()) {
            return;
        }
        close(closeReason.isEmpty() ? "Write Error" : closeReason);
    }

    /**
     * After the last bytes of an ending connection: ends this side, so that the peer reads all of
     * them and then end of stream, and leaves the close to the reader (the peer closes) or to the
     * server's housekeeping ({@link #checkClosing}: the peer's time is up). Closing the socket at
     * once, with bytes from the peer still unread, would reset the connection, and a reset
     * discards whatever the peer had not read yet: the replies queued before a protocol error,
     * and the {@code -ERR} itself.
     */
    private boolean halfClose() {
        lingerStartNanos = clock.nanoTime();
        lingering = true;
        try {
            conn.shutdownOutput();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void writeChunk(Outbound.Chunk chunk) throws IOException {
        writeStartNanos = clock.nanoTime();
        try {
            conn.write(new ByteBuffer[] {ByteBuffer.wrap(chunk.data(), 0, chunk.len())});
        } finally {
            writeStartNanos = 0;
        }
    }

    /**
     * Called by a producer at the end of its batch ({@link Deliveries#flush}): wakes the writer
     * once for everything the batch appended.
     */
    void flushPending() {
        Outbound.Chunk chunk = out.takeInline(INLINE_WRITE_MAX);
        if (chunk == null) {
            out.wakeWriter();
            return;
        }
        // A write that never waits, from the producer's thread: a request's reply goes out
        // without waking this connection's writer. What the socket cannot take now stays with
        // the connection for the writer, so a subscriber that stopped reading never holds up
        // the producer.
        boolean complete;
        try {
            complete = conn.tryWrite(ByteBuffer.wrap(chunk.data(), 0, chunk.len()));
        } catch (IOException | RuntimeException e) {
            out.inlineDone(chunk.data(), true);
            close(closeReason.isEmpty() ? "Write Error" : closeReason);
            return;
        }
        out.inlineDone(chunk.data(), complete);
    }

    // ---------------------------------------------------------------- protocol operations

    @Override
    public void onConnect(String json) throws ProtocolException {
        ConnectOptions opts = ConnectOptions.parse(json);
        if (connect != null) {
            // a repeated CONNECT updates the options (nats-server does the same) but not the identity
            connect = opts;
            if (opts.verbose()) {
                enqueue(OK);
            }
            return;
        }
        if (opts.noResponders() && !opts.headers()) {
            log.error(logPrefix + "no responders requires headers support");
            closeWithError("no responders requires headers support", "Protocol Violation");
            throw new Stop();
        }
        Credentials creds = new Credentials(opts.user(), opts.pass(), opts.authToken(), opts.nkey(), opts.sig(), opts.jwt());
        long claimsGeneration = server.claimsGeneration.get();
        AuthResult result = authenticate(creds);
        io.weft.engine.auth.AuthCallout.Config callout = calloutFor(result);
        if (callout != null) {
            result = withCallout(callout, creds, opts, result);
            if (closed.get()) {
                throw new Stop(); // the authorization timer fired while the service was asked
            }
        }
        if (result instanceof AuthResult.Denied denied) {
            if (denied.detail() != null && denied.detailIsError()) {
                log.error(logPrefix + denied.detail());
            } else if (denied.detail() != null && log.isDebug()) {
                log.debug(logPrefix + denied.detail());
            }
            log.error(logPrefix + (denied.reason().isEmpty() ? "authentication error" : denied.reason()));
            if (calloutWarning != null) {
                log.warn(calloutWarning);
            }
            Clock.Cancellable timer = authTimer;
            if (timer != null) {
                timer.cancel(); // refused now: no "authentication timeout" later while the -ERR drains
            }
            closeWithError("Authorization Violation", "Authentication Failure");
            throw new Stop();
        }
        AuthResult.Allowed allowed = (AuthResult.Allowed) result;
        if (server.isAccountExpired(allowed.account())) {
            if (log.isDebug()) {
                log.debug(logPrefix + "Account JWT has expired");
            }
            log.error(logPrefix + "authentication error - Nkey \"" + allowed.user() + "\"");
            closeWithError("Authorization Violation", "Authentication Failure");
            throw new Stop();
        }
        Clock.Cancellable t = authTimer;
        if (t != null) {
            t.cancel();
        }
        io.weft.engine.auth.OperatorMode mode = server.options().auth.operatorMode;
        long maxConns = mode == null ? -1 : mode.maxConnections(allowed.account());
        if (maxConns >= 0) {
            Account target = server.account(allowed.account());
            synchronized (target) {
                // the account JWT's limits.conn, as nats-server counts it: this server's clients of the account
                if (target.clientCount() >= maxConns) {
                    log.error(logPrefix + "maximum account active connections exceeded");
                    closeWithError("maximum account active connections exceeded", "Maximum Account Connections Exceeded");
                    throw new Stop();
                }
                bind(allowed);
            }
        } else {
            bind(allowed);
        }
        credentials = calloutAdmitted ? calloutCredentials(creds, allowed) : creds;
        connect = opts;
        if (server.claimsGeneration.get() != claimsGeneration) {
            // account claims changed while this CONNECT was checked: the update's recheck may have missed it
            recheckClaims(server.options().auth.operatorMode);
            if (closed.get() || ending) {
                throw new Stop();
            }
        }
        if (allowed.expiresSeconds() > 0) {
            // nats-server's expiration timer: whole seconds from now to the JWT's exp
            long delay = Math.max(0, allowed.expiresSeconds() - Math.floorDiv(clock.currentTimeMillis(), 1000));
            expiryTimer = clock.schedule(java.time.Duration.ofSeconds(delay), () -> {
                if (!closed.get()) {
                    if (log.isDebug()) {
                        log.debug(logPrefix + "User Authentication Expired");
                    }
                    closeWithError("User Authentication Expired", "Authentication Expired");
                }
            });
        }
        server.connected(this);
        if (log.isDebug()) {
            log.debug(logPrefix + "\"" + nz(opts.version()) + ":" + nz(opts.lang()) + ":" + nz(opts.name())
                    + "\" - Client connection established");
        }
        if (opts.verbose()) {
            enqueue(OK);
        }
        if (closedOverSubscriptionLimit()) {
            throw new Stop();
        }
    }

    /**
     * The callout that decides this CONNECT: the server's {@code auth_callout}, or in operator
     * mode the one of the account the user JWT put the client in; null for none.
     */
    private io.weft.engine.auth.AuthCallout.Config calloutFor(AuthResult local) {
        io.weft.engine.auth.AuthCallout.Config callout = server.options().auth.callout;
        io.weft.engine.auth.OperatorMode mode = server.options().auth.operatorMode;
        if (callout == null && mode != null && local instanceof AuthResult.Allowed a) {
            callout = io.weft.engine.auth.AuthCallout.forAccount(mode, a.account());
        }
        return callout;
    }

    /**
     * nats-server's auth callout rules in config mode: a client that is not one of the
     * {@code auth_users} (by its CONNECT's nkey or user name) is what the service says it is,
     * whatever the local users say, unless {@code allowed_accounts} is set and the client
     * authenticated locally into an account not on it. Whoever ends up in the callout account may
     * not publish on {@value io.weft.engine.auth.AuthCallout#SUBJECT}.
     */
    private AuthResult withCallout(io.weft.engine.auth.AuthCallout.Config callout, Credentials creds,
                                   ConnectOptions opts, AuthResult local) {
        io.weft.engine.auth.OperatorMode mode = server.options().auth.operatorMode;
        boolean delegated;
        boolean authUser;
        if (mode != null) {
            // the user JWT passed; its subject decides whether it is one of the account's auth users
            delegated = true;
            authUser = local instanceof AuthResult.Allowed a && callout.authUsers().contains(a.user());
        } else {
            delegated = callout.allowedAccounts().isEmpty()
                    || !(local instanceof AuthResult.Allowed a) || a.account().equals(AuthResult.GLOBAL_ACCOUNT)
                    || callout.allowedAccounts().contains(a.account());
            authUser = io.weft.engine.auth.AuthCallout.isAuthUser(callout, creds);
        }
        AuthResult result = local;
        if (delegated && !authUser) {
            String raw = io.weft.engine.auth.AuthCallout.rawUser(creds);
            io.weft.engine.auth.AuthCallout.ClientInfo info = new io.weft.engine.auth.AuthCallout.ClientInfo(
                    conn.remoteHost(), cid, raw, opts.name(), Credentials.blank(creds.sig()) ? null : nonce);
            io.weft.net.TlsServer.Session session = tlsSession;
            io.weft.engine.auth.AuthCallout.ClientTls clientTls = session == null ? null
                    : new io.weft.engine.auth.AuthCallout.ClientTls(session.version(), session.cipherSuite(),
                    io.weft.net.TlsServer.peerCertificatesPem(conn), tls != null && tls.settings().verify());
            authorizing = true;
            try {
                result = AuthCalloutExchange.run(server, callout, mode, creds, opts, info, clientTls);
                calloutAdmitted = result instanceof AuthResult.Allowed;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                result = new AuthResult.Denied("authentication error", "interrupted while waiting for the auth callout");
            } finally {
                authorizing = false;
            }
            if (result instanceof AuthResult.Denied d) {
                String who = !Credentials.blank(creds.nkey()) ? "Nkey \"" + creds.nkey() + "\""
                        : "User \"" + (creds.user() == null ? "" : creds.user()) + "\"";
                if (d.detail() != null) {
                    if (log.isDebug()) {
                        log.debug(logPrefix + d.detail());
                    }
                } else {
                    calloutWarning = d.reason();
                }
                result = new AuthResult.Denied("authentication error - " + who, null);
            }
        }
        if (result instanceof AuthResult.Allowed a && a.account().equals(callout.account())) {
            result = new AuthResult.Allowed(a.account(), a.user(),
                    io.weft.engine.auth.AuthCallout.denyPublish(a.permissions(), io.weft.engine.auth.AuthCallout.SUBJECT),
                    a.expiresSeconds());
        }
        return result;
    }

    private void bind(AuthResult.Allowed allowed) {
        Account target = server.account(allowed.account());
        Account previous = account;
        if (previous != target) {
            if (previous != null) {
                previous.clients.decrement();
            }
            target.clients.increment();
            account = target;
        }
        authorizedUser = allowed.user() == null ? "" : allowed.user();
        jwtMaxSubs = allowed.maxSubs();
        jwtMaxPayload = allowed.maxPayload();
        parser.setMaxPayload(maxPayload(server.options()));
        permissions = allowed.permissions() == null ? null : PermissionChecker.of(allowed.permissions());
        responses = allowed.permissions() != null && allowed.permissions().response() != null
                ? new ResponsePermits(allowed.permissions().response()) : null;
    }

    @Override
    public void onPub(String subject, String reply, byte[] payload, int off, int len) throws ProtocolException {
        publish(subject, reply, payload, off, 0, len);
    }

    @Override
    public void checkHeadersAllowed() throws ProtocolException {
        ConnectOptions opts = connect;
        if (opts == null || !opts.headers() || server.options().noHeaderSupport) {
            throw ProtocolException.silentClose("message headers not supported");
        }
    }

    @Override
    public void onHpub(String subject, String reply, byte[] data, int off, int headerLen, int totalLen)
            throws ProtocolException {
        publish(subject, reply, data, off, headerLen, totalLen);
    }

    @Override
    public void onInfo(String json) {
        // clients may send INFO (ignored, as nats-server does)
    }

    @Override
    public void onOk() {
        // ignored
    }

    @Override
    public void onErr(String message) throws ProtocolException {
        throw ProtocolException.silentClose("Client Error '" + message + "'");
    }

    private void publish(String subject, String reply, byte[] data, int off, int hdrLen, int totalLen)
            throws ProtocolException {
        requireConnect();
        ConnectOptions opts = connect;
        inMsgs.incrementAndGet();
        inBytes.addAndGet(totalLen);
        server.countIn(totalLen);
        if (opts != null && opts.pedantic() && !Subjects.isValidPublishSubject(subject)) {
            // nats-server 2.9 reports it and still routes the message
            sendErr("Invalid Publish Subject");
        }
        PermissionChecker perms = permissions;
        MsgTrace trace = MsgTrace.lookFor(server, account, data, off, hdrLen, totalLen, pick, true);
        if (trace != null && perms != null && !perms.canPublish(trace.dest())) {
            // as nats-server: a trace destination the user may not publish to drops the message
            log.error(logPrefix + "Publish Violation - User \"" + authorizedUser + "\", Subject "
                    + GoQuote.quote(trace.dest()));
            sendErr("Permissions Violation for Publish to " + GoQuote.quote(trace.dest()));
            return;
        }
        if (perms != null && !perms.canPublish(subject)) {
            ResponsePermits rp = responses;
            if (rp == null || !rp.tryUse(subject, clock.nanoTime())) {
                log.error(logPrefix + "Publish Violation - User \"" + authorizedUser + "\", Subject " + GoQuote.quote(subject));
                String violation = "Permissions Violation for Publish to " + GoQuote.quote(subject);
                sendErr(violation);
                if (trace != null) {
                    trace.ingress(this, subject, violation);
                    trace.release();
                }
                return;
            }
        }
        if (opts == null || opts.verbose()) {
            enqueue(OK);
        }
        Account acc = account;
        String target = acc.mapped(subject);
        int delivered;
        if (trace == null) {
            delivered = acc.router.route(target, target, reply, data, off, hdrLen, totalLen, this, readBatch, pick);
        } else {
            trace.ingress(this, subject, null);
            if (!target.equals(subject)) {
                trace.subjectMapping(target);
            }
            MsgTrace before = MsgTrace.swap(trace);
            try {
                delivered = acc.router.route(target, target, reply, data, off, hdrLen, totalLen, this, readBatch, pick);
            } finally {
                MsgTrace.swap(before);
                trace.release();
            }
        }
        if (delivered == Router.NO_INTEREST && reply != null && opts != null && opts.noResponders() && opts.headers()) {
            sendNoResponders(reply, target);
        }
    }

    /**
     * The 503 status to the requester's own subscription on {@code reply}, with the subject nobody
     * serves in {@code Nats-Subject} (nats-server 2.12+; the subject after any mapping), and only
     * to a client whose CONNECT asked for it.
     */
    private void sendNoResponders(String reply, String subject) {
        Account acc = account;
        SublistResult<Subscription> own = acc.sublist.match(reply);
        for (Subscription s : own.plainSubs()) {
            if (s instanceof ClientSubscription sub && sub.client == this) {
                byte[] h = Headers.noResponders(subject);
                sendingStatus = true;
                try {
                    deliver(sub, reply, null, h, 0, h.length, h.length, this, readBatch);
                } finally {
                    sendingStatus = false;
                }
                return;
            }
        }
    }

    /** Whether {@link #deliver} would hand a message from {@code publisher} to this client (a trace-only message's egress). */
    boolean wouldDeliver(ClientSubscription sub, ClientConnection publisher) {
        if (closed.get()) {
            return false;
        }
        ConnectOptions opts = connect;
        return publisher != this || opts == null || opts.echo();
    }

    /**
     * Copies one message into this client's outbound buffer for {@code sub}. Runs on the
     * publisher's thread. Returns false when nothing was delivered (echo off, auto-unsubscribed,
     * denied, or this connection is closing).
     */
    boolean deliver(ClientSubscription sub, String subject, String reply, byte[] data, int off, int hdrLen, int totalLen,
                    ClientConnection publisher, Deliveries batch) {
        if (closed.get()) {
            return false;
        }
        ConnectOptions opts = connect;
        if (publisher == this && opts != null && !opts.echo() && !sendingStatus) {
            return false;
        }
        // Count first, then read the limit: an UNSUB with max sets the limit first and then reads the
        // count, so whichever runs second sees the other and the subscription is removed exactly once
        // the limit is reached, and never more than max deliveries follow the UNSUB.
        long n = sub.delivered.incrementAndGet();
        long max = sub.max;
        if (max > 0) {
            if (n >= max) {
                removeSubscription(sub);
            }
            if (n > max) {
                return false;
            }
        }
        PermissionChecker perms = permissions;
        if (perms != null && !perms.canDeliver(subject)) {
            return false;
        }
        boolean withHeaders = hdrLen > 0 && (opts == null || opts.headers());
        int bodyOff = withHeaders ? off : off + hdrLen;
        int bodyLen = withHeaders ? totalLen : totalLen - hdrLen;
        if (out.stalled && batch != null && batch.clientProducer() && server.options().noFastProducerStall) {
            // no_fast_producer_stall: the producer is not slowed for a subscriber that fell behind;
            // this subscriber misses the message (nats-server decides the same before queueing it)
            return false;
        }
        // in a producer's batch the writer is not woken per message: the producer flushes at the end of its batch
        Outbound.Append r = out.appendMessage(subject, sub.sid, reply, withHeaders ? hdrLen : -1, data, bodyOff, bodyLen,
                batch != null);
        if (batch != null && r == Outbound.Append.OK) {
            batch.add(this);
            if (out.stalled) {
                batch.stallOn(this); // a client producer waits, bounded, for this writer (see Deliveries)
            }
        }
        if (r == Outbound.Append.OVER_LIMIT) {
            slowConsumer("Slow Consumer Detected: MaxPending of " + server.options().maxPending + " Exceeded",
                    "Slow Consumer (Pending Bytes)");
            return false;
        }
        if (r != Outbound.Append.OK) {
            return false;
        }
        outMsgs.incrementAndGet();
        outBytes.addAndGet(bodyLen);
        server.countOut(bodyLen);
        if (reply != null && responses != null) {
            responses.grant(reply, clock.nanoTime());
        }
        return true;
    }

    @Override
    public void onSub(String subject, String queue, String sid) throws ProtocolException {
        requireConnect();
        ConnectOptions opts = connect;
        if (!Subjects.isValidSubscribeSubject(subject) || (queue != null && !Subjects.isValidQueueName(queue))) {
            sendErr("Invalid Subject");
            return;
        }
        PermissionChecker perms = permissions;
        if (perms != null && !perms.canSubscribe(subject, queue)) {
            // subjects and queues quoted as nats-server's %q (an invalid byte as \xff)
            String what = queue == null ? GoQuote.quote(subject) : GoQuote.quote(subject) + " using queue " + GoQuote.quote(queue);
            log.error(logPrefix + "Subscription Violation - User \"" + authorizedUser + "\", Subject " + GoQuote.quote(subject)
                    + (queue == null ? "" : ", Queue: " + GoQuote.quote(queue)) + ", SID " + sid);
            sendErr("Permissions Violation for Subscription to " + what);
            return;
        }
        if (subs.containsKey(sid)) {
            if (opts == null || opts.verbose()) {
                enqueue(OK);
            }
            return;
        }
        long maxSubs = maxSubscriptions(server.options());
        if (maxSubs >= 0 && subs.size() >= maxSubs) {
            // nats-server 2.9.10 words this one in lower case, on the wire and in its log
            log.error(logPrefix + "maximum subscriptions exceeded");
            sendErr("maximum subscriptions exceeded");
            return;
        }
        ClientSubscription sub = new ClientSubscription(this, subject, queue, sid);
        subs.put(sid, sub);
        account.sublist.insert(sub);
        if (opts == null || opts.verbose()) {
            enqueue(OK);
        }
    }

    @Override
    public void onUnsub(String sid, long max) throws ProtocolException {
        requireConnect();
        ClientSubscription sub = subs.get(sid);
        if (sub != null) {
            if (max > 0) {
                // limit first, count second: see deliver()
                sub.max = max;
                if (sub.delivered.get() >= max) {
                    removeSubscription(sub);
                }
            } else {
                removeSubscription(sub);
            }
        }
        ConnectOptions opts = connect;
        if (opts == null || opts.verbose()) {
            enqueue(OK);
        }
    }

    private void removeSubscription(ClientSubscription sub) {
        if (subs.remove(sub.sid, sub)) {
            sub.client.account.sublist.remove(sub);
        }
    }

    @Override
    public void onPing() throws ProtocolException {
        // on the reader: the writer is woken at the end of this read batch
        Outbound.Append r = out.append(PONG, 0, PONG.length, PONG, 0, 0, PONG, 0, 0, true);
        if (r == Outbound.Append.OK) {
            readBatch.add(this);
        } else if (r == Outbound.Append.OVER_LIMIT) {
            slowConsumer("Slow Consumer Detected: MaxPending of " + server.options().maxPending + " Exceeded",
                    "Slow Consumer (Pending Bytes)");
        }
        if (!firstPongSent && connect != null) {
            firstPongSent = true;
            if (acceptsAsyncInfo()) {
                // nats-server 2.11+ follows the first PONG with an INFO carrying connect_info, the
                // account the client was bound to and the client's own max_payload
                sendInfo(server.connectInfoFor(this));
            }
        }
    }

    /** Whether the PONG to the first PING after CONNECT went out (nats-server's firstPongSent). */
    private boolean firstPongSent;

    @Override
    public void onPong() {
        pingsOut.set(0);
        long sent = pingSentNanos;
        if (sent != 0) {
            rttNanos = clock.nanoTime() - sent;
            pingSentNanos = 0;
        }
    }

    private void requireConnect() throws ProtocolException {
        if (connect == null) {
            if (authRequired) {
                log.error(logPrefix + "Authorization Violation: operation before CONNECT");
                closeWithError("Authorization Violation", "Authentication Failure");
                throw new Stop();
            }
            if (account == null) {
                AuthResult r = server.authenticator().authenticate(Credentials.NONE, nonce, clock.currentTimeMillis());
                if (!(r instanceof AuthResult.Allowed allowed)) {
                    closeWithError("Authorization Violation", "Authentication Failure");
                    throw new Stop();
                }
                bind(allowed);
            }
        }
    }

    // ---------------------------------------------------------------- output and closing

    private void enqueue(byte[] bytes) {
        if (out.append(bytes) == Outbound.Append.OVER_LIMIT) {
            slowConsumer("Slow Consumer Detected: MaxPending of " + server.options().maxPending + " Exceeded",
                    "Slow Consumer (Pending Bytes)");
        }
    }

    /** Sends {@code -ERR 'text'} without closing (a subject in the text goes out as its bytes). */
    void sendErr(String text) {
        enqueue(SubjectBytes.encode("-ERR '" + text + "'\r\n"));
    }

    /** Sends INFO again (lame duck mode, reload). */
    void sendInfo(String infoLine) {
        enqueue(infoLine.getBytes(StandardCharsets.UTF_8));
    }

    private void slowConsumer(String logText, String reason) {
        if (closed.get()) {
            return;
        }
        log.notice(logPrefix + logText);
        server.countSlowConsumer(this);
        if (writeStartNanos != 0) {
            // the writer is stuck on a full socket: an -ERR could not get through, so cut now
            close(reason);
            return;
        }
        // what is pending will never be read in time: the error goes out alone
        endAfterQueued("-ERR 'Slow Consumer'\r\n", reason, true);
    }

    /** Sends {@code -ERR} after what is pending, then closes. */
    void closeWithError(String text, String reason) {
        endAfterQueued("-ERR '" + text + "'\r\n", reason, false);
    }

    /**
     * Ends the connection: what is queued (unless {@code dropPending}), then {@code last} (an
     * {@code -ERR} line, or null for none), then end of stream and the close. From here on the
     * reader parses nothing more. The writer sends it all; a writer stuck on a full socket, or a
     * peer that neither reads nor closes, is cut by the server's housekeeping after the closing
     * deadline ({@link #checkClosing}), so a client that does not read cannot hold the connection.
     */
    private void endAfterQueued(String last, String reason, boolean dropPending) {
        if (closed.get()) {
            return;
        }
        if (closeReason.isEmpty()) {
            closeReason = reason;
        }
        ending = true;
        out.finish(last == null ? null : last.getBytes(StandardCharsets.UTF_8), dropPending);
        server.watchClosing(this);
    }

    /** Closes now, releasing subscriptions. Idempotent. */
    void close(String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (closeReason.isEmpty()) {
            closeReason = reason;
        }
        stopMillis = clock.currentTimeMillis();
        out.close();
        conn.close();
        Clock.Cancellable t = authTimer;
        if (t != null) {
            t.cancel();
        }
        t = pingTimer;
        if (t != null) {
            t.cancel();
        }
        t = expiryTimer;
        if (t != null) {
            t.cancel();
        }
        closedSubscriptions = subscriptions();
        Account acc = account;
        if (acc != null) {
            List<ClientSubscription> mine = new ArrayList<>(subs.values());
            subs.clear();
            for (ClientSubscription s : mine) {
                acc.sublist.remove(s);
            }
            acc.clients.decrement();
        }
        server.removed(this);
        if (log.isDebug()) {
            log.debug(logPrefix + "Client connection closed: " + closeReason);
        }
    }

    /** Called by the server's housekeeping: cuts a writer blocked beyond the write deadline. */
    void checkWriteDeadline(long nowNanos, long deadlineNanos) {
        long started = writeStartNanos;
        if (started != 0 && nowNanos - started > deadlineNanos) {
            if (!closed.get()) {
                log.notice(logPrefix + "Slow Consumer Detected: WriteDeadline of " + server.options().writeDeadline + " exceeded");
                server.countSlowConsumer(this);
                if (closeReason.isEmpty()) {
                    closeReason = "Slow Consumer (Write Deadline)";
                }
            }
            close("Slow Consumer (Write Deadline)");
        }
    }

    /**
     * Called by the server's housekeeping for an ending connection: cuts a writer blocked beyond
     * {@code deadlineNanos}, and closes a connection whose last bytes went out that long ago while
     * the peer never closed its side.
     */
    void checkClosing(long nowNanos, long deadlineNanos) {
        checkWriteDeadline(nowNanos, deadlineNanos);
        if (lingering && nowNanos - lingerStartNanos > deadlineNanos) {
            close(closeReason);
        }
    }

    /** The CONNECT's credentials, or with {@code verify_and_map} the certificate's identities, against the server's users. */
    private AuthResult authenticate(Credentials creds) {
        io.weft.engine.auth.Authenticator a = server.authenticator();
        if (a.certificateMapping() && tls != null) {
            return a.authenticateCertificate(creds, certIdentities);
        }
        return a.authenticate(creds, nonce, clock.currentTimeMillis(), conn.remoteHost());
    }

    /** Re-checks this client's credentials against new auth settings (config reload). */
    void reauthorize() {
        Credentials c = credentials;
        if (c == null || closed.get()) {
            return;
        }
        if (calloutAdmitted) {
            recallout(c);
            return;
        }
        AuthResult r = authenticate(c);
        if (r instanceof AuthResult.Allowed allowed && allowed.account().equals(account.name())) {
            bind(allowed);
            closedOverSubscriptionLimit(); // new account JWTs with a lower subs limit, as on a claims update
        } else {
            // nats-server 2.9.10 drops such a client silently (no -ERR) and records "Client Closed"
            if (log.isDebug()) {
                log.debug(logPrefix + "Authorization no longer valid after reload");
            }
            close("Client Closed");
        }
    }

    /**
     * As nats-server on a reload, for a client the service admitted (with the credentials as the
     * admission left them): one whose nkey or user name is not a local user of its current
     * account has "moved" and is closed silently ({@code Client Closed}: it reconnects and is
     * asked about again); any other is put through authentication again, the callout included,
     * and closed with {@code Authorization Violation} unless admitted into the same account.
     */
    private void recallout(Credentials c) {
        String name = !Credentials.blank(c.nkey()) ? c.nkey() : c.user();
        if (!Credentials.blank(name)) {
            String local = server.authenticator().accountOfUser(name);
            if (local == null || !local.equals(account.name())) {
                if (log.isDebug()) {
                    log.debug(logPrefix + "Client moved to another account or is no longer a user after reload");
                }
                close("Client Closed");
                return;
            }
        }
        ConnectOptions opts = connect;
        AuthResult r = authenticate(c);
        io.weft.engine.auth.AuthCallout.Config callout = calloutFor(r);
        if (callout != null && opts != null) {
            r = withCallout(callout, c, opts, r);
        }
        if (r instanceof AuthResult.Allowed allowed && allowed.account().equals(account.name())) {
            bind(allowed);
            credentials = calloutCredentials(c, allowed);
            return;
        }
        log.error(logPrefix + (r instanceof AuthResult.Denied d ? d.reason() : "authentication error"));
        if (calloutWarning != null) {
            log.warn(calloutWarning);
        }
        closeWithError("Authorization Violation", "Authentication Failure");
    }

    /**
     * nats-server's bookkeeping after an admission by the service: a user JWT with a {@code name}
     * becomes the client's user name (its nkey and token are forgotten), which is what a later
     * re-check sends to the service.
     */
    private static Credentials calloutCredentials(Credentials c, AuthResult.Allowed allowed) {
        String name = allowed.user();
        if (name == null || name.isEmpty() || io.weft.engine.auth.Nkeys.isValidPublicUserKey(name)) {
            return c;
        }
        return new Credentials(name, c.pass(), null, null, c.sig(), c.jwt());
    }

    /** Closes the client when its user JWT expires; null when it has no expiry. */
    private volatile Clock.Cancellable expiryTimer;

    /** After new account claims (the full resolver): nats-server's errors for each way a client can fall out. */
    void recheckClaims(io.weft.engine.auth.OperatorMode mode) {
        Credentials c = credentials;
        if (c == null || closed.get() || connect == null || calloutAdmitted) {
            return;
        }
        AuthResult r = authenticate(c);
        if (r instanceof AuthResult.Allowed allowed && allowed.account().equals(account.name())) {
            bind(allowed);
            closedOverSubscriptionLimit();
            return;
        }
        String why = r instanceof AuthResult.Denied d && d.detail() != null ? d.detail() : "";
        if (log.isDebug()) {
            log.debug(logPrefix + why);
        }
        if (!mode.knows(account.name())) {
            closeWithError("Account Authentication Expired", "Authentication Expired");
        } else if (why.equals("User authentication revoked")) {
            closeWithError("User Authentication Revoked", "Credentials Revoked");
        } else {
            log.error(logPrefix + (r instanceof AuthResult.Denied d ? d.reason() : "authentication error"));
            closeWithError("Authorization Violation", "Authentication Failure");
        }
    }

    /** The account's JWT expired: nats-server's accountAuthExpired. */
    void accountExpired() {
        if (log.isDebug()) {
            log.debug(logPrefix + "Account Authentication Expired");
        }
        closeWithError("Account Authentication Expired", "Authentication Expired");
    }

    /** Over the account's (lowered) {@code limits.conn}: nats-server's error, and closed. */
    void maxAccountConnectionsExceeded() {
        log.error(logPrefix + "maximum account active connections exceeded");
        closeWithError("maximum account active connections exceeded", "Maximum Account Connections Exceeded");
    }

    boolean isClosedOrEnding() {
        return closed.get() || ending;
    }

    /** Whether the client's CONNECT declared protocol 1 or later, so INFO updates may be sent to it. */
    boolean acceptsAsyncInfo() {
        ConnectOptions c = connect;
        return c != null && c.protocol() >= 1;
    }

    /**
     * The user JWT's and account's {@code subs}/{@code payload} limits (the smaller, -1: none),
     * which the server's {@code max_subscriptions}/{@code max_payload} cap further, as
     * nats-server's applyAccountLimits.
     */
    private volatile long jwtMaxSubs = -1;
    private volatile long jwtMaxPayload = -1;

    /** The most subscriptions this client may hold, -1 for no limit. */
    long maxSubscriptions(ServerOptions opts) {
        return io.weft.engine.auth.OperatorMode.minLimit(jwtMaxSubs, opts.maxSubscriptions > 0 ? opts.maxSubscriptions : -1);
    }

    /** The largest message this client may publish (what its INFO says once it is bound). */
    long maxPayload(ServerOptions opts) {
        long m = io.weft.engine.auth.OperatorMode.minLimit(jwtMaxPayload, opts.maxPayload > 0 ? opts.maxPayload : -1);
        return m < 0 ? Integer.MAX_VALUE : m;
    }

    /**
     * After a bind: a client that already holds as many subscriptions as its limits allow (a
     * user or account {@code subs} of 0 at connect, a lowered limit later) gets nats-server's
     * error and is closed, as nats-server does it.
     */
    boolean closedOverSubscriptionLimit() {
        long max = maxSubscriptions(server.options());
        if (max >= 0 && subs.size() >= max && (jwtMaxSubs >= 0)) {
            log.error(logPrefix + "maximum subscriptions exceeded");
            closeWithError("maximum subscriptions exceeded", "Maximum Subscriptions Exceeded");
            return true;
        }
        return false;
    }

    void applyLimits(ServerOptions opts) {
        parser.setMaxPayload(maxPayload(opts));
        parser.setMaxControlLine(opts.maxControlLine);
        out.setMaxPending(opts.maxPending);
    }

    // ---------------------------------------------------------------- read-only views for monitoring

    public long cid() { return cid; }
    String nonce() { return nonce; }
    public String ip() { return conn.remoteHost(); }

    private volatile io.weft.net.TlsServer.Session tlsSession;

    /** The connection's TLS session once its handshake completed, else null. */
    public io.weft.net.TlsServer.Session tlsSession() { return tlsSession; }

    /** True for a TLS connection whose handshake came before INFO ({@code handshake_first}). */
    public boolean tlsFirst() { return tlsSession != null && tlsHandshakeFirst; }
    public int remotePort() { return conn.remotePort(); }
    public long startMillis() { return startMillis; }
    public long lastActivityMillis() { return lastActivityMillis; }
    public long stopMillis() { return stopMillis; }
    public long rttNanos() { return rttNanos; }
    public long pendingBytes() { return out.pendingBytes(); }
    public long inMsgs() { return inMsgs.get(); }
    public long inBytes() { return inBytes.get(); }
    public long outMsgs() { return outMsgs.get(); }
    public long outBytes() { return outBytes.get(); }
    public long stalls() { return stalls.sum(); }
    public boolean isClosed() { return closed.get(); }
    public String closeReason() { return closeReason; }
    public String authorizedUser() { return authorizedUser; }
    public String accountName() { Account a = account; return a == null ? Account.GLOBAL : a.name(); }
    public ConnectOptions connectOptions() { return connect; }

    /** True once this client's CONNECT asked for "no responders" statuses (which need headers). */
    boolean wantsNoResponders() {
        ConnectOptions o = connect;
        return o != null && o.noResponders() && o.headers();
    }

    public List<String> subscriptionSubjects() {
        List<String> list = new ArrayList<>();
        for (SubscriptionView s : subscriptions()) {
            list.add(s.subject());
        }
        list.sort(null);
        return list;
    }

    public int subscriptionCount() {
        List<SubscriptionView> kept = closedSubscriptions;
        return kept != null ? kept.size() : subs.size();
    }

    /** Subscription details (as they were at close, for a closed connection), in sid order. */
    public List<SubscriptionView> subscriptions() {
        List<SubscriptionView> kept = closedSubscriptions;
        if (kept != null) {
            return kept;
        }
        List<SubscriptionView> list = new ArrayList<>();
        for (ClientSubscription s : subs.values()) {
            list.add(new SubscriptionView(s.subject(), s.queue(), s.sid, s.delivered.get(), s.max));
        }
        list.sort((a, b) -> a.sid().compareTo(b.sid()));
        return list;
    }

    /** A read-only view of one subscription. */
    public record SubscriptionView(String subject, String queue, String sid, long delivered, long max) {
    }

    private static String nz(Object o) {
        return o == null ? "" : o.toString();
    }

    /** Thrown out of a handler once the connection has been closed, to stop the parser. */
    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }
}
