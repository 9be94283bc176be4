package io.weft.engine.arch.cyclefixture.b;

import io.weft.engine.arch.cyclefixture.a.A;

/** The other half of the deliberate package cycle for {@code PackageCycleTest}. */
public final class B {
    public A partner() {
        return new A();
    }
}
