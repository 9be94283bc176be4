package io.weft.engine.mapping;

import io.weft.store.Subjects;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One compiled subject transform: a source subject and a destination. Destination tokens are
 * literals, {@code $N} and {@code {{wildcard(N)}}} (the N-th {@code *} of the source), a trailing
 * {@code >} (the rest of a source ending in {@code >}), and the functions nats-server's mappings
 * know: {@code partition(n, wc...)}, {@code splitFromLeft/Right(wc, pos)},
 * {@code sliceFromLeft/Right(wc, size)}, {@code split(wc, delimiter)}, {@code left/right(wc, n)}
 * and {@code random(n)}. As in nats-server only the first letter of each word of a function's
 * name may change case ({@code splitfromleft}, {@code SplitFromLeft}).
 *
 * <p>Compile errors carry nats-server's wording ({@code invalid mapping destination: wildcard
 * index out of range in $2: [2]}). Immutable; {@link #apply} may run on any thread.
 */
public final class SubjectTransform {
    private enum Kind { LITERAL, WILDCARD, TAIL, PARTITION, SPLIT_LEFT, SPLIT_RIGHT, SLICE_LEFT, SLICE_RIGHT, SPLIT,
        LEFT, RIGHT, RANDOM }

    /** One destination token: its kind, the source wildcard positions it reads, its number and text arguments. */
    private record Part(Kind kind, String literal, int[] wildcards, int number) {
    }

    private static final Pattern WILDCARD = fn("[wW]ildcard");
    private static final Pattern PARTITION = fn("[pP]artition");
    private static final Pattern SPLIT_LEFT = fn("[sS]plit[fF]rom[lL]eft");
    private static final Pattern SPLIT_RIGHT = fn("[sS]plit[fF]rom[rR]ight");
    private static final Pattern SLICE_LEFT = fn("[sS]lice[fF]rom[lL]eft");
    private static final Pattern SLICE_RIGHT = fn("[sS]lice[fF]rom[rR]ight");
    private static final Pattern SPLIT = fn("[sS]plit");
    private static final Pattern LEFT = fn("[lL]eft");
    private static final Pattern RIGHT = fn("[rR]ight");
    private static final Pattern RANDOM = fn("[rR]andom");
    private static final String INVALID = "invalid mapping destination: ";

    private static Pattern fn(String name) {
        return Pattern.compile("\\{\\{\\s*" + name + "\\s*\\((.*)\\)\\s*}}");
    }

    private final String source;
    private final String destination;
    /** Token index in the subject of each {@code *} of the source, in order. */
    private final int[] starAt;
    /** Token index of the source's {@code >}, or -1. */
    private final int tailAt;
    private final Part[] parts;
    private final boolean identity;
    /** Per destination token: the number of the source '*' it copies, 0 for the '>' tail, -1 otherwise. */
    private int[] starRefs = new int[0];
    private String[] destTokens = new String[0];

    private SubjectTransform(String source, String destination, int[] starAt, int tailAt, Part[] parts, boolean identity) {
        this.source = source;
        this.destination = destination;
        this.starAt = starAt;
        this.tailAt = tailAt;
        this.parts = parts;
        this.identity = identity;
    }

    public String source() {
        return source;
    }

    public String destination() {
        return destination;
    }

    /** A mapping's transform ({@code mappings}, stream import {@code to}): tokens may be dropped. */
    public static SubjectTransform compile(String source, String destination) throws MappingException {
        return compile(source, destination, false);
    }

    /**
     * With {@code strict} (service and stream imports as nats-server checks them) only
     * {@code $N}/{@code wildcard(N)} may be used and every {@code *} of the source must appear.
     */
    public static SubjectTransform compile(String source, String destination, boolean strict) throws MappingException {
        if (!Subjects.isValidSubject(source)) {
            throw new MappingException("invalid subject");
        }
        String[] src = source.split("\\.", -1);
        List<Integer> stars = new ArrayList<>();
        int tail = -1;
        for (int i = 0; i < src.length; i++) {
            if (src[i].equals("*")) {
                stars.add(i);
            } else if (src[i].equals(">")) {
                tail = i;
            }
        }
        int[] starAt = stars.stream().mapToInt(Integer::intValue).toArray();
        if (destination == null || destination.isEmpty()) {
            return new SubjectTransform(source, source, starAt, tail, new Part[0], true);
        }
        List<String> tokens = tokenize(destination);
        Part[] parts = new Part[tokens.size()];
        boolean[] used = new boolean[starAt.length + 1];
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t.isEmpty()) {
                throw new MappingException(INVALID + "invalid transform");
            }
            if (t.equals("*")) {
                throw new MappingException("invalid subject");
            }
            if (t.equals(">")) {
                if (tail < 0 || i != tokens.size() - 1) {
                    throw new MappingException("invalid subject");
                }
                parts[i] = new Part(Kind.TAIL, null, new int[0], 0);
                continue;
            }
            Part p = part(t, starAt.length, strict);
            if (p.kind == Kind.LITERAL) {
                if (!t.contains("{{") && !Subjects.isValidLiteralSubject(t)) {
                    throw new MappingException(INVALID + "invalid transform");
                }
            }
            for (int w : p.wildcards) {
                used[w] = true;
            }
            parts[i] = p;
        }
        if (tail >= 0 && (parts.length == 0 || parts[parts.length - 1].kind != Kind.TAIL)) {
            throw new MappingException("invalid subject");
        }
        if (strict) {
            for (int w = 1; w <= starAt.length; w++) {
                if (!used[w]) {
                    throw new MappingException(INVALID + "not using all of the token wildcard(s) in " + destination);
                }
            }
        }
        int[] starRefs = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            starRefs[i] = parts[i].kind == Kind.WILDCARD ? parts[i].wildcards[0] : parts[i].kind == Kind.TAIL ? 0 : -1;
        }
        for (int i = 0; i < parts.length; i++) {
            // the reference is to a '*' by number; the transform reads the token at its position
            Part p = parts[i];
            if (p.wildcards.length > 0) {
                int[] at = new int[p.wildcards.length];
                for (int j = 0; j < at.length; j++) {
                    at[j] = starAt[p.wildcards[j] - 1];
                }
                parts[i] = new Part(p.kind, p.literal, at, p.number);
            }
        }
        SubjectTransform t = new SubjectTransform(source, destination, starAt, tail, parts, false);
        t.starRefs = starRefs;
        t.destTokens = tokens.toArray(new String[0]);
        return t;
    }

    /**
     * The transform of an import from the imported {@code subject} to the importer's {@code to}
     * (strict); a {@code *} of {@code to} stands for the source's wildcard of the same rank, as
     * nats-server reads it.
     */
    public static SubjectTransform forImport(String subject, String to) throws MappingException {
        if (to == null || to.isEmpty() || to.equals(subject)) {
            return compile(subject, "", true);
        }
        String[] t = to.split("\\.", -1);
        int star = 0;
        for (int i = 0; i < t.length; i++) {
            if (t[i].equals("*")) {
                t[i] = "$" + (++star);
            }
        }
        return compile(subject, String.join(".", t), true);
    }

    /**
     * The transform back, of a strict one (a service import's local subject to the exported one):
     * its source is the destination with each wildcard reference as {@code *}, its destination the
     * source with each {@code *} as the reference to where it went.
     */
    public SubjectTransform reverse() throws MappingException {
        if (identity) {
            return this;
        }
        StringBuilder src = new StringBuilder();
        int[] ordinalOfStar = new int[starAt.length + 1];
        int ordinal = 0;
        for (int i = 0; i < destTokens.length; i++) {
            if (i > 0) {
                src.append('.');
            }
            int r = starRefs[i];
            if (r > 0) {
                src.append('*');
                ordinal++;
                if (ordinalOfStar[r] == 0) {
                    ordinalOfStar[r] = ordinal;
                }
            } else if (r == 0) {
                src.append('>');
            } else {
                src.append(destTokens[i]);
            }
        }
        String[] srcTokens = source.split("\\.", -1);
        StringBuilder dst = new StringBuilder();
        int star = 0;
        for (int i = 0; i < srcTokens.length; i++) {
            if (i > 0) {
                dst.append('.');
            }
            if (srcTokens[i].equals("*")) {
                dst.append('$').append(ordinalOfStar[++star]);
            } else {
                dst.append(srcTokens[i]);
            }
        }
        return compile(src.toString(), dst.toString(), false);
    }

    /** Splits at the dots outside {@code {{ }}} (a function's text argument may hold a dot). */
    private static List<String> tokenize(String dest) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < dest.length(); i++) {
            char c = dest.charAt(i);
            if (c == '{' && i + 1 < dest.length() && dest.charAt(i + 1) == '{') {
                depth++;
                cur.append("{{");
                i++;
            } else if (c == '}' && depth > 0 && i + 1 < dest.length() && dest.charAt(i + 1) == '}') {
                depth--;
                cur.append("}}");
                i++;
            } else if (c == '.' && depth == 0) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    private static Part part(String t, int stars, boolean strict) throws MappingException {
        if (t.length() > 1 && t.charAt(0) == '$' && t.substring(1).chars().allMatch(Character::isDigit)) {
            int n = parseOr(t.substring(1), -1);
            if (n == 0) {
                return new Part(Kind.LITERAL, t, new int[0], 0);
            }
            if (n > stars || n < 0) {
                throw new MappingException(INVALID + "wildcard index out of range in " + t + ": [" + n + "]");
            }
            return new Part(Kind.WILDCARD, null, new int[] {n}, 0);
        }
        Matcher m = WILDCARD.matcher(t);
        if (m.find()) {
            List<String> args = args(m.group(1));
            if (args.isEmpty()) {
                throw notEnough(t);
            }
            if (args.size() > 1) {
                throw tooMany(t);
            }
            int n = integer(args.get(0), t);
            return new Part(Kind.WILDCARD, null, new int[] {index(n, stars, t)}, 0);
        }
        if (!t.contains("{{")) {
            return new Part(Kind.LITERAL, t, new int[0], 0);
        }
        if (strict) {
            throw new MappingException(INVALID + "the only mapping function allowed for import transforms is {{Wildcard()}} in " + t);
        }
        if ((m = PARTITION.matcher(t)).find()) {
            List<String> args = args(m.group(1));
            if (args.isEmpty()) {
                throw invalidArg(t);
            }
            int n = integer(args.get(0), t);
            int[] w = new int[args.size() - 1];
            for (int i = 1; i < args.size(); i++) {
                w[i - 1] = index(integer(args.get(i), t), stars, t);
            }
            return new Part(Kind.PARTITION, null, w, n);
        }
        Kind two = null;
        if ((m = SPLIT_LEFT.matcher(t)).find()) {
            two = Kind.SPLIT_LEFT;
        } else if ((m = SPLIT_RIGHT.matcher(t)).find()) {
            two = Kind.SPLIT_RIGHT;
        } else if ((m = SLICE_LEFT.matcher(t)).find()) {
            two = Kind.SLICE_LEFT;
        } else if ((m = SLICE_RIGHT.matcher(t)).find()) {
            two = Kind.SLICE_RIGHT;
        } else if ((m = SPLIT.matcher(t)).find()) {
            two = Kind.SPLIT;
        } else if ((m = LEFT.matcher(t)).find()) {
            two = Kind.LEFT;
        } else if ((m = RIGHT.matcher(t)).find()) {
            two = Kind.RIGHT;
        }
        if (two != null) {
            List<String> args = args(m.group(1));
            if (args.size() < 2) {
                throw notEnough(t);
            }
            if (args.size() > 2) {
                throw tooMany(t);
            }
            int w = index(integer(args.get(0), t), stars, t);
            if (two == Kind.SPLIT) {
                return new Part(two, args.get(1), new int[] {w}, 0);
            }
            return new Part(two, null, new int[] {w}, integer(args.get(1), t));
        }
        if ((m = RANDOM.matcher(t)).find()) {
            List<String> args = args(m.group(1));
            if (args.isEmpty()) {
                throw invalidArg(t);
            }
            if (args.size() > 1) {
                throw tooMany(t);
            }
            return new Part(Kind.RANDOM, null, new int[0], integer(args.get(0), t));
        }
        if (t.startsWith("{{") && t.endsWith("}}")) {
            throw new MappingException(INVALID + "unknown function in " + t);
        }
        return new Part(Kind.LITERAL, t, new int[0], 0);
    }

    private static List<String> args(String inside) {
        List<String> out = new ArrayList<>();
        if (inside.trim().isEmpty()) {
            return out;
        }
        for (String a : inside.split(",", -1)) {
            out.add(a.trim());
        }
        return out;
    }

    private static int integer(String s, String token) throws MappingException {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw invalidArg(token);
        }
    }

    private static int index(int n, int stars, String token) throws MappingException {
        if (n < 1 || n > stars) {
            throw new MappingException(INVALID + "wildcard index out of range in " + token + ": [" + n + "]");
        }
        return n;
    }

    private static int parseOr(String s, int fallback) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static MappingException notEnough(String t) {
        return new MappingException(INVALID + "not enough arguments passed to the function in " + t);
    }

    private static MappingException tooMany(String t) {
        return new MappingException(INVALID + "too many arguments passed to the function in " + t);
    }

    private static MappingException invalidArg(String t) {
        return new MappingException(INVALID + "function argument is invalid or in the wrong format in " + t);
    }

    /** True if {@code subject} (literal) is one the source takes. */
    public boolean matches(String subject) {
        return Subjects.matches(source, subject);
    }

    /** The transformed subject of a literal subject the source matches; {@code random} uses {@code random(bound)}. */
    public String apply(String subject, IntUnaryOperator random) {
        if (identity) {
            return subject;
        }
        String[] tokens = subject.split("\\.", -1);
        StringBuilder b = new StringBuilder(subject.length() + 16);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                b.append('.');
            }
            Part p = parts[i];
            switch (p.kind) {
                case LITERAL -> b.append(p.literal);
                case WILDCARD -> b.append(tokens[p.wildcards[0]]);
                case TAIL -> {
                    for (int j = tailAt; j < tokens.length; j++) {
                        if (j > tailAt) {
                            b.append('.');
                        }
                        b.append(tokens[j]);
                    }
                }
                case PARTITION -> b.append(partition(p, subject, tokens));
                case SPLIT_LEFT -> {
                    String t = tokens[p.wildcards[0]];
                    int at = p.number;
                    b.append(at > 0 && at < t.length() ? t.substring(0, at) + "." + t.substring(at) : t);
                }
                case SPLIT_RIGHT -> {
                    String t = tokens[p.wildcards[0]];
                    int at = t.length() - p.number;
                    b.append(p.number > 0 && at > 0 ? t.substring(0, at) + "." + t.substring(at) : t);
                }
                case SLICE_LEFT -> b.append(sliceLeft(tokens[p.wildcards[0]], p.number));
                case SLICE_RIGHT -> b.append(sliceRight(tokens[p.wildcards[0]], p.number));
                case SPLIT -> b.append(split(tokens[p.wildcards[0]], p.literal));
                case LEFT -> {
                    String t = tokens[p.wildcards[0]];
                    b.append(p.number >= 0 && p.number < t.length() ? t.substring(0, p.number) : t);
                }
                case RIGHT -> {
                    String t = tokens[p.wildcards[0]];
                    b.append(p.number >= 0 && p.number < t.length() ? t.substring(t.length() - p.number) : t);
                }
                case RANDOM -> b.append(p.number <= 0 ? 0 : random.applyAsInt(p.number));
            }
        }
        return b.toString();
    }

    /** FNV-1a (32 bits) of the named wildcard tokens, joined without separator (the subject when none), modulo n. */
    private static String partition(Part p, String subject, String[] tokens) {
        if (p.number <= 0) {
            return "0";
        }
        int h = 0x811c9dc5;
        if (p.wildcards.length == 0) {
            h = fnv(h, subject);
        } else {
            for (int at : p.wildcards) {
                h = fnv(h, tokens[at]);
            }
        }
        return Long.toString(Integer.toUnsignedLong(h) % p.number);
    }

    private static int fnv(int h, String s) {
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= x & 0xff;
            h *= 0x01000193;
        }
        return h;
    }

    private static String sliceLeft(String t, int size) {
        if (size <= 0 || size >= t.length()) {
            return t;
        }
        StringBuilder b = new StringBuilder(t.length() + t.length() / size);
        for (int i = 0; i < t.length(); i += size) {
            if (i > 0) {
                b.append('.');
            }
            b.append(t, i, Math.min(t.length(), i + size));
        }
        return b.toString();
    }

    private static String sliceRight(String t, int size) {
        if (size <= 0 || size >= t.length()) {
            return t;
        }
        StringBuilder b = new StringBuilder(t.length() + t.length() / size);
        int first = t.length() % size;
        if (first > 0) {
            b.append(t, 0, first);
        }
        for (int i = first; i < t.length(); i += size) {
            if (i > 0) {
                b.append('.');
            }
            b.append(t, i, i + size);
        }
        return b.toString();
    }

    /**
     * The parts of {@code t} between delimiters joined by dots, empty parts left out; a dot is
     * written before a non-empty part unless the part before it is the first and empty (so
     * {@code "-a"} gives {@code a}, and {@code "--a"} gives {@code .a}, as nats-server does).
     */
    private static String split(String t, String delimiter) {
        List<String> pieces = new ArrayList<>();
        if (delimiter.isEmpty()) {
            t.codePoints().forEach(cp -> pieces.add(new String(Character.toChars(cp))));
        } else {
            int from = 0;
            while (true) {
                int at = t.indexOf(delimiter, from);
                if (at < 0) {
                    pieces.add(t.substring(from));
                    break;
                }
                pieces.add(t.substring(from, at));
                from = at + delimiter.length();
            }
        }
        StringBuilder b = new StringBuilder(t.length());
        for (int j = 0; j < pieces.size(); j++) {
            String piece = pieces.get(j);
            b.append(piece);
            if (j < pieces.size() - 1 && !pieces.get(j + 1).isEmpty() && !(j == 0 && piece.isEmpty())) {
                b.append('.');
            }
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return source + " -> " + destination;
    }
}
