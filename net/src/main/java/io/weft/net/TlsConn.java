package io.weft.net;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * TLS over another {@link Conn}, with the JDK's {@link SSLEngine}. One reader and one writer may
 * use it at once, as with any Conn: reads unwrap under their own lock, writes wrap under the write
 * lock, and the few records the reader must send itself (a TLS 1.3 key update answer) take the
 * write lock too. {@link #tryWrite} encrypts the whole buffer at once and hands the ciphertext to
 * the plain connection's own {@code tryWrite}, so it never waits on the network either.
 */
final class TlsConn implements Conn {
    private final Conn plain;
    private final SSLEngine engine;
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Ciphertext read from the plain connection and not unwrapped yet (read mode: position..limit). */
    private ByteBuffer netIn;
    /** Plaintext unwrapped and not handed to a reader yet (read mode). */
    private ByteBuffer appIn;
    private final byte[] readChunk;
    private boolean inputClosed;

    TlsConn(Conn plain, SSLEngine engine) {
        this.plain = plain;
        this.engine = engine;
        int packet = engine.getSession().getPacketBufferSize();
        int app = engine.getSession().getApplicationBufferSize();
        this.netIn = ByteBuffer.allocate(packet).flip();
        this.appIn = ByteBuffer.allocate(app).flip();
        this.readChunk = new byte[packet];
    }

    /**
     * Runs the handshake to its end (both sides' Finished, and what the server sends after). On
     * failure the alert the engine has for the peer (certificate required, unknown CA, ...) is sent
     * before the failure is thrown, so the client learns why.
     */
    void handshake() throws IOException {
        try {
            runHandshake();
        } catch (SSLException e) {
            try {
                writeLock.lock();
                try {
                    engine.closeOutbound();
                    ByteBuffer alert = encrypt(new ByteBuffer[] {ByteBuffer.allocate(0)});
                    if (alert.hasRemaining()) {
                        plain.write(new ByteBuffer[] {alert});
                    }
                } finally {
                    writeLock.unlock();
                }
            } catch (IOException | RuntimeException ignored) {
                // the handshake failed anyway; the alert was a courtesy
            }
            throw e;
        }
    }

    private void runHandshake() throws IOException {
        engine.beginHandshake();
        ByteBuffer empty = ByteBuffer.allocate(0);
        while (true) {
            SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
            switch (hs) {
                case NEED_TASK -> runTasks();
                case NEED_WRAP -> {
                    writeLock.lock();
                    try {
                        wrapAndSend(new ByteBuffer[] {empty});
                    } finally {
                        writeLock.unlock();
                    }
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    readLock.lock();
                    try {
                        if (unwrapOnce(hs == SSLEngineResult.HandshakeStatus.NEED_UNWRAP_AGAIN) < 0) {
                            throw new EOFException("connection closed during the TLS handshake");
                        }
                    } finally {
                        readLock.unlock();
                    }
                }
                case FINISHED, NOT_HANDSHAKING -> {
                    handshakeDone = true;
                    return;
                }
            }
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    /** The peer's certificate chain, leaf first; empty when the peer sent none. */
    Certificate[] peerCertificates() {
        try {
            return engine.getSession().getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return new Certificate[0];
        }
    }

    String protocol() {
        return engine.getSession().getProtocol();
    }

    String cipherSuite() {
        return engine.getSession().getCipherSuite();
    }

    /**
     * Unwraps one record into {@link #appIn}, reading ciphertext when a whole record is not there
     * yet (unless {@code noRead}). Returns the plaintext bytes produced (0 for a handshake record),
     * or -1 at the end of the stream. Holds the read lock.
     */
    private int unwrapOnce(boolean noRead) throws IOException {
        while (true) {
            if (!netIn.hasRemaining() && !noRead) {
                if (fill() < 0) {
                    return -1;
                }
            }
            appIn.compact();
            SSLEngineResult r;
            try {
                r = engine.unwrap(netIn, appIn);
            } finally {
                appIn.flip();
            }
            switch (r.getStatus()) {
                case OK -> {
                    if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                        runTasks();
                    }
                    if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP && !isHandshaking()) {
                        // a post-handshake message the reader must answer (TLS 1.3 key update)
                        answerPostHandshake();
                    }
                    return r.bytesProduced();
                }
                case BUFFER_UNDERFLOW -> {
                    if (netIn.limit() == netIn.capacity() && netIn.position() == 0) {
                        ByteBuffer bigger = ByteBuffer.allocate(Math.max(netIn.capacity() * 2,
                                engine.getSession().getPacketBufferSize()));
                        bigger.put(netIn).flip();
                        netIn = bigger;
                    }
                    if (fill() < 0) {
                        return -1;
                    }
                    noRead = false;
                }
                case BUFFER_OVERFLOW -> {
                    ByteBuffer bigger = ByteBuffer.allocate(appIn.capacity() + engine.getSession().getApplicationBufferSize());
                    bigger.put(appIn).flip();
                    appIn = bigger;
                }
                case CLOSED -> {
                    inputClosed = true;
                    if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
                        answerPostHandshake();
                    }
                    return -1;
                }
            }
        }
    }

    private volatile boolean handshakeDone;

    private boolean isHandshaking() {
        return !handshakeDone;
    }

    private void answerPostHandshake() throws IOException {
        writeLock.lock();
        try {
            while (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
                if (wrapAndSend(new ByteBuffer[] {ByteBuffer.allocate(0)}) == SSLEngineResult.Status.CLOSED) {
                    return;
                }
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** Appends ciphertext from the plain connection to {@link #netIn}; -1 at its end. */
    private int fill() throws IOException {
        int room = netIn.capacity() - netIn.limit() + netIn.position();
        if (room == 0) {
            ByteBuffer bigger = ByteBuffer.allocate(netIn.capacity() * 2);
            bigger.put(netIn).flip();
            netIn = bigger;
        }
        int n = plain.read(readChunk, 0, Math.min(readChunk.length, netIn.capacity() - netIn.remaining()));
        if (n < 0) {
            return -1;
        }
        netIn.compact();
        netIn.put(readChunk, 0, n);
        netIn.flip();
        return n;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        readLock.lock();
        try {
            while (!appIn.hasRemaining()) {
                if (inputClosed) {
                    return -1;
                }
                if (unwrapOnce(false) < 0) {
                    if (!appIn.hasRemaining()) {
                        return -1;
                    }
                }
            }
            int n = Math.min(len, appIn.remaining());
            appIn.get(buf, off, n);
            return n;
        } catch (SSLException e) {
            throw new IOException("TLS: " + e.getMessage(), e);
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Wraps all of {@code src} and writes the ciphertext with the plain connection's blocking write.
     * Holds the write lock. Returns the status of the last wrap.
     */
    private SSLEngineResult.Status wrapAndSend(ByteBuffer[] src) throws IOException {
        ByteBuffer out = encrypt(src);
        SSLEngineResult.Status last = lastStatus;
        if (out.hasRemaining()) {
            plain.write(new ByteBuffer[] {out});
        }
        return last;
    }

    private SSLEngineResult.Status lastStatus;

    /** Wraps every remaining byte of {@code src} (at least one record) into one ciphertext buffer. Holds the write lock. */
    private ByteBuffer encrypt(ByteBuffer[] src) throws IOException {
        long total = 0;
        for (ByteBuffer b : src) {
            total += b.remaining();
        }
        int packet = engine.getSession().getPacketBufferSize();
        long records = total / 16_384 + 1;
        ByteBuffer out = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 64, records * (packet - 16_384 + 256) + total + packet));
        boolean first = true;
        while (first || remaining(src)) {
            first = false;
            SSLEngineResult r = engine.wrap(src, out);
            lastStatus = r.getStatus();
            switch (r.getStatus()) {
                case OK -> {
                    if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                        runTasks();
                    }
                    if (r.bytesConsumed() == 0 && r.bytesProduced() == 0 && remaining(src)) {
                        throw new IOException("TLS: the engine takes no more data (" + r.getHandshakeStatus() + ")");
                    }
                }
                case BUFFER_OVERFLOW -> {
                    ByteBuffer bigger = ByteBuffer.allocate(out.capacity() * 2 + packet);
                    out.flip();
                    bigger.put(out);
                    out = bigger;
                    first = true;
                }
                case CLOSED -> {
                    out.flip();
                    return out;
                }
                case BUFFER_UNDERFLOW -> throw new IOException("TLS wrap underflow");
            }
        }
        out.flip();
        return out;
    }

    private static boolean remaining(ByteBuffer[] src) {
        for (ByteBuffer b : src) {
            if (b.hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void write(ByteBuffer[] buffers) throws IOException {
        writeLock.lock();
        try {
            plain.flush();
            ByteBuffer out = encrypt(buffers);
            if (lastStatus == SSLEngineResult.Status.CLOSED) {
                throw new IOException("TLS connection closed");
            }
            plain.write(new ByteBuffer[] {out});
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public boolean tryWrite(ByteBuffer buffer) throws IOException {
        writeLock.lock();
        try {
            ByteBuffer out = encrypt(new ByteBuffer[] {buffer});
            if (lastStatus == SSLEngineResult.Status.CLOSED) {
                throw new IOException("TLS connection closed");
            }
            // the plaintext is consumed; what the network does not take yet stays with the plain
            // connection as ciphertext, in a buffer only it holds
            return plain.tryWrite(out);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public void flush() throws IOException {
        writeLock.lock();
        try {
            plain.flush();
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        writeLock.lock();
        try {
            plain.flush();
            engine.closeOutbound();
            ByteBuffer out = encrypt(new ByteBuffer[] {ByteBuffer.allocate(0)});
            if (out.hasRemaining()) {
                plain.write(new ByteBuffer[] {out});
            }
            plain.shutdownOutput();
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public String remoteHost() {
        return plain.remoteHost();
    }

    @Override
    public int remotePort() {
        return plain.remotePort();
    }

    @Override
    public String localHost() {
        return plain.localHost();
    }

    @Override
    public int localPort() {
        return plain.localPort();
    }

    @Override
    public void close() {
        plain.close();
    }
}
