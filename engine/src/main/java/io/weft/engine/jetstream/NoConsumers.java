package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.monitor.GoJson;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Stand-in consumer side until {@code io.weft.engine.jetstream.consumer.Consumers} is wired: every
 * consumer request gets a JSON error (so clients fail fast instead of timing out).
 */
final class NoConsumers implements ConsumerManager {
    private final GoJson json = new GoJson();

    @Override
    public byte[] handleApi(String subject, String reply, byte[] body, Function<String, ConsumerSource> streams) {
        String[] t = subject.split("\\.");
        String op = t.length > 3 ? t[3].toLowerCase(java.util.Locale.ROOT) : "";
        String type = switch (op) {
            case "create", "durable" -> "consumer_create_response";
            case "names" -> "consumer_names_response";
            case "list" -> "consumer_list_response";
            case "delete" -> "consumer_delete_response";
            case "info" -> "consumer_info_response";
            default -> "consumer_create_response";
        };
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", "io.nats.jetstream.api.v1." + type);
        String stream = t.length > 4 ? t[4] : null;
        JsApiError err = stream != null && streams.apply(stream) == null ? JsErrors.STREAM_NOT_FOUND
                : new JsApiError(500, 10012, "consumers are not available in this build");
        o.set("error", JsApi.errorNode(err));
        return json.compact(o).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void recover(ConsumerSource stream) {
        // nothing persisted by this stand-in
    }
}
