package io.weft.engine.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mindrot.jbcrypt.BCrypt;

class PasswordCheckTest {
    static final String HASH = BCrypt.hashpw("s3cret", BCrypt.gensalt(4));

    @Test
    void plainTextComparesExactly() {
        assertTrue(PasswordCheck.matches("pw", "pw"));
        assertFalse(PasswordCheck.matches("pw", "pW"));
        assertFalse(PasswordCheck.matches("pw", "pw "));
        assertFalse(PasswordCheck.matches("pw", ""));
        assertFalse(PasswordCheck.matches("pw", null));
        assertFalse(PasswordCheck.matches(null, "pw"));
        assertTrue(PasswordCheck.matches("пароль", "пароль"));
    }

    @Test
    void bcryptHashesOfEveryLabel() {
        assertTrue(HASH.startsWith("$2a$04$"));
        for (String label : new String[] {"$2a$", "$2b$", "$2y$"}) {
            String stored = label + HASH.substring(4);
            assertTrue(PasswordCheck.isBcrypt(stored));
            assertTrue(PasswordCheck.matches(stored, "s3cret"), label);
            assertFalse(PasswordCheck.matches(stored, "s3cre"), label);
            assertFalse(PasswordCheck.matches(stored, ""), label);
        }
    }

    @Test
    void theHashItselfIsNotAPassword() {
        assertFalse(PasswordCheck.matches(HASH, HASH));
    }

    @Test
    void documentedHashFromNatsServerPasswd() {
        // From the NATS docs ("nats server passwd"); we do not know its password, only its form.
        String doc = "$2a$11$3kIDaCxw.Glsl1.u5nKa6eUnNDLV5HV9tIuUp7EHhMt6Nm9myW1aS";
        assertTrue(PasswordCheck.isBcrypt(doc));
        assertFalse(PasswordCheck.matches(doc, "password"));
    }

    @Test
    void malformedHashNeverMatches() {
        assertFalse(PasswordCheck.matches("$2a$xx$garbage", "garbage"));
        assertFalse(PasswordCheck.matches("$2a$04$short", "x"));
        assertFalse(PasswordCheck.isBcrypt("$2x$04$abc"));
        assertTrue(PasswordCheck.matches("$2x$04$abc", "$2x$04$abc"), "unknown labels compare as plain text");
    }
}
