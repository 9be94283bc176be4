package io.weft.engine.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class JsonOpsTest {

    @Test
    void connectFieldsAndDefaults() throws Exception {
        ConnectOptions c = ConnectOptions.parse("{\"verbose\":true,\"pedantic\":true,\"tls_required\":false,"
            + "\"auth_token\":\"t\",\"user\":\"u\",\"pass\":\"p\",\"name\":\"n\",\"lang\":\"java\",\"version\":\"2.25.0\","
            + "\"protocol\":1,\"echo\":false,\"headers\":true,\"no_responders\":true,\"nkey\":\"UK\",\"sig\":\"s\","
            + "\"jwt\":\"j\",\"unknown\":{\"x\":[1,2]}}");
        assertEquals(new ConnectOptions(true, true, false, "t", "u", "p", "n", "java", "2.25.0", 1, false, true, true,
            "UK", "s", "j"), c);
        ConnectOptions d = ConnectOptions.parse("{}");
        // nats-server starts a client from verbose, pedantic and echo on (differential test 'connect empty object')
        assertTrue(d.echo());
        assertTrue(d.verbose());
        assertTrue(d.pedantic());
        assertNull(d.user());
        assertEquals(ConnectOptions.DEFAULTS, d);
        assertEquals(ConnectOptions.DEFAULTS, ConnectOptions.parse("null"));
        assertFalse(ConnectOptions.parse("{\"VERBOSE\":false}").verbose());
        assertEquals(c, ConnectOptions.parse(c.toJson()));
        assertEquals(d, ConnectOptions.parse(d.toJson()));
    }

    @Test
    void malformedConnectClosesWithoutErr() {
        for (String json : List.of("{bad", "hello", "", "{} {}", "[]", "{\"verbose\":\"yes\"}", "{\"protocol\":\"1\"}",
                "{\"protocol\":1.5}", "{\"name\":5}")) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> ConnectOptions.parse(json), json);
            assertTrue(e.closes());
            assertFalse(e.sendsErr());
        }
        ProtocolException e = assertThrows(ProtocolException.class, () -> ConnectOptions.parse("{\"verbose\":\"yes\"}"));
        assertEquals("json: cannot unmarshal string into Go struct field ClientOpts.verbose of type bool", e.getMessage());
        e = assertThrows(ProtocolException.class, () -> ConnectOptions.parse("[]"));
        assertEquals("json: cannot unmarshal array into Go value of type server.ClientOpts", e.getMessage());
        e = assertThrows(ProtocolException.class, () -> ConnectOptions.parse(""));
        assertEquals("unexpected end of JSON input", e.getMessage());
    }


    /**
     * Go's encoding/json, and so nats-server 2.15.1, accepts a CONNECT nested up to 10,000 levels
     * (the outer object included; measured with a raised max_control_line) and closes a deeper
     * one without -ERR, logging "exceeded max depth". Jackson's default limit is 1,000.
     */
    @Test
    void connectNestingLimitIsGosAndAClearError() throws Exception {
        assertTrue(ConnectOptions.parse(nestedIn(ConnectOptions.MAX_DEPTH - 1)).verbose());
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> ConnectOptions.parse(nestedIn(ConnectOptions.MAX_DEPTH)));
        assertEquals(ConnectOptions.TOO_DEEP, e.getMessage());
        assertTrue(e.closes());
        assertFalse(e.sendsErr());
        // far deeper still: a clear error, never a StackOverflowError
        e = assertThrows(ProtocolException.class, () -> ConnectOptions.parse(nestedIn(1_000_000)));
        assertEquals(ConnectOptions.TOO_DEEP, e.getMessage());
        e = assertThrows(ProtocolException.class, () -> ConnectOptions.parse("{\"x\":" + "{\"a\":".repeat(20_000)));
        assertEquals(ConnectOptions.TOO_DEEP, e.getMessage());
    }

    /** {@code {"verbose":true,"x":[[...]]}} with {@code arrays} arrays inside the object. */
    private static String nestedIn(int arrays) {
        return "{\"verbose\":true,\"x\":" + "[".repeat(arrays) + "]".repeat(arrays) + "}";
    }
    /** INFO lines captured from nats-server 2.9.10; toJson must reproduce them byte for byte. */
    @Test
    void serverInfoMatchesRealInfoLines() throws Exception {
        for (String real : List.of(
                "{\"server_id\":\"NDAXDKMX7MBG65STH37RNPYPIMC5T3RDBS2OUAISV7ZACF5WJ7DJSKOI\",\"server_name\":\"NDAXDKMX7MBG65STH37RNPYPIMC5T3RDBS2OUAISV7ZACF5WJ7DJSKOI\",\"version\":\"2.9.10\",\"proto\":1,\"go\":\"go1.19.8\",\"host\":\"0.0.0.0\",\"port\":17422,\"headers\":true,\"max_payload\":1024,\"client_id\":4,\"client_ip\":\"127.0.0.1\"}",
                "{\"server_id\":\"NDX22WJVOWVTDVTQ2HF6FMBL4QU6UF2Y6YAZ7JN6RCJN2PODT6P3PNGY\",\"server_name\":\"myname\",\"version\":\"2.9.10\",\"proto\":1,\"go\":\"go1.19.8\",\"host\":\"0.0.0.0\",\"port\":16015,\"headers\":true,\"auth_required\":true,\"max_payload\":1048576,\"jetstream\":true,\"client_id\":6,\"client_ip\":\"127.0.0.1\",\"cluster\":\"cc\"}",
                "{\"server_id\":\"NDX3ANODBKX3HD4BBTIC2VWP7CXA3SSZWAKCH7WPSGZ7ZBPJWSX5EVPV\",\"server_name\":\"NDX3ANODBKX3HD4BBTIC2VWP7CXA3SSZWAKCH7WPSGZ7ZBPJWSX5EVPV\",\"version\":\"2.9.10\",\"proto\":1,\"go\":\"go1.19.8\",\"host\":\"0.0.0.0\",\"port\":16363,\"headers\":true,\"max_payload\":1048576,\"client_id\":6,\"client_ip\":\"127.0.0.1\",\"cluster\":\"cc\",\"connect_urls\":[\"192.0.2.2:16363\",\"[fd00::2]:16363\",\"192.0.2.2:16365\",\"[fd00::2]:16365\"]}")) {
            assertEquals(real, ServerInfo.parse(real).toJson());
        }
    }

    @Test
    void serverInfoOmitsAbsentOptionalsAndEscapesLikeGo() throws Exception {
        ServerInfo i = new ServerInfo("ID", "n<&>", "2.10.0", 1, null, "go1.21", "0.0.0.0", 4222, true, false, true,
            false, false, 1048576, false, null, 0, null, "nonce", null, null, List.of("a:1", "b:2"), true, "XK");
        assertEquals("{\"server_id\":\"ID\",\"server_name\":\"n\\u003c\\u0026\\u003e\",\"version\":\"2.10.0\",\"proto\":1,"
            + "\"go\":\"go1.21\",\"host\":\"0.0.0.0\",\"port\":4222,\"headers\":true,\"tls_required\":true,"
            + "\"max_payload\":1048576,\"nonce\":\"nonce\",\"connect_urls\":[\"a:1\",\"b:2\"],\"ldm\":true,\"xkey\":\"XK\"}",
            i.toJson());
        ServerInfo c = i.withClient(9, "10.0.0.1", null);
        assertEquals(c, ServerInfo.parse(c.toJson()));
        assertEquals(9, ServerInfo.parse(c.toJson()).clientId());
    }
}
