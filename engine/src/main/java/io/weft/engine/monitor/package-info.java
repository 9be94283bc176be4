/**
 * Monitoring documents shaped exactly as nats-server 2.9/2.10 prints them, so that nats-top,
 * Prometheus exporters and dashboards read weft unchanged.
 *
 * <p>{@link io.weft.engine.monitor.Monitor} builds the records ({@link io.weft.engine.monitor.Varz},
 * {@link io.weft.engine.monitor.Connz}, {@link io.weft.engine.monitor.Subsz}, ...) from a
 * {@link io.weft.engine.server.Server}; {@link io.weft.engine.monitor.MonitorRequests} turns a path
 * and query into a status, content type and body ({@link io.weft.engine.json.GoJson} writes
 * the JSON as Go's {@code json.MarshalIndent} does, {@link io.weft.engine.json.GoFormat} the
 * times and durations). The HTTP listener itself lives in server-main
 * ({@code io.weft.server.monitor.MonitorHttpServer}).
 */
package io.weft.engine.monitor;
