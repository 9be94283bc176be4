package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;

/**
 * {@code /healthz}: {@code {"status":"ok"}}, printed compact; unhealthy as nats-server says it,
 * {@code {"status":"unavailable","error":"JetStream stream 'A > S' ..."}} with HTTP 503.
 */
public record Healthz(String status, @JsonInclude(Include.NON_EMPTY) String error) {
    public static final Healthz OK = new Healthz("ok", null);

    public boolean healthy() {
        return error == null || error.isEmpty();
    }
}
