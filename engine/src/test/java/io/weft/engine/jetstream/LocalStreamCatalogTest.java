package io.weft.engine.jetstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.server.Account;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The local stream catalog's decisions and file layout, called directly as the API calls it. */
class LocalStreamCatalogTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static StreamConfig cfg(String json) throws Exception {
        return StreamConfig.decode(json.getBytes(StandardCharsets.UTF_8), MAPPER);
    }

    @Test
    void createUpdateListDeleteAndTheDirectoryOfAStream() throws Exception {
        try (JsHarness h = new JsHarness()) {
            StreamCatalog c = h.js().catalog();
            JsAccount jsa = h.js().account(Account.GLOBAL);
            String dir = c.streamDir(Account.GLOBAL, "ORDERS");
            assertEquals(c.streamsDir(Account.GLOBAL) + "/ORDERS", dir);
            assertEquals(JetStream.storeRoot(h.js().options()) + "/" + Account.GLOBAL + "/streams", c.streamsDir(Account.GLOBAL));

            StreamCatalog.Change made = c.createOrUpdate(jsa, "ORDERS", cfg("{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\"]}"), true);
            assertTrue(made.changed());
            assertTrue(Files.exists(Path.of(dir, StreamMeta.FILE)), "meta under the stream's directory");
            assertSame(made.stream(), jsa.stream("ORDERS"));

            // the same config again changes nothing; another one under the same name is refused
            StreamCatalog.Change again = c.createOrUpdate(jsa, "ORDERS", cfg("{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\"]}"), true);
            assertFalse(again.changed());
            assertSame(made.stream(), again.stream());
            JsApiException exists = assertThrows(JsApiException.class, () ->
                    c.createOrUpdate(jsa, "ORDERS", cfg("{\"name\":\"ORDERS\",\"subjects\":[\"other\"]}"), true));
            assertEquals(JsErrors.STREAM_NAME_EXIST.errCode(), exists.error().errCode());
            JsApiException mismatch = assertThrows(JsApiException.class, () ->
                    c.createOrUpdate(jsa, "X", cfg("{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\"]}"), true));
            assertEquals(JsErrors.STREAM_MISMATCH.errCode(), mismatch.error().errCode());
            JsApiException missing = assertThrows(JsApiException.class, () ->
                    c.createOrUpdate(jsa, "NOPE", cfg("{\"name\":\"NOPE\",\"subjects\":[\"nope\"]}"), false));
            assertEquals(JsErrors.STREAM_NOT_FOUND.errCode(), missing.error().errCode());

            StreamCatalog.Change updated = c.createOrUpdate(jsa, "ORDERS",
                    cfg("{\"name\":\"ORDERS\",\"subjects\":[\"orders.>\",\"refunds\"]}"), false);
            assertTrue(updated.changed());
            assertEquals(List.of("orders.>", "refunds"), jsa.stream("ORDERS").config().subjects());

            c.createOrUpdate(jsa, "MEM", cfg("{\"name\":\"MEM\",\"subjects\":[\"mem\"],\"storage\":\"memory\"}"), true);
            assertFalse(Files.exists(Path.of(c.streamDir(Account.GLOBAL, "MEM"))), "a memory stream has no directory");
            assertEquals(List.of("MEM", "ORDERS"), c.list(jsa, "").stream().map(Stream::name).toList());
            assertEquals(List.of("ORDERS"), c.list(jsa, "orders.new").stream().map(Stream::name).toList());

            c.delete(jsa, "ORDERS");
            assertFalse(Files.exists(Path.of(dir)), "delete removes the stream's directory");
            JsApiException gone = assertThrows(JsApiException.class, () -> c.delete(jsa, "ORDERS"));
            assertEquals(JsErrors.STREAM_NOT_FOUND.errCode(), gone.error().errCode());
            assertEquals(List.of("MEM"), c.list(jsa, "").stream().map(Stream::name).toList());
        }
    }
}
