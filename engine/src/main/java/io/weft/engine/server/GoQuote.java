package io.weft.engine.server;

/**
 * A subject quoted as Go's {@code %q} (strconv.Quote) prints it, which is how nats-server names a
 * subject in {@code -ERR 'Permissions Violation for Publish to "..."'}: printable characters as
 * they are, {@code "} and {@code \} escaped, control characters as {@code \n} or {@code \x01}, and
 * each byte that is not UTF-8 (an escaped byte of {@link io.weft.store.SubjectBytes}) as
 * {@code \xff}.
 */
final class GoQuote {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private GoQuote() {
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case 0x07 -> sb.append("\\a");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case 0x0B -> sb.append("\\v");
                default -> append(sb, cp);
            }
        }
        return sb.append('"').toString();
    }

    private static void append(StringBuilder sb, int cp) {
        if (cp >= 0xDC80 && cp <= 0xDCFF) {
            hex(sb.append("\\x"), cp - 0xDC00, 2); // a byte that is not UTF-8
        } else if (Character.isSurrogate((char) cp) && cp < 0x10000) {
            sb.append("\\ufffd"); // no byte string stands for it (see SubjectBytes.encode)
        } else if (cp < 0x20 || cp == 0x7F) {
            hex(sb.append("\\x"), cp, 2);
        } else if (isPrint(cp)) {
            sb.appendCodePoint(cp);
        } else if (cp < 0x10000) {
            hex(sb.append("\\u"), cp, 4);
        } else {
            hex(sb.append("\\U"), cp, 8);
        }
    }

    /** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
    private static boolean isPrint(int cp) {
        if (cp == ' ') {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }

    private static void hex(StringBuilder sb, int v, int digits) {
        for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
            sb.append(HEX[(v >> shift) & 0xF]);
        }
    }
}
