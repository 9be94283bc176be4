package io.weft.engine.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.mindrot.jbcrypt.BCrypt;

/**
 * Compares a presented password or token with the configured one: bcrypt when the configured
 * value is a bcrypt hash ({@code $2a$}, {@code $2b$} or {@code $2y$}), else plain text in
 * constant time (for equal lengths). A bcrypt hash presented as the password does not match.
 */
public final class PasswordCheck {
    private PasswordCheck() {
    }

    /** True when {@code stored} looks like a bcrypt hash this check handles. */
    public static boolean isBcrypt(String stored) {
        return stored != null && stored.length() > 4 && stored.charAt(0) == '$' && stored.charAt(1) == '2'
                && (stored.charAt(2) == 'a' || stored.charAt(2) == 'b' || stored.charAt(2) == 'y')
                && stored.charAt(3) == '$';
    }

    /** True when {@code presented} matches {@code stored}; null on either side never matches. */
    public static boolean matches(String stored, String presented) {
        if (stored == null || presented == null) {
            return false;
        }
        if (isBcrypt(stored)) {
            return bcryptMatches(stored, presented);
        }
        return MessageDigest.isEqual(stored.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean bcryptMatches(String stored, String presented) {
        // $2b$ and $2y$ hash exactly as $2a$ does for the inputs jbcrypt accepts; jbcrypt 0.4 only
        // knows the $2a$ label, so compare under that label.
        String asA = "$2a" + stored.substring(3);
        String computed;
        try {
            computed = BCrypt.hashpw(presented, asA);
        } catch (IllegalArgumentException | StringIndexOutOfBoundsException e) {
            return false; // malformed hash in the configuration
        }
        return MessageDigest.isEqual(computed.getBytes(StandardCharsets.UTF_8), asA.getBytes(StandardCharsets.UTF_8));
    }
}
