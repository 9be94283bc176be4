package io.weft.engine.monitor;

import java.nio.charset.StandardCharsets;

/** What the HTTP layer sends back: status, content type and body. */
public record MonitorResponse(int status, String contentType, byte[] body) {
    public static final String JSON = "application/json";
    public static final String JAVASCRIPT = "application/javascript";
    public static final String TEXT = "text/plain; charset=utf-8";
    public static final String HTML = "text/html; charset=utf-8";

    /** nats-server's (Go's) answer to an unknown path. */
    public static final MonitorResponse NOT_FOUND = new MonitorResponse(404, TEXT,
            "404 page not found\n".getBytes(StandardCharsets.UTF_8));

    static MonitorResponse badRequest(String message) {
        return new MonitorResponse(400, TEXT, message.getBytes(StandardCharsets.UTF_8));
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
