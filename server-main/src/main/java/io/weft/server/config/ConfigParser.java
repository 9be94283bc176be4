package io.weft.server.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses nats-server's configuration format into an ordered tree of {@link ConfigValue}s that
 * remember where each value came from.
 *
 * <p>Accepted syntax: {@code key: value}, {@code key = value}, {@code key value}; blocks
 * {@code { }} (optionally preceded by {@code :} or {@code =}); arrays {@code [ ]} separated by
 * commas or newlines; double-quoted strings with the escapes {@code \t \n \r \" \\ \xXX};
 * single-quoted raw strings; unquoted strings; integers, floats, booleans
 * ({@code true/false/yes/no/on/off}, any case); integers with size suffixes ({@code k m g t p e}
 * are powers of 1000, {@code kb ki kib mb ...} powers of 1024, any case, as nats-server);
 * comments {@code #} and {@code //}; entries separated by newlines, {@code ,} or {@code ;};
 * {@code include path} (relative to the including file's directory); {@code $name} variables,
 * resolved against keys defined earlier in the same or an enclosing block, then the environment
 * (whose value is itself parsed as a config value, as nats-server does).
 *
 * <p>As in nats-server, an unquoted {@code 2m} is the integer 2,000,000 (size suffix), not two
 * minutes; durations must be written {@code "2m"} or with a unit that is not a size suffix
 * ({@code 10s}, {@code 500ms}, {@code 1h30m}).
 */
public final class ConfigParser {
    private static final int MAX_INCLUDE_DEPTH = 10;
    private static final int MAX_NESTING = 200;
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");
    private static final Pattern FLOAT = Pattern.compile("-?[0-9]+\\.[0-9]+");
    private static final Pattern SIZE = Pattern.compile("(-?[0-9]+)([kmgtpe])(b|i|ib)?", Pattern.CASE_INSENSITIVE);

    private final Function<String, String> env;

    /** A parser that resolves unknown variables from the process environment. */
    public ConfigParser() {
        this(System::getenv);
    }

    /** A parser that resolves unknown variables with {@code env} (returns null when unset). */
    public ConfigParser(Function<String, String> env) {
        this.env = Objects.requireNonNull(env);
    }

    /** Parses a file; positions name the file as {@code file} is spelled. */
    public ConfigMap parseFile(Path file) {
        return parseFile(file, 0);
    }

    /**
     * Parses text. {@code fileName} is used in positions; includes are resolved against
     * {@code baseDir} (the working directory when null).
     */
    public ConfigMap parseString(String text, String fileName, Path baseDir) {
        return new Run(text, fileName, baseDir == null ? Path.of("") : baseDir, 0).parseTop();
    }

    private ConfigMap parseFile(Path file, int depth) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(null, "error opening config file '" + file + "': " + describe(e));
        }
        Path parent = file.toAbsolutePath().getParent();
        return new Run(text, file.toString(), parent == null ? Path.of("") : parent, depth).parseTop();
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Classifies an unquoted token the way nats-server's lexer does. */
    static ConfigScalar classify(Position pos, String token) {
        String lower = token.toLowerCase(Locale.ROOT);
        switch (lower) {
            case "true", "yes", "on" -> {
                return new ConfigScalar(pos, ConfigScalar.Kind.BOOLEAN, Boolean.TRUE, token);
            }
            case "false", "no", "off" -> {
                return new ConfigScalar(pos, ConfigScalar.Kind.BOOLEAN, Boolean.FALSE, token);
            }
            default -> { }
        }
        if (INTEGER.matcher(token).matches()) {
            try {
                return new ConfigScalar(pos, ConfigScalar.Kind.INTEGER, Long.parseLong(token), token);
            } catch (NumberFormatException e) {
                throw new ConfigException(pos, "integer '" + token + "' is out of range");
            }
        }
        if (FLOAT.matcher(token).matches()) {
            return new ConfigScalar(pos, ConfigScalar.Kind.FLOAT, Double.parseDouble(token), token);
        }
        Matcher m = SIZE.matcher(token);
        if (m.matches()) {
            long base = 1000;
            if (m.group(3) != null) {
                base = 1024;
            }
            int power = "kmgtpe".indexOf(Character.toLowerCase(m.group(2).charAt(0))) + 1;
            try {
                long v = Long.parseLong(m.group(1));
                for (int i = 0; i < power; i++) {
                    v = Math.multiplyExact(v, base);
                }
                return new ConfigScalar(pos, ConfigScalar.Kind.INTEGER, v, token);
            } catch (NumberFormatException | ArithmeticException e) {
                throw new ConfigException(pos, "size '" + token + "' is out of range");
            }
        }
        return new ConfigScalar(pos, ConfigScalar.Kind.STRING, token, token);
    }

    /** One pass over one file's text. */
    private final class Run {
        private final String text;
        private final String fileName;
        private final Path baseDir;
        private final int includeDepth;
        private final Deque<ConfigMap> scopes = new ArrayDeque<>();
        private int pos;
        private int line = 1;
        private int col = 1;
        private int nesting;

        Run(String text, String fileName, Path baseDir, int includeDepth) {
            this.text = text;
            this.fileName = fileName;
            this.baseDir = baseDir;
            this.includeDepth = includeDepth;
        }

        ConfigMap parseTop() {
            // A byte order mark is not content.
            if (text.startsWith("\uFEFF")) {
                advance();
                col = 1;
            }
            ConfigMap top = new ConfigMap(here());
            scopes.push(top);
            parseMapBody(top, (char) 0);
            scopes.pop();
            return top;
        }

        private Position here() {
            return new Position(fileName, line, col);
        }

        private ConfigException error(Position at, String message) {
            return new ConfigException(at, message);
        }

        private boolean eof() {
            return pos >= text.length();
        }

        private char peek() {
            return text.charAt(pos);
        }

        private boolean startsWithAt(String s) {
            return text.startsWith(s, pos);
        }

        private char advance() {
            char c = text.charAt(pos++);
            if (c == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
            return c;
        }

        private static boolean isSpace(char c) {
            return c == ' ' || c == '\t' || c == '\r';
        }

        private String describeNext() {
            if (eof()) {
                return "end of file";
            }
            char c = peek();
            if (c == '\n') {
                return "end of line";
            }
            return "'" + c + "'";
        }

        private void skipSpaces() {
            while (!eof() && isSpace(peek())) {
                advance();
            }
        }

        private boolean atComment() {
            return !eof() && (peek() == '#' || startsWithAt("//"));
        }

        private void skipComment() {
            while (!eof() && peek() != '\n') {
                advance();
            }
        }

        /** Skips whitespace, newlines, comments and the given separators. */
        private void skipBlank(String separators) {
            while (!eof()) {
                char c = peek();
                if (isSpace(c) || c == '\n' || separators.indexOf(c) >= 0) {
                    advance();
                } else if (atComment()) {
                    skipComment();
                } else {
                    return;
                }
            }
        }

        private void parseMapBody(ConfigMap map, char closer) {
            while (true) {
                skipBlank(",;");
                if (eof()) {
                    if (closer != 0) {
                        throw error(here(), "unexpected end of file, expected '" + closer + "' to close the block opened at "
                                + map.position());
                    }
                    return;
                }
                char c = peek();
                if (c == closer) {
                    advance();
                    return;
                }
                if (c == '}' || c == ']' || c == '{' || c == '[' || c == ':' || c == '=') {
                    throw error(here(), "unexpected '" + c + "', expected a key");
                }
                Position keyPos = here();
                boolean quoted = c == '"' || c == '\'';
                String key = quoted ? readQuoted() : readKey();
                skipSpaces();
                if (!quoted && key.equals("include") && !eof() && peek() != ':' && peek() != '=' && peek() != '\n'
                        && !atComment()) {
                    include(map, keyPos);
                } else {
                    if (!eof() && (peek() == ':' || peek() == '=')) {
                        advance();
                        skipSpaces();
                    }
                    ConfigValue value = parseValue(key);
                    map.put(new ConfigMap.Entry(key, keyPos, value));
                }
                endOfValue(closer, "block");
            }
        }

        /** After a value only blanks, a separator, a comment, the closer or a newline may follow. */
        private void endOfValue(char closer, String where) {
            skipSpaces();
            if (eof() || atComment()) {
                return;
            }
            char c = peek();
            if (c == '\n' || c == ',' || c == ';' || (closer != 0 && c == closer)) {
                return;
            }
            String expected = closer == 0 ? "a newline, ',' or ';'" : "a newline, ',', ';' or '" + closer + "'";
            throw error(here(), "expected " + expected + " after a value in the " + where + ", got " + describeNext());
        }

        private String readKey() {
            int start = pos;
            while (!eof()) {
                char c = peek();
                if (isSpace(c) || c == '\n' || c == ':' || c == '=' || c == '{' || c == '[' || c == '}' || c == ']'
                        || c == ',' || c == ';' || c == '#') {
                    break;
                }
                advance();
            }
            return text.substring(start, pos);
        }

        private void include(ConfigMap map, Position at) {
            Position pathPos = here();
            String path;
            if (peek() == '"' || peek() == '\'') {
                path = readQuoted();
            } else {
                path = readUnquoted();
            }
            if (path.isEmpty()) {
                throw error(pathPos, "include needs a file path");
            }
            if (includeDepth >= MAX_INCLUDE_DEPTH) {
                throw error(at, "includes nested more than " + MAX_INCLUDE_DEPTH + " deep (an include cycle?)");
            }
            Path target;
            try {
                target = baseDir.resolve(path);
            } catch (RuntimeException e) {
                throw error(pathPos, "bad include path '" + path + "': " + describe(e));
            }
            ConfigMap included;
            try {
                included = parseFile(target, includeDepth + 1);
            } catch (ConfigException e) {
                List<String> problems = new ArrayList<>();
                for (String p : e.problems()) {
                    problems.add(p.startsWith("error opening config file") ? at + ": error parsing include file '" + path
                            + "': " + p : p);
                }
                throw new ConfigException(problems);
            }
            for (ConfigMap.Entry e : included.entries()) {
                map.put(e);
                if (included.isUsedAsVariable(e.key())) {
                    map.markUsedAsVariable(e.key());
                }
            }
        }

        private ConfigValue parseValue(String key) {
            Position at = here();
            if (eof() || peek() == '\n' || atComment()) {
                throw error(at, "missing value for key '" + key + "'");
            }
            char c = peek();
            switch (c) {
                case '{' -> {
                    advance();
                    enterNesting(at);
                    ConfigMap m = new ConfigMap(at);
                    scopes.push(m);
                    parseMapBody(m, '}');
                    scopes.pop();
                    nesting--;
                    return m;
                }
                case '[' -> {
                    advance();
                    enterNesting(at);
                    ConfigList l = parseArray(at, key);
                    nesting--;
                    return l;
                }
                case '"', '\'' -> {
                    String s = readQuoted();
                    return new ConfigScalar(at, ConfigScalar.Kind.STRING, s, s);
                }
                case '$' -> {
                    advance();
                    String name = readUnquoted();
                    if (name.isEmpty()) {
                        throw error(at, "'$' must be followed by a variable name");
                    }
                    if (Character.isDigit(name.charAt(0))) {
                        // A bcrypt hash such as $2a$11$..., not a variable (as nats-server treats it).
                        String literal = "$" + name;
                        return new ConfigScalar(at, ConfigScalar.Kind.STRING, literal, literal);
                    }
                    return resolveVariable(name, at);
                }
                case '}', ']', ',', ';', '=', ':' -> throw error(at, "unexpected '" + c + "', expected a value for key '" + key + "'");
                default -> {
                    return classify(at, readUnquoted());
                }
            }
        }

        private void enterNesting(Position at) {
            if (++nesting > MAX_NESTING) {
                throw error(at, "blocks and arrays nested more than " + MAX_NESTING + " deep");
            }
        }

        private ConfigList parseArray(Position at, String key) {
            List<ConfigValue> items = new ArrayList<>();
            while (true) {
                skipBlank(",");
                if (eof()) {
                    throw error(here(), "unexpected end of file, expected ']' to close the array opened at " + at);
                }
                if (peek() == ']') {
                    advance();
                    return new ConfigList(at, items);
                }
                items.add(parseValue(key));
                skipSpaces();
                if (!eof() && !atComment() && peek() != ',' && peek() != '\n' && peek() != ']') {
                    throw error(here(), "expected ',', a newline or ']' after an array element, got " + describeNext());
                }
            }
        }

        /** An unquoted value or include path: up to blank, newline, separator, closer or comment. */
        private String readUnquoted() {
            int start = pos;
            while (!eof()) {
                char c = peek();
                if (isSpace(c) || c == '\n' || c == ',' || c == ';' || c == '}' || c == ']' || c == '#') {
                    break;
                }
                advance();
            }
            return text.substring(start, pos);
        }

        private String readQuoted() {
            Position at = here();
            char quote = advance();
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (eof()) {
                    throw error(at, "unterminated quoted string");
                }
                char c = advance();
                if (c == quote) {
                    return sb.toString();
                }
                if (c == '\n') {
                    throw error(at, "unterminated quoted string (strings cannot span lines)");
                }
                if (c == '\\' && quote == '"') {
                    Position escAt = new Position(fileName, line, col - 1);
                    if (eof()) {
                        throw error(at, "unterminated quoted string");
                    }
                    char e = advance();
                    switch (e) {
                        case 't' -> sb.append('\t');
                        case 'n' -> sb.append('\n');
                        case 'r' -> sb.append('\r');
                        case '"' -> sb.append('"');
                        case '\\' -> sb.append('\\');
                        case 'x' -> sb.append(hexByte(escAt));
                        default -> throw error(escAt, "invalid escape '\\" + e
                                + "'; allowed escapes are \\xXX, \\t, \\n, \\r, \\\" and \\\\");
                    }
                } else {
                    sb.append(c);
                }
            }
        }

        private char hexByte(Position at) {
            if (pos + 2 > text.length()) {
                throw error(at, "\\x must be followed by two hex digits");
            }
            int hi = Character.digit(text.charAt(pos), 16);
            int lo = Character.digit(text.charAt(pos + 1), 16);
            if (hi < 0 || lo < 0) {
                throw error(at, "\\x must be followed by two hex digits");
            }
            advance();
            advance();
            return (char) (hi * 16 + lo);
        }

        private ConfigValue resolveVariable(String name, Position at) {
            Iterator<ConfigMap> it = scopes.iterator();
            while (it.hasNext()) {
                ConfigMap scope = it.next();
                ConfigMap.Entry e = scope.get(name);
                if (e != null) {
                    scope.markUsedAsVariable(name);
                    ConfigValue v = e.value();
                    if (v instanceof ConfigScalar s) {
                        return new ConfigScalar(at, s.kind(), s.value(), s.raw());
                    }
                    return v;
                }
            }
            String fromEnv = env.apply(name);
            if (fromEnv == null) {
                throw error(at, "variable reference for '" + name + "' can not be found");
            }
            return envValue(name, fromEnv, at);
        }

        private ConfigValue envValue(String name, String raw, Position at) {
            if (includeDepth >= MAX_INCLUDE_DEPTH) {
                throw error(at, "environment variable '" + name + "' expands too deeply");
            }
            ConfigMap parsed;
            try {
                parsed = new Run("v=" + raw + "\n", "$" + name, baseDir, includeDepth + 1).parseTop();
            } catch (ConfigException e) {
                return new ConfigScalar(at, ConfigScalar.Kind.STRING, raw, raw);
            }
            ConfigMap.Entry e = parsed.get("v");
            if (e == null || parsed.size() != 1) {
                return new ConfigScalar(at, ConfigScalar.Kind.STRING, raw, raw);
            }
            if (e.value() instanceof ConfigScalar s) {
                return new ConfigScalar(at, s.kind(), s.value(), s.raw());
            }
            return e.value();
        }
    }
}
