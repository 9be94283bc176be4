package io.weft.engine.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.weft.store.SubjectBytes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * JSON written byte for byte as Go's {@code json.MarshalIndent(v, "", "  ")} writes it: two-space
 * indent, {@code "key": value}, {@code []} and {@code {}} for empty containers, {@code <>&} and
 * U+2028/U+2029 escaped as {@code \u003c}..., floats without a trailing ".0".
 */
public final class GoJson {
    private final ObjectWriter indented;
    private final ObjectWriter compact;

    public GoJson() {
        ObjectMapper mapper = new ObjectMapper();
        SimpleModule floats = new SimpleModule("go-floats");
        JsonSerializer<Double> ser = new JsonSerializer<>() {
            @Override
            public void serialize(Double value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                gen.writeNumber(GoFormat.jsonFloat(value));
            }
        };
        floats.addSerializer(Double.class, ser);
        floats.addSerializer(Double.TYPE, ser);
        mapper.registerModule(floats);
        mapper.getFactory().setCharacterEscapes(new GoEscapes());
        Separators seps = Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(seps)
                .withObjectIndenter(indenter)
                .withArrayIndenter(indenter);
        this.indented = mapper.writer(printer);
        this.compact = mapper.writer();
    }

    /** Indented, as every monitoring endpoint except /healthz prints. */
    public String indent(Object value) {
        try {
            return indented.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    /** On one line, as /healthz prints. */
    public String compact(Object value) {
        try {
            return compact.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    /** {@link #indent} as UTF-8; an escaped subject byte is written {@code \\udcff} ({@link SubjectBytes#jsonBytes}). */
    public byte[] indentBytes(Object value) {
        return SubjectBytes.jsonBytes(indent(value));
    }

    /** {@link #compact} as UTF-8; an escaped subject byte is written {@code \\udcff} ({@link SubjectBytes#jsonBytes}). */
    public byte[] compactBytes(Object value) {
        return SubjectBytes.jsonBytes(compact(value));
    }

    /** Go's HTML-safe escaping, with lowercase hex like Go's encoder. */
    private static final class GoEscapes extends CharacterEscapes {
        private final int[] ascii;

        GoEscapes() {
            int[] codes = CharacterEscapes.standardAsciiEscapesForJSON();
            for (int c = 0; c < 0x20; c++) {
                if (c != '\n' && c != '\r' && c != '\t') {
                    codes[c] = ESCAPE_CUSTOM;
                }
            }
            codes['<'] = ESCAPE_CUSTOM;
            codes['>'] = ESCAPE_CUSTOM;
            codes['&'] = ESCAPE_CUSTOM;
            this.ascii = codes;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch < 0x80 && ascii[ch] == ESCAPE_CUSTOM || ch == 0x2028 || ch == 0x2029) {
                return new SerializedString(String.format("\\u%04x", ch));
            }
            return null;
        }
    }
}
