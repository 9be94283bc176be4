package io.weft.engine.jetstream;

/** Thrown by API handlers; the dispatcher turns it into the JSON error reply. */
public final class JsApiException extends Exception {
    private final transient JsApiError error;

    public JsApiException(JsApiError error) {
        super(error.description(), null, false, false);
        this.error = error;
    }

    public JsApiError error() {
        return error;
    }
}
