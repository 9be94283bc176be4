package io.weft.engine.arch.cyclefixture.a;

import io.weft.engine.arch.cyclefixture.b.B;

/** Half of a deliberate package cycle (a -> b -> a) for {@code PackageCycleTest}. */
public final class A {
    public B partner() {
        return new B();
    }
}
