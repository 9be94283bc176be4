package io.weft.engine.jetstream;

/**
 * One JetStream API error as nats-server reports it: HTTP-like {@code code}, the stable
 * {@code err_code} clients switch on, and the description. Descriptions may carry {@code {name}}
 * style placeholders that {@link #with} fills in.
 */
public record JsApiError(int code, int errCode, String description) {

    /** The same error with {@code {key}} placeholders replaced, in order, by {@code values}. */
    public JsApiError with(Object... values) {
        String d = description;
        for (Object v : values) {
            int open = d.indexOf('{');
            int close = open < 0 ? -1 : d.indexOf('}', open);
            if (close < 0) {
                break;
            }
            d = d.substring(0, open) + v + d.substring(close + 1);
        }
        return new JsApiError(code, errCode, d);
    }

    /** The same error with {@code ": " + detail} after its description (nats-server's "invalid JSON: ..."). */
    public JsApiError withDetail(String detail) {
        return new JsApiError(code, errCode, description + ": " + detail);
    }

    public JsApiException exception() {
        return new JsApiException(this);
    }
}
