package io.weft.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.store.SubjectBytes;
import org.junit.jupiter.api.Test;

/** Expected strings are what Go's strconv.Quote prints for the same bytes. */
class GoQuoteTest {
    @Test
    void quotesAsGoDoes() {
        assertEquals("\"foo.bar\"", GoQuote.quote("foo.bar"));
        assertEquals("\"a.\\xff\"", GoQuote.quote(SubjectBytes.decode(new byte[] {'a', '.', (byte) 0xFF})));
        assertEquals("\"a.\u00e9.\ufffd\"", GoQuote.quote("a.\u00e9.\ufffd"));
        assertEquals("\"\\x00\\x01\\a\\b\\f\\n\\r\\t\\v\\x7f\"", GoQuote.quote("\u0000\u0001\u0007\b\f\n\r\t\u000b\u007f"));
        assertEquals("\"q\\\"\\\\\"", GoQuote.quote("q\"\\"));
        assertEquals("\"\\u00a0\\u200b\\U000e0001\"", GoQuote.quote("\u00a0\u200b" + new String(Character.toChars(0xE0001))));
        assertEquals("\"" + new String(Character.toChars(0x1F600)) + "\"", GoQuote.quote(new String(Character.toChars(0x1F600))));
    }
}
