package io.weft.engine.route;

/** For tests in other packages: what only the route package may do. */
public final class RouteTestAccess {
    private RouteTestAccess() {
    }

    /** Cuts every route of {@code routes} as a network reset would (the dialling sides dial again). */
    public static void resetAll(Routes routes) {
        for (RouteConnection rc : routes.snapshot()) {
            rc.close("Test Reset");
        }
    }
}
