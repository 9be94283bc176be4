package io.weft.engine.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.store.SubjectBytes;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MessageLineTest {
    @Test
    void asciiLinesAreWrittenInPlace() {
        byte[] buf = new byte[MessageLine.maxLength("a.b", "12", "r")];
        int end = MessageLine.write(buf, 0, "a.b", "12", "r", -1, 5);
        assertEquals("MSG a.b 12 r 5\r\n", new String(buf, 0, end, StandardCharsets.US_ASCII));
        assertArrayEquals(Arrays.copyOf(buf, end), MessageLine.build("a.b", "12", "r", -1, 5));
    }

    @Test
    void aLineWithNonAsciiOrInvalidUtf8NamesCarriesTheirExactBytes() {
        String subject = SubjectBytes.decode(new byte[] {'a', '.', (byte) 0xFF, '.', (byte) 0xC3, (byte) 0xA9});
        String reply = SubjectBytes.decode(new byte[] {'r', (byte) 0xFE});
        byte[] buf = new byte[MessageLine.maxLength(subject, "1", reply)];
        assertEquals(-1, MessageLine.write(buf, 0, subject, "1", reply, 4, 9));
        byte[] expected = {'H', 'M', 'S', 'G', ' ', 'a', '.', (byte) 0xFF, '.', (byte) 0xC3, (byte) 0xA9, ' ', '1', ' ',
            'r', (byte) 0xFE, ' ', '4', ' ', '9', '\r', '\n'};
        assertArrayEquals(expected, MessageLine.build(subject, "1", reply, 4, 9));
    }
}
