package io.weft.engine.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The template of a scoped signing key ({@code signing_keys} entry of kind {@code user_scope}):
 * a user JWT signed by that key carries no permissions or limits of its own and gets the
 * template's, with the template functions in its subjects filled in from the user and its
 * account, as nats-server 2.15.1 does:
 *
 * <ul>
 *   <li>{@code {{name()}}}: the user JWT's {@code name}; {@code {{subject()}}}: its public key;</li>
 *   <li>{@code {{account-name()}}}: the account JWT's {@code name}; {@code {{account-subject()}}}:
 *       the account's public key (the user's {@code issuer_account});</li>
 *   <li>{@code {{tag(x)}}} / {@code {{account-tag(x)}}}: every value {@code v} of the user's
 *       (account's) tags {@code x:v}; a subject with several such functions is emitted for every
 *       combination of their values (at most {@value #MAX_EXPANSIONS} subjects per list).</li>
 * </ul>
 *
 * Function names are matched without regard to case, with blanks around them ignored. In an
 * allow list, a subject that comes out invalid (a tag the user does not have leaves a blank in it)
 * is dropped; in a deny list it makes the user's connect fail, as does an unknown function
 * anywhere. An allow list that had entries and comes out empty adds {@code >} to the deny list
 * instead, so the user is not let go anywhere.
 */
public final class ScopedTemplate {

    /** nats-server's cap on the subjects one template list may expand to. */
    public static final int MAX_EXPANSIONS = 4096;
    private static final Pattern FUNCTION = Pattern.compile("\\{\\{([^}]+)}}");

    private ScopedTemplate() {
    }

    /** Why a template could not be applied (the connect is refused). */
    public static final class TemplateException extends Exception {
        private static final long serialVersionUID = 1L;

        TemplateException(String message) {
            super(message);
        }
    }

    /** What the template functions see of the user and its account. */
    public record Context(String userName, String userKey, List<String> userTags, String accountName,
                          String accountKey, List<String> accountTags) {
    }

    /**
     * The user claims that replace the scoped user's own: the template with {@code subs},
     * {@code data} and {@code payload} -1 where it does not set them (as nats-io/jwt reads a
     * scope), and its permission subjects expanded.
     */
    public static ObjectNode apply(JsonNode template, Context ctx) throws TemplateException {
        ObjectNode out = template != null && template.isObject() ? ((ObjectNode) template).deepCopy()
                : JsonNodeFactory.instance.objectNode();
        for (String f : List.of("subs", "data", "payload")) {
            if (!out.has(f) || out.get(f).isNull()) {
                out.put(f, -1);
            }
        }
        for (String kind : List.of("sub", "pub")) {
            JsonNode p = out.path(kind);
            List<String> allow = strings(p.path("allow"));
            List<String> deny = strings(p.path("deny"));
            List<String> newAllow = expand(allow, false, ctx);
            List<String> newDeny = expand(deny, true, ctx);
            if (!allow.isEmpty() && newAllow.isEmpty() && !newDeny.contains(">")) {
                newDeny = new ArrayList<>(newDeny);
                newDeny.add(">");
            }
            if (allow.isEmpty() && deny.isEmpty()) {
                continue;
            }
            ObjectNode np = out.putObject(kind);
            if (!newAllow.isEmpty()) {
                ArrayNode a = np.putArray("allow");
                newAllow.forEach(a::add);
            }
            if (!newDeny.isEmpty()) {
                ArrayNode d = np.putArray("deny");
                newDeny.forEach(d::add);
            }
        }
        return out;
    }

    /** The list with every template function filled in; unchanged when none has any. */
    static List<String> expand(List<String> list, boolean failOnBadSubject, Context ctx) throws TemplateException {
        boolean any = false;
        for (String s : list) {
            any |= FUNCTION.matcher(s).find();
        }
        if (!any) {
            return list;
        }
        List<String> out = new ArrayList<>();
        for (String entry : list) {
            List<String> sources = new ArrayList<>();
            List<List<String>> values = new ArrayList<>();
            boolean tags = false;
            Matcher m = FUNCTION.matcher(entry);
            while (m.find()) {
                String op = m.group(1).trim();
                sources.add(m.group());
                String lower = op.toLowerCase(Locale.ROOT);
                if (lower.equals("name()")) {
                    values.add(List.of(ctx.userName()));
                } else if (lower.equals("subject()")) {
                    values.add(List.of(ctx.userKey()));
                } else if (lower.equals("account-name()")) {
                    values.add(List.of(ctx.accountName()));
                } else if (lower.equals("account-subject()")) {
                    values.add(List.of(ctx.accountKey()));
                } else if (tagFunction(op) != null) {
                    tags = true;
                    String[] f = tagFunction(op);
                    List<String> from = f[0].equals("account-tag") ? ctx.accountTags() : ctx.userTags();
                    String prefix = f[1].toLowerCase(Locale.ROOT) + ":";
                    List<String> found = new ArrayList<>();
                    for (String t : from) {
                        if (t.startsWith(prefix)) {
                            found.add(t.substring(prefix.length()));
                        }
                    }
                    if (!found.isEmpty()) {
                        values.add(found);
                    } else if (failOnBadSubject) {
                        throw new TemplateException("generated invalid subject \"" + entry + "\": \"" + f[1] + "\" is not defined");
                    } else {
                        values.add(List.of(" ")); // leaves an invalid subject, dropped below
                    }
                } else {
                    throw new TemplateException("template operation in \"" + entry + "\": \"" + op + "\" is not defined");
                }
            }
            long combinations = 1;
            if (tags) {
                for (List<String> v : values) {
                    combinations *= v.size();
                    if (combinations > MAX_EXPANSIONS) {
                        throw new TemplateException("template expansion exceeds limit: " + MAX_EXPANSIONS);
                    }
                }
                if (out.size() > MAX_EXPANSIONS - combinations) {
                    throw new TemplateException("template expansion exceeds limit: " + MAX_EXPANSIONS);
                }
            }
            int[] index = new int[values.size()];
            for (long c = 0; c < combinations; c++) {
                String subject = entry;
                for (int j = 0; j < sources.size(); j++) {
                    subject = subject.replace(sources.get(j), values.get(j).get(index[j]));
                }
                if (validSubject(subject)) {
                    out.add(subject);
                } else if (failOnBadSubject) {
                    throw new TemplateException("generated invalid subject");
                }
                // the last function's values turn fastest
                for (int j = index.length - 1; j >= 0; j--) {
                    if (++index[j] < values.get(j).size()) {
                        break;
                    }
                    index[j] = 0;
                }
            }
        }
        return out;
    }

    /** {@code {"tag", x}} for {@code tag(x)}, {@code {"account-tag", x}} for {@code account-tag(x)}, else null. */
    private static String[] tagFunction(String op) {
        String lower = op.toLowerCase(Locale.ROOT);
        if (!op.endsWith(")")) {
            return null;
        }
        if (lower.startsWith("tag(")) {
            return new String[] {"tag", op.substring(4, op.length() - 1)};
        }
        if (lower.startsWith("account-tag(")) {
            return new String[] {"account-tag", op.substring(12, op.length() - 1)};
        }
        return null;
    }

    /**
     * nats-server's subject check for permission entries: no empty token, nothing after a
     * {@code >} token, no blank (space, tab, CR, LF, form feed) in it.
     */
    static boolean validSubject(String s) {
        if (s.isEmpty()) {
            return false;
        }
        boolean afterFullWildcard = false;
        for (String t : s.split("\\.", -1)) {
            if (t.isEmpty() || afterFullWildcard) {
                return false;
            }
            for (int i = 0; i < t.length(); i++) {
                char ch = t.charAt(i);
                if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f') {
                    return false;
                }
            }
            if (t.equals(">")) {
                afterFullWildcard = true;
            }
        }
        return true;
    }

    /**
     * Whether a user JWT signed by a scoped key sets nothing the scope decides, as nats-io/jwt's
     * {@code HasEmptyPermissions} sees it: a present list counts even when empty, a {@code resp}
     * object even when all zero, a limit even when -1.
     */
    public static boolean hasEmptyPermissions(JsonNode n) {
        for (String kind : List.of("pub", "sub")) {
            JsonNode p = n.path(kind);
            if (present(p.get("allow")) || present(p.get("deny"))) {
                return false;
            }
        }
        for (String f : List.of("resp", "src", "times", "allowed_connection_types")) {
            if (present(n.get(f))) {
                return false;
            }
        }
        if (!n.path("times_location").asText("").isEmpty()) {
            return false;
        }
        for (String f : List.of("subs", "data", "payload")) {
            if (n.path(f).asLong(0) != 0) {
                return false;
            }
        }
        return !n.path("bearer_token").asBoolean(false) && !n.path("proxy_required").asBoolean(false);
    }

    private static boolean present(JsonNode v) {
        return v != null && !v.isNull();
    }

    static List<String> strings(JsonNode list) {
        List<String> out = new ArrayList<>();
        if (list.isTextual()) {
            out.add(list.asText());
        }
        for (JsonNode s : list) {
            out.add(s.asText());
        }
        return out;
    }
}
