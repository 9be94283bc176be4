/**
 * nats-server's configuration format for {@code weft serve}.
 *
 * <ul>
 *   <li>{@link io.weft.server.config.ConfigParser} reads the text (with includes and variables) into a
 *       tree of {@link io.weft.server.config.ConfigValue}s, each with its {@link io.weft.server.config.Position}.</li>
 *   <li>{@link io.weft.server.config.OptionsMapper} maps the tree onto {@link io.weft.engine.ServerOptions},
 *       starting from the defaults in {@code reference.conf} (root {@code weft}).</li>
 *   <li>Problems are {@link io.weft.server.config.ConfigException}s whose lines read {@code file:line:col: message}.</li>
 * </ul>
 *
 * <p>Layers, lowest first: {@code reference.conf}; {@code WEFT_<KEY>} environment variables (for
 * example {@code WEFT_PORT=4333}, {@code WEFT_PING_INTERVAL=30s}, {@code WEFT_MAX_PAYLOAD=2097152}; the key
 * names are those of {@code reference.conf} in upper case); the file given with {@code -c}; the
 * command-line flags.
 */
package io.weft.server.config;
