package io.weft.sim.world;

import io.weft.engine.protocol.ByteSink;
import io.weft.engine.protocol.ProtocolEncoder;
import io.weft.engine.protocol.ProtocolException;
import io.weft.engine.protocol.ProtocolHandler;
import io.weft.engine.protocol.ProtocolParser;
import io.weft.net.Conn;
import io.weft.net.Network;
import io.weft.sim.SimScheduler;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A NATS client inside the simulation, speaking the protocol through the engine's codec over a
 * simulated connection. Its reader thread answers PINGs, counts PONGs and records every MSG; the
 * operations ({@link #sub}, {@link #pub}, {@link #flush}) run on the caller's simulated thread.
 */
public final class SimClient implements ProtocolHandler {
    /** A message as this client received it. */
    public record Delivery(String subject, String sid, String payload, long time) {
    }

    /** Decides whether a received message is recorded (tests use it to plant a lost message). */
    @FunctionalInterface
    public interface DeliveryTap {
        boolean keep(int client, Delivery d);

        static DeliveryTap all() {
            return (c, d) -> true;
        }
    }

    private final int id;
    private final SimScheduler scheduler;
    private final History history;
    private final DeliveryTap tap;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition pong = lock.newCondition();
    private final ReentrantLock sendLock = new ReentrantLock();
    private final List<Delivery> deliveries = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private String endedBy;
    private long pongs;
    private long pingsSent;
    private boolean ended;
    private Conn conn;
    private boolean noResponders;
    private MessageListener listener;
    /** Connection sessions: 1 for the first connect, +1 per reconnect; 0 before any. */
    private int session;
    private Thread reader;
    private final List<Integer> deliverySessions = new ArrayList<>();
    /** A user JWT and its nkey seed ({@link #credentials}); null: CONNECT carries none. */
    private String userJwt;
    private String userSeed;
    /** The last INFO's nonce, for signing. */
    private String nonce;
    private final Condition infoSeen = lock.newCondition();
    /** Subscriptions to send again on {@link #reconnect}: subject, sid. */
    private final List<String[]> subscriptions = new ArrayList<>();

    public SimClient(int id, SimScheduler scheduler, History history, DeliveryTap tap) {
        this.id = id;
        this.scheduler = scheduler;
        this.history = history;
        this.tap = tap;
    }

    public int id() {
        return id;
    }

    /** Connects, sends CONNECT and starts the reader thread. */
    public void connect(Network network, String host, int port) throws IOException {
        history.add(id, History.Type.INVOKE, "connect", host + ":" + port);
        Conn c;
        try {
            c = network.connect(host, port);
        } catch (IOException e) {
            history.add(id, History.Type.FAIL, "connect", String.valueOf(e.getMessage()));
            throw e;
        }
        lock.lock();
        try {
            conn = c;
            nonce = null;
            session++;
            pongs = 0;
            pingsSent = 0;
            ended = false;
            endedBy = null;
            reader = scheduler.spawn("c" + id + "/reader", this::readLoop);
        } finally {
            lock.unlock();
        }
        String auth = "";
        if (userJwt != null) {
            // as nsc users do: the INFO's nonce signed by the user's nkey, next to the JWT
            String n;
            lock.lock();
            try {
                while (nonce == null && !ended) {
                    infoSeen.await();
                }
                n = nonce;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for INFO");
            } finally {
                lock.unlock();
            }
            if (n == null) {
                throw new IOException("connection ended before INFO");
            }
            String sig = io.weft.engine.auth.Nkeys.encodeSignature(
                    io.weft.engine.auth.Nkeys.sign(userSeed, n.getBytes(StandardCharsets.US_ASCII)));
            auth = ",\"jwt\":\"" + userJwt + "\",\"sig\":\"" + sig + "\"";
        }
        ByteSink out = new ByteSink(128);
        ProtocolEncoder.connect(out, "{\"verbose\":false,\"pedantic\":false,\"name\":\"c" + id
                + "\",\"lang\":\"weft-sim\",\"version\":\"0\",\"protocol\":1,\"headers\":true" + auth
                + (noResponders ? ",\"no_responders\":true}" : "}"));
        send(out);
        history.add(id, History.Type.OK, "connect", host + ":" + port);
    }

    /** Sees every MSG and HMSG this client receives, with its reply subject and headers. */
    @FunctionalInterface
    public interface MessageListener {
        /** Called on the reader thread; {@code headers} is null for a plain MSG. */
        void message(SimClient client, String subject, String sid, String reply, String headers, String payload);
    }

    private io.weft.net.Clock readClock;
    private java.time.Duration readPause;
    private int readSize = 16 * 1024;

    /**
     * Makes this a slow reader that keeps reading: at most {@code bytes} per read, then a pause of
     * {@code pause} on {@code clock}. Call before {@link #connect}.
     */
    public SimClient readPacing(io.weft.net.Clock clock, java.time.Duration pause, int bytes) {
        this.readClock = clock;
        this.readPause = pause;
        this.readSize = bytes;
        return this;
    }

    /** Asks for no-responders status messages in CONNECT; call before {@link #connect}. */
    public SimClient noResponders(boolean on) {
        this.noResponders = on;
        return this;
    }

    /** Installs a listener for received messages (MSG and HMSG); call before {@link #connect}. */
    public SimClient listener(MessageListener l) {
        this.listener = l;
        return this;
    }

    /** SUB with a queue group. */
    public void sub(String subject, String queue, String sid) throws IOException {
        history.add(id, History.Type.INVOKE, "sub", subject + " " + queue + " " + sid);
        ByteSink out = new ByteSink(64);
        ProtocolEncoder.sub(out, subject, queue, sid);
        send(out, "sub");
        history.add(id, History.Type.OK, "sub", subject + " " + queue + " " + sid);
    }

    public void unsub(String sid) throws IOException {
        history.add(id, History.Type.INVOKE, "unsub", sid);
        ByteSink out = new ByteSink(32);
        ProtocolEncoder.unsub(out, sid, 0);
        send(out, "unsub");
        history.add(id, History.Type.OK, "unsub", sid);
    }

    /** PUB with a reply subject. */
    public void pub(String subject, String reply, String payload) throws IOException {
        history.add(id, History.Type.INVOKE, "pub", subject + " " + reply + " " + payload);
        ByteSink out = new ByteSink(64 + payload.length());
        ProtocolEncoder.pub(out, subject, reply, payload.getBytes(StandardCharsets.UTF_8));
        send(out, "pub");
        history.add(id, History.Type.OK, "pub", subject + " " + reply + " " + payload);
    }

    /** HPUB with a reply subject; {@code headers} is the whole header block ({@code NATS/1.0\r\n...\r\n\r\n}). */
    public void hpub(String subject, String reply, String headers, String payload) throws IOException {
        history.add(id, History.Type.INVOKE, "hpub", subject + " " + reply + " " + payload);
        byte[] h = headers.getBytes(StandardCharsets.UTF_8);
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        ByteSink out = new ByteSink(64 + h.length + p.length);
        ProtocolEncoder.hpub(out, subject, reply, h, p);
        send(out, "hpub");
        history.add(id, History.Type.OK, "hpub", subject + " " + reply + " " + payload);
    }

    public void sub(String subject, String sid) throws IOException {
        history.add(id, History.Type.INVOKE, "sub", subject + " " + sid);
        ByteSink out = new ByteSink(64);
        ProtocolEncoder.sub(out, subject, null, sid);
        send(out, "sub");
        lock.lock();
        try {
            subscriptions.removeIf(x -> x[1].equals(sid));
            subscriptions.add(new String[] {subject, sid});
        } finally {
            lock.unlock();
        }
        history.add(id, History.Type.OK, "sub", subject + " " + sid);
    }

    public void pub(String subject, String payload) throws IOException {
        history.add(id, History.Type.INVOKE, "pub", subject + " " + payload);
        ByteSink out = new ByteSink(64 + payload.length());
        ProtocolEncoder.pub(out, subject, null, payload.getBytes(StandardCharsets.UTF_8));
        send(out, "pub");
        history.add(id, History.Type.OK, "pub", subject + " " + payload);
    }

    /** PING and wait for its PONG: the server has handled everything sent before. */
    public void flush() throws IOException, InterruptedException {
        history.add(id, History.Type.INVOKE, "flush", "");
        long target;
        lock.lock();
        try {
            target = ++pingsSent;
        } finally {
            lock.unlock();
        }
        ByteSink out = new ByteSink(8);
        ProtocolEncoder.ping(out);
        send(out, "flush");
        lock.lock();
        try {
            while (pongs < target) {
                if (ended) {
                    history.add(id, History.Type.FAIL, "flush", "connection ended");
                    throw new IOException("connection ended before PONG");
                }
                pong.await();
            }
        } finally {
            lock.unlock();
        }
        history.add(id, History.Type.OK, "flush", "");
    }

    /**
     * Starts a new session after the connection dropped: connects again and sends every
     * subscription made so far again (same subjects, same sids). Flush to know they are in place.
     */
    public void reconnect(Network network, String host, int port) throws IOException {
        Conn old = conn;
        if (old != null) {
            old.close();
        }
        connect(network, host, port);
        List<String[]> subs;
        lock.lock();
        try {
            subs = List.copyOf(subscriptions);
        } finally {
            lock.unlock();
        }
        for (String[] s : subs) {
            sub(s[0], s[1]);
        }
    }

    /** The current session number (1 after the first connect, +1 per reconnect). */
    public int session() {
        lock.lock();
        try {
            return session;
        } finally {
            lock.unlock();
        }
    }

    /** True when the current session's connection has ended (the reader saw it close). */
    public boolean ended() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    /** The session each of {@link #deliveries()} arrived in, index for index. */
    public List<Integer> deliverySessions() {
        lock.lock();
        try {
            return List.copyOf(deliverySessions);
        } finally {
            lock.unlock();
        }
    }

    public void close() {
        history.add(id, History.Type.INFO, "close", "");
        Conn c = conn;
        if (c != null) {
            c.close();
        }
    }

    private void send(ByteSink out, String op) throws IOException {
        try {
            send(out);
        } catch (IOException e) {
            history.add(id, History.Type.FAIL, op, String.valueOf(e.getMessage()));
            throw e;
        }
    }

    private void send(ByteSink out) throws IOException {
        sendLock.lock();
        try {
            conn.write(new ByteBuffer[] {ByteBuffer.wrap(out.array(), 0, out.size())});
        } finally {
            sendLock.unlock();
        }
    }

    private boolean current() {
        return Thread.currentThread() == reader;
    }

    private void readLoop() {
        Conn conn;
        lock.lock();
        try {
            conn = this.conn;
        } finally {
            lock.unlock();
        }
        ProtocolParser parser = new ProtocolParser(this, 4096, 64L * 1024 * 1024, ProtocolParser.Side.CLIENT);
        byte[] buf = new byte[readSize];
        try {
            while (true) {
                int n = conn.read(buf, 0, buf.length);
                if (n < 0) {
                    break;
                }
                parser.parse(buf, 0, n);
                if (readPause != null) {
                    readClock.sleep(readPause);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | ProtocolException e) {
            // the connection ended; recorded below
            lock.lock();
            try {
                if (current()) {
                    endedBy = e.getMessage();
                }
            } finally {
                lock.unlock();
            }
            history.add(id, History.Type.INFO, "ended", String.valueOf(e.getMessage()));
        } finally {
            lock.lock();
            try {
                if (current()) {
                    ended = true;
                }
                pong.signalAll();
                infoSeen.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    // ---------------------------------------------------------------- protocol callbacks (reader thread)

    @Override
    public void onInfo(String json) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"nonce\":\"([^\"]*)\"").matcher(json);
        lock.lock();
        try {
            if (m.find()) {
                nonce = m.group(1);
            } else if (nonce == null) {
                nonce = "";
            }
            infoSeen.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Connects as a JWT user: CONNECT waits for INFO and carries {@code jwt} and the nonce signed with {@code seed}. */
    public SimClient credentials(String jwt, String seed) {
        this.userJwt = jwt;
        this.userSeed = seed;
        return this;
    }

    @Override
    public void onPing() throws ProtocolException {
        ByteSink out = new ByteSink(8);
        ProtocolEncoder.pong(out);
        try {
            send(out);
        } catch (IOException e) {
            throw ProtocolException.silentClose("PONG write failed: " + e.getMessage());
        }
    }

    @Override
    public void onPong() {
        lock.lock();
        try {
            if (current()) {
                pongs++;
            }
            pong.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onOk() {
    }

    @Override
    public void onErr(String message) {
        history.add(id, History.Type.INFO, "err", message);
        lock.lock();
        try {
            errors.add("-ERR " + message);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onMsg(String subject, String sid, String reply, byte[] payload, int off, int len) {
        if (Thread.currentThread() != reader) {
            return; // a late read of a connection this client already replaced
        }
        Delivery d = new Delivery(subject, sid, new String(payload, off, len, StandardCharsets.UTF_8), scheduler.now());
        if (!tap.keep(id, d)) {
            return;
        }
        MessageListener l = listener;
        if (l != null) {
            l.message(this, subject, sid, reply, null, d.payload());
        }
        history.add(id, History.Type.INFO, "msg", sid + " " + subject + " " + d.payload());
        lock.lock();
        try {
            deliveries.add(d);
            deliverySessions.add(session);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onHmsg(String subject, String sid, String reply, byte[] data, int off, int headerLen, int totalLen) {
        String headers = new String(data, off, headerLen, StandardCharsets.UTF_8);
        String body = new String(data, off + headerLen, totalLen - headerLen, StandardCharsets.UTF_8);
        Delivery d = new Delivery(subject, sid, body, scheduler.now());
        if (!tap.keep(id, d)) {
            return;
        }
        String status = headers.lines().findFirst().orElse("");
        history.add(id, History.Type.INFO, "hmsg", sid + " " + subject + " " + status + " " + body);
        MessageListener l = listener;
        if (l != null) {
            l.message(this, subject, sid, reply, headers, body);
        }
    }

    public List<Delivery> deliveries() {
        lock.lock();
        try {
            return List.copyOf(deliveries);
        } finally {
            lock.unlock();
        }
    }

    /** Why the reader stopped (an I/O or protocol error), or null if it saw end of stream or still runs. */
    public String endedBy() {
        lock.lock();
        try {
            return endedBy;
        } finally {
            lock.unlock();
        }
    }

    /** The -ERR messages the server sent. */
    public List<String> errors() {
        lock.lock();
        try {
            return List.copyOf(errors);
        } finally {
            lock.unlock();
        }
    }
}
