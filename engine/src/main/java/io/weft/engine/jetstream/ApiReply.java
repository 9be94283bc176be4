package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.json.GoJson;
import java.util.function.Consumer;

/**
 * The one reply/error shaper of the {@code $JS.API} (stream and consumer operations alike): an
 * operation answers with a value ({@link #ok}) or a typed {@link JsApiError}, and this class gives
 * the JSON document nats-server sends for it. A reply knows whether it is an error, so /jsz counts
 * errors from the result's type, never by reading the JSON back.
 *
 * <p>Error shapes, as nats-server 2.15 sends them: {@code {type, error}}; paged requests
 * (names/list/stream info) add {@code total, offset, limit} (all 0) and their list
 * ({@link #pagedError}); a few operations add fields of their own after the error
 * ({@link #error(String, JsApiError, Consumer)}: purge's {@code purged}, pause's {@code paused}).
 *
 * @param json  the complete reply document
 * @param error whether it is an error reply (counted in the account's and server's API errors)
 */
public record ApiReply(byte[] json, boolean error) {
    /** The prefix of every API reply type. */
    public static final String TYPE = "io.nats.jetstream.api.v1.";
    private static final GoJson JSON = new GoJson();

    /** A successful reply: {@code o} as it is (it carries its own type). */
    public static ApiReply ok(ObjectNode o) {
        return new ApiReply(JSON.compactBytes(o), false);
    }

    /** {@code {type, error}}. */
    public static ApiReply error(String type, JsApiError e) {
        return error(type, e, o -> { });
    }

    /** {@code {type, error, ...}}: {@code extra} adds the fields the operation sends after the error. */
    public static ApiReply error(String type, JsApiError e, Consumer<ObjectNode> extra) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", type);
        o.set("error", errorNode(e));
        extra.accept(o);
        return new ApiReply(JSON.compactBytes(o), true);
    }

    /** How a paged error shows its (absent) list. */
    public enum EmptyList {
        /** No list field (stream info). */
        NONE,
        /** {@code "<field>": null}, Go's nil slice (stream names and list). */
        NULL,
        /** {@code "<field>": []} (consumer names and list). */
        EMPTY
    }

    /** A names/list/info error: the error, then {@code total, offset, limit} as 0, then the list as {@code list} says. */
    public static ApiReply pagedError(String type, JsApiError e, String field, EmptyList list) {
        return error(type, e, o -> {
            o.put("total", 0);
            o.put("offset", 0);
            o.put("limit", 0);
            switch (list) {
                case NULL -> o.putNull(field);
                case EMPTY -> o.putArray(field);
                case NONE -> { }
            }
        });
    }

    /** {@code {code, err_code, description}}: the error object of a reply (also inside a PubAck). */
    public static ObjectNode errorNode(JsApiError e) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("code", e.code());
        o.put("err_code", e.errCode());
        o.put("description", e.description());
        return o;
    }
}
