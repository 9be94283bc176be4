package io.weft.engine.jetstream.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.engine.json.GoJsonQuote;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * A {@code pause_until} value as nats-server decodes and prints it: Go's {@code *time.Time} from
 * an RFC 3339 string. {@code text} is how Go marshals the same time back (RFC 3339 with the
 * fraction's trailing zeros trimmed, the client's offset kept, {@code Z} for UTC); {@code epochNanos}
 * is the instant. Go's zero time ({@code 0001-01-01T00:00:00Z}) means "not paused".
 */
record PauseTime(String text, long epochNanos, boolean zero) {
    static final String GO_TYPE = "time.Time";
    static final String LAYOUT = "2006-01-02T15:04:05Z07:00";
    static final String ZERO = "0001-01-01T00:00:00Z";

    /** Thrown with the text nats-server reports after "invalid JSON: ". */
    static final class Invalid extends Exception {
        Invalid(String goError) {
            super(goError, null, false, false);
        }
    }

    /** Decodes field {@code field} of a Go struct {@code goStruct}; null when absent or JSON null. */
    static PauseTime decode(JsonNode v, String goStruct, String field) throws Invalid {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return null;
        }
        if (!v.isTextual()) {
            String kind = v.isNumber() ? "number" : v.isBoolean() ? "bool" : v.isArray() ? "array" : "object";
            throw new Invalid("json: cannot unmarshal " + kind + " into Go struct field " + goStruct + "." + field
                    + " of type " + GO_TYPE);
        }
        return parse(v.asText());
    }

    /** Parses RFC 3339 as Go's {@code time.Time.UnmarshalJSON} does, with Go's error texts for the usual mistakes. */
    static PauseTime parse(String s) throws Invalid {
        Cursor c = new Cursor(s);
        int year = c.digits(4, "2006");
        c.literal('-');
        int month = c.digits(2, "01");
        c.literal('-');
        int day = c.digits(2, "02");
        c.literal('T');
        int hour = c.digits(2, "15");
        c.literal(':');
        int minute = c.digits(2, "04");
        c.literal(':');
        int second = c.digits(2, "05");
        int nanos = 0;
        if (c.peek() == '.' || c.peek() == ',') {
            c.pos++;
            int start = c.pos;
            while (Character.isDigit(c.peek())) {
                c.pos++;
            }
            String frac = s.substring(start, c.pos);
            if (frac.isEmpty() || frac.length() > 9) {
                throw c.fail("Z07:00");
            }
            nanos = Integer.parseInt((frac + "000000000").substring(0, 9));
        }
        int offsetSecs;
        if (c.peek() == 'Z') {
            c.pos++;
            offsetSecs = 0;
        } else if (c.peek() == '+' || c.peek() == '-') {
            int sign = c.peek() == '-' ? -1 : 1;
            int at = c.pos;
            c.pos++;
            if (c.remaining() < 5 || !Character.isDigit(s.charAt(c.pos)) || !Character.isDigit(s.charAt(c.pos + 1))
                    || s.charAt(c.pos + 2) != ':' || !Character.isDigit(s.charAt(c.pos + 3))
                    || !Character.isDigit(s.charAt(c.pos + 4))) {
                c.pos = at;
                throw c.fail("Z07:00");
            }
            int oh = Integer.parseInt(s.substring(c.pos, c.pos + 2));
            int om = Integer.parseInt(s.substring(c.pos + 3, c.pos + 5));
            c.pos += 5;
            offsetSecs = sign * (oh * 3600 + om * 60);
        } else {
            throw c.fail("Z07:00");
        }
        if (c.pos != s.length()) {
            throw new Invalid("parsing time " + GoJsonQuote.go(s) + ": extra text: " + GoJsonQuote.go(s.substring(c.pos)));
        }
        String range = month < 1 || month > 12 ? "month" : hour > 23 ? "hour" : minute > 59 ? "minute"
                : second > 59 ? "second" : null;
        if (range != null) {
            throw new Invalid("parsing time " + GoJsonQuote.go(s) + ": " + range + " out of range");
        }
        LocalDateTime local;
        try {
            local = LocalDateTime.of(year, month, day, hour, minute, second, nanos);
        } catch (DateTimeException e) {
            throw new Invalid("parsing time " + GoJsonQuote.go(s) + ": day out of range");
        }
        long epochSecs = local.toEpochSecond(ZoneOffset.ofTotalSeconds(offsetSecs));
        boolean zero = year == 1 && month == 1 && day == 1 && hour == 0 && minute == 0 && second == 0 && nanos == 0
                && offsetSecs == 0;
        return new PauseTime(format(local, nanos, offsetSecs), epochSecs * 1_000_000_000L + nanos, zero);
    }

    /** The instant in UTC as Go prints {@code t.UTC()} (nats-server's PAUSE reply and advisories). */
    String utc() {
        return zero ? ZERO : Times.instant(epochNanos);
    }

    private static String format(LocalDateTime t, int nanos, int offsetSecs) {
        StringBuilder sb = new StringBuilder(40);
        sb.append(String.format("%04d-%02d-%02dT%02d:%02d:%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth(),
                t.getHour(), t.getMinute(), t.getSecond()));
        if (nanos != 0) {
            String f = String.format("%09d", nanos);
            int end = f.length();
            while (f.charAt(end - 1) == '0') {
                end--;
            }
            sb.append('.').append(f, 0, end);
        }
        if (offsetSecs == 0) {
            return sb.append('Z').toString();
        }
        int a = Math.abs(offsetSecs);
        return sb.append(offsetSecs < 0 ? '-' : '+').append(String.format("%02d:%02d", a / 3600, (a / 60) % 60)).toString();
    }

    private static final class Cursor {
        final String s;
        int pos;

        Cursor(String s) {
            this.s = s;
        }

        char peek() {
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        int remaining() {
            return s.length() - pos;
        }

        int digits(int n, String element) throws Invalid {
            if (remaining() < n) {
                throw fail(element);
            }
            for (int i = 0; i < n; i++) {
                if (!Character.isDigit(s.charAt(pos + i))) {
                    throw fail(element);
                }
            }
            int v = Integer.parseInt(s.substring(pos, pos + n));
            pos += n;
            return v;
        }

        void literal(char ch) throws Invalid {
            if (peek() != ch) {
                throw fail(String.valueOf(ch));
            }
            pos++;
        }

        Invalid fail(String element) {
            return new Invalid("parsing time " + GoJsonQuote.go(s) + " as " + GoJsonQuote.go(LAYOUT) + ": cannot parse "
                    + GoJsonQuote.go(s.substring(pos)) + " as " + GoJsonQuote.go(element));
        }
    }
}
