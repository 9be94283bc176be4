package io.weft.engine.auth;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Authentication and account settings as read from flags and the config file. All fields are
 * optional; an empty AuthConfig means no authentication and one global account.
 */
public final class AuthConfig {
    /** Single token ({@code authorization { token: ... }} or {@code --auth}); plain or bcrypt. */
    public String token;
    /** Single user ({@code authorization { user, password }} or {@code --user/--pass}). */
    public String user;
    public String password;
    /** Permissions applied to the single user/token, or the default for {@link #users}. */
    public Permissions defaultPermissions;
    /** {@code authorization { users: [...] }} and users of {@code accounts}. */
    public List<User> users = new ArrayList<>();
    /** Nkey users, from {@code authorization { users: [{nkey: ...}] }} and accounts. */
    public List<NkeyUser> nkeys = new ArrayList<>();
    /** Accounts by name ({@code accounts { A: { users: [...] } }}). */
    public Map<String, AccountConfig> accounts = new LinkedHashMap<>();
    /** User to bind connections that present no credentials to. */
    public String noAuthUser;
    /** Authorization timeout override from the authorization block, seconds; null = server default. */
    public Double timeoutSeconds;
    /**
     * {@code tls { verify_and_map }}: a client is the user named by its certificate (an email or
     * DNS subject alternative name, or the subject DN), not by what its CONNECT says.
     */
    public boolean certificateMapping;
    /** Account name -> its {@code exports}. */
    public Map<String, List<Exports.Export>> exports = new LinkedHashMap<>();
    /** Account name -> its {@code imports}. */
    public Map<String, List<Exports.Import>> imports = new LinkedHashMap<>();
    /** Account name -> its subject {@code mappings} ({@code $G} for the top-level block), in file order. */
    public Map<String, List<io.weft.engine.mapping.Mapping>> mappings = new LinkedHashMap<>();
    /** Account name -> its {@code msg_trace { dest, sampling }}: where sampled W3C {@code traceparent} messages are traced. */
    public Map<String, MsgTraceConfig> msgTrace = new LinkedHashMap<>();

    /** An account's {@code msg_trace}: the trace destination and the percentage (1..100) of sampled messages traced. */
    public record MsgTraceConfig(String dest, int sampling) {
    }

    /** {@code authorization { auth_callout { ... } }} (config mode); null when not configured. */
    public AuthCallout.Config callout;

    /** JWT operator mode ({@code operator} + {@code resolver: MEMORY}); null when not configured. */
    public OperatorMode operatorMode;

    /**
     * Sets {@code mode} and turns its accounts into weft accounts (with their JetStream limits,
     * exports and imports); in operator mode these are the only accounts.
     */
    public void applyOperatorMode(OperatorMode mode) {
        operatorMode = mode;
        accounts = new LinkedHashMap<>();
        exports = new LinkedHashMap<>();
        imports = new LinkedHashMap<>();
        msgTrace = new LinkedHashMap<>();
        for (OperatorMode.AccountClaims a : mode.accounts().values()) {
            accounts.put(a.publicKey(), new AccountConfig(a.publicKey(), a.jetstream() != null, a.jetstream()));
            if (a.trace() != null) {
                msgTrace.put(a.publicKey(), a.trace()); // the account JWT's trace, as msg_trace in a config file
            }
            if (!a.exports().isEmpty()) {
                exports.put(a.publicKey(), a.exports());
            }
            if (!a.imports().isEmpty()) {
                imports.put(a.publicKey(), a.imports());
            }
        }
    }

    /** A copy sharing the (never mutated) values; the maps and lists are new. */
    public AuthConfig copy() {
        AuthConfig c = new AuthConfig();
        c.token = token;
        c.user = user;
        c.password = password;
        c.defaultPermissions = defaultPermissions;
        c.users = new ArrayList<>(users);
        c.nkeys = new ArrayList<>(nkeys);
        c.accounts = new LinkedHashMap<>(accounts);
        c.noAuthUser = noAuthUser;
        c.timeoutSeconds = timeoutSeconds;
        c.certificateMapping = certificateMapping;
        c.exports = new LinkedHashMap<>(exports);
        c.imports = new LinkedHashMap<>(imports);
        c.mappings = new LinkedHashMap<>(mappings);
        c.msgTrace = new LinkedHashMap<>(msgTrace);
        c.operatorMode = operatorMode;
        c.callout = callout;
        return c;
    }

    public boolean isEmpty() {
        return operatorMode == null && token == null && user == null && users.isEmpty() && nkeys.isEmpty();
    }
}
