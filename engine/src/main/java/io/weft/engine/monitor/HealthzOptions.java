package io.weft.engine.monitor;

/**
 * The query options of {@code /healthz}: {@code js-enabled-only} (or the deprecated
 * {@code js-enabled}), {@code js-server-only}, {@code js-meta-only} (a clustered server checks
 * its meta group and stops there; a single server has none, so it checks what the default does), {@code account}, {@code stream}, {@code consumer}
 * and {@code details}.
 */
public record HealthzOptions(boolean jsEnabledOnly, boolean jsServerOnly, boolean jsMetaOnly, String account,
                             String stream, String consumer, boolean details) {
    public static final HealthzOptions DEFAULT = new HealthzOptions(false, false, false, "", "", "", false);
}
