/**
 * Core NATS clustering: routes between servers, spoken as nats-server 2.10+ speaks them to a peer
 * that announces no pooling and no compression (see {@code docs/cluster-protocol.md}).
 * {@link io.weft.engine.route.Routes} owns the route listener, the explicit routes it dials (and
 * re-dials with backoff), and the count of local interest it announces; each
 * {@link io.weft.engine.route.RouteConnection} is one peer. All I/O goes through the net seam's
 * {@link io.weft.net.Env}.
 */
package io.weft.engine.route;
