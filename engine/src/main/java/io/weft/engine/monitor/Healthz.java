package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import java.util.List;

/**
 * {@code /healthz}: {@code {"status":"ok"}}, printed compact; unhealthy as nats-server 2.15.1 says
 * it, {@code {"status":"unavailable","error":"JetStream stream 'A > S' ..."}} with HTTP 503 (400
 * for a bad request). With {@code details=true} the failures are listed under {@code errors}
 * (each with its {@code type}) and the status is "error".
 */
public record Healthz(String status, @JsonInclude(Include.NON_EMPTY) String error,
                      @JsonInclude(Include.NON_EMPTY) List<Problem> errors, @JsonIgnore int httpStatus) {
    public static final Healthz OK = new Healthz("ok", null, List.of(), 200);

    /** One failure of a detailed answer; the asset fields name what failed (omitted when empty). */
    @com.fasterxml.jackson.annotation.JsonPropertyOrder({"type", "account", "stream", "consumer", "error"})
    public record Problem(String type, @JsonInclude(Include.NON_EMPTY) String account,
                          @JsonInclude(Include.NON_EMPTY) String stream, @JsonInclude(Include.NON_EMPTY) String consumer,
                          @JsonInclude(Include.NON_EMPTY) String error) {
        public Problem(String type, String error) {
            this(type, null, null, null, error);
        }
    }

    public Healthz(String status, String error) {
        this(status, error, List.of(), error == null || error.isEmpty() ? 200 : 503);
    }

    static Healthz ok(boolean details) {
        return OK;
    }

    /** A failure: one {@code error} text, or with {@code details} a list of one typed problem. */
    static Healthz failed(int httpStatus, String status, boolean details, String type, String error) {
        return failed(httpStatus, status, details, new Problem(type, error));
    }

    /** As above, with the failing asset named in the detailed answer. */
    static Healthz failed(int httpStatus, String status, boolean details, Problem p) {
        return details ? new Healthz("error", null, List.of(p), httpStatus)
                : new Healthz(status, p.error(), List.of(), httpStatus);
    }

    public boolean healthy() {
        return httpStatus == 200;
    }
}
