/**
 * The NATS client protocol as bytes on the wire, in both directions.
 *
 * <ul>
 *   <li>{@link io.weft.engine.protocol.ProtocolParser}: incremental byte-level state machine; feeds a
 *       {@link io.weft.engine.protocol.ProtocolHandler} with CONNECT, PUB, HPUB, SUB, UNSUB, PING, PONG
 *       (from clients) and INFO, MSG, HMSG, +OK, -ERR (from servers). Any chunking of the input gives
 *       the same callbacks. Violations are {@link io.weft.engine.protocol.ProtocolException}s carrying
 *       nats-server's wire text, whether the connection closes and whether an {@code -ERR} is sent at
 *       all (see README-errors.md in this directory for the observed nats-server 2.9.10 behaviour).</li>
 *   <li>{@link io.weft.engine.protocol.ProtocolEncoder} writes the same ops into a growable
 *       {@link io.weft.engine.protocol.ByteSink} (used by the server's outbound path, sim clients and
 *       {@code weft bench}).</li>
 *   <li>{@link io.weft.engine.protocol.ConnectOptions} and {@link io.weft.engine.protocol.ServerInfo}:
 *       the JSON of CONNECT and INFO; {@link io.weft.engine.protocol.Headers}: the
 *       {@code NATS/1.0} header block of HPUB/HMSG.</li>
 * </ul>
 *
 * Errors that depend on connection state (headers not negotiated, subject validity, permissions,
 * authorization, a client sending -ERR) are the connection's, not the parser's.
 * No clock, threads, sockets or static mutable state here.
 */
package io.weft.engine.protocol;
