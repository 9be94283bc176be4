package io.weft.engine.auth;

import java.time.Duration;
import java.util.List;

/**
 * An account's {@code exports} and {@code imports}, as a configuration file states them (checked
 * by the config reader: every import names an account that exports what it imports to it).
 */
public final class Exports {
    private Exports() {
    }

    /** How many responses a service request may get. */
    public enum ResponseType {
        /** One response (the default). */
        SINGLETON,
        /** Any number of responses until the threshold passes without one. */
        STREAM,
        /** As {@link #STREAM}: a response in several messages. */
        CHUNKED;

        /** The type nats-server names {@code singleton}, {@code stream} or {@code chunked}; null if none. */
        public static ResponseType named(String name) {
            return switch (name.toLowerCase(java.util.Locale.ROOT)) {
                case "singleton" -> SINGLETON;
                case "stream" -> STREAM;
                case "chunked" -> CHUNKED;
                default -> null;
            };
        }
    }

    /** nats-server's default {@code response_threshold}. */
    public static final Duration DEFAULT_THRESHOLD = Duration.ofMinutes(2);

    /**
     * A stream ({@code service == false}) or service export. {@code accounts} null: public; else
     * only those accounts may import it.
     */
    public record Export(boolean service, String subject, List<String> accounts, ResponseType responseType,
                         Duration responseThreshold, boolean allowTrace) {
        public Export(boolean service, String subject, List<String> accounts, ResponseType responseType,
                      Duration responseThreshold) {
            this(service, subject, accounts, responseType, responseThreshold, false);
        }

        public boolean allows(String account) {
            return accounts == null || accounts.contains(account);
        }
    }

    /**
     * A stream or service import of {@code subject} from {@code account}; {@code to} is the subject
     * in the importing account ({@code prefix} already applied), the same as {@code subject} when
     * not remapped. {@code allowTrace}: a traced message's trace goes on into the importing account
     * (a stream import's {@code allow_trace}); a service export's {@code allow_trace} is on the export.
     */
    public record Import(boolean service, String account, String subject, String to, boolean allowTrace) {
        public Import(boolean service, String account, String subject, String to) {
            this(service, account, subject, to, false);
        }
    }
}
