/**
 * JetStream consumers: {@link io.weft.engine.jetstream.consumer.Consumers} answers every
 * {@code $JS.API.CONSUMER.*} request (the stream side forwards them) and owns the
 * {@link io.weft.engine.jetstream.consumer.Consumer}s, each registered with its stream through
 * {@link io.weft.engine.jetstream.ConsumerSource#attach}.
 *
 * <ul>
 *   <li>{@link io.weft.engine.jetstream.consumer.ConsumerConfig}: the config record with
 *       nats-server's JSON, defaults, validation and update rules;
 *       {@link io.weft.engine.jetstream.consumer.ConsumerErrors}: the err_codes.</li>
 *   <li>{@link io.weft.engine.jetstream.consumer.Consumer}: delivery state and one delivery loop
 *       per consumer (a virtual thread from the Env's spawner, waiting only through its Clock):
 *       push (interest-gated, deliver groups, flow control, idle heartbeats, rate limit, replay
 *       original) and pull (waiting requests with batch/max_bytes/expires/no_wait/heartbeats and
 *       the 404/408/409 statuses), the ack protocol on
 *       {@code $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>},
 *       redelivery after ack_wait/backoff, max_deliver, advisories and ack metrics.</li>
 *   <li>{@link io.weft.engine.jetstream.consumer.ConsumerPersistence}: durable consumers of file
 *       streams keep {@code meta.dat} and {@code state.dat} (CRC32C, atomic replace) in the
 *       stream's consumer directory; a double ack is persisted before it is answered.</li>
 * </ul>
 *
 * Locking: a consumer's lock is never held while it publishes or calls back into its stream
 * ({@code acknowledged}, {@code lastDeliverableSeq}); the stream may call {@code needsAck} with its
 * own lock held.
 */
package io.weft.engine.jetstream.consumer;
