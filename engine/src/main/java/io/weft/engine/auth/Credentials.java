package io.weft.engine.auth;

/**
 * What a client presented in CONNECT. Any field may be null or empty.
 *
 * @param user {@code user}
 * @param pass {@code pass}
 * @param authToken {@code auth_token}
 * @param nkey {@code nkey} (public user key)
 * @param sig {@code sig}: signature of the INFO nonce
 * @param jwt {@code jwt} (not used until operator mode exists)
 */
public record Credentials(String user, String pass, String authToken, String nkey, String sig, String jwt) {

    public static final Credentials NONE = new Credentials(null, null, null, null, null, null);

    public static Credentials userPass(String user, String pass) {
        return new Credentials(user, pass, null, null, null, null);
    }

    public static Credentials token(String token) {
        return new Credentials(null, null, token, null, null, null);
    }

    public static Credentials nkey(String nkey, String sig) {
        return new Credentials(null, null, null, nkey, sig, null);
    }

    /** True when the client presented nothing that identifies it (no_auth_user applies then). */
    public boolean isEmpty() {
        return blank(user) && blank(pass) && blank(authToken) && blank(nkey) && blank(jwt);
    }

    public static boolean blank(String s) {
        return s == null || s.isEmpty();
    }

    @Override
    public String toString() {
        // Never print secrets.
        return "Credentials[user=" + user + ", nkey=" + nkey + ", pass=" + (blank(pass) ? "" : "***")
                + ", authToken=" + (blank(authToken) ? "" : "***") + ", jwt=" + (blank(jwt) ? "" : "***") + "]";
    }
}
