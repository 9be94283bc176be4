/**
 * Subject transforms as nats-server's subject mappings, account imports and exports use them:
 * a source subject (with wildcards) and a destination whose tokens are literals, wildcard
 * references and mapping functions ({@code partition}, {@code split}, slices, ...); and the
 * weighted, optionally cluster-scoped, choice between several destinations.
 */
package io.weft.engine.mapping;
