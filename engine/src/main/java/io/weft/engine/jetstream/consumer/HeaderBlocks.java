package io.weft.engine.jetstream.consumer;

import java.nio.charset.StandardCharsets;

/** Small edits of raw NATS header blocks. */
final class HeaderBlocks {
    private HeaderBlocks() {
    }

    /** {@code block} (possibly empty) with one more {@code key: value} line. */
    static byte[] with(byte[] block, String key, String value) {
        String line = key + ": " + value + "\r\n";
        if (block == null || block.length < 4) {
            return ("NATS/1.0\r\n" + line + "\r\n").getBytes(StandardCharsets.UTF_8);
        }
        byte[] add = line.getBytes(StandardCharsets.UTF_8);
        // insert before the final empty line (the last two bytes)
        byte[] out = new byte[block.length + add.length];
        int cut = block.length - 2;
        System.arraycopy(block, 0, out, 0, cut);
        System.arraycopy(add, 0, out, cut, add.length);
        System.arraycopy(block, cut, out, cut + add.length, 2);
        return out;
    }
}
