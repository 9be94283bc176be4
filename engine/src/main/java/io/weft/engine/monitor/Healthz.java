package io.weft.engine.monitor;

/** {@code /healthz}: {@code {"status":"ok"}}, printed compact. */
public record Healthz(String status) {
    public static final Healthz OK = new Healthz("ok");
}
