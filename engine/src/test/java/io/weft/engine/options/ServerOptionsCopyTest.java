package io.weft.engine.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.weft.engine.ServerOptions;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ServerOptions#copy()} copies every option: the simulator builds each node's server from a
 * copy, and a field left out (the cluster block once was) silently turns a feature off there.
 */
class ServerOptionsCopyTest {
    @Test
    void copyCarriesEveryField() throws Exception {
        ServerOptions o = new ServerOptions();
        ServerOptions defaults = new ServerOptions();
        int changed = 0;
        for (Field f : ServerOptions.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) || Modifier.isFinal(f.getModifiers())) {
                continue;
            }
            Object v = different(f.getType(), f.get(defaults));
            if (v == null) {
                continue; // a type this test cannot make a different value of
            }
            f.set(o, v);
            changed++;
        }
        ServerOptions c = o.copy();
        for (Field f : ServerOptions.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) || Modifier.isFinal(f.getModifiers())) {
                continue;
            }
            if (different(f.getType(), f.get(defaults)) != null) {
                assertEquals(f.get(o), f.get(c), "copy() leaves out " + f.getName());
                assertNotEquals(f.get(defaults), f.get(c), f.getName());
            }
        }
        // the cluster block at least, and most options, are covered
        assertEquals(true, changed > 20, "fields changed: " + changed);
    }

    private static Object different(Class<?> t, Object def) {
        if (t == int.class) {
            return ((Integer) def) + 7;
        }
        if (t == long.class) {
            return ((Long) def) + 7;
        }
        if (t == boolean.class) {
            return !((Boolean) def);
        }
        if (t == String.class) {
            return def + "x";
        }
        if (t == Duration.class) {
            return def == null ? Duration.ofSeconds(3) : ((Duration) def).plusSeconds(3);
        }
        if (t == List.class) {
            return List.of("h:1");
        }
        return null;
    }
}
