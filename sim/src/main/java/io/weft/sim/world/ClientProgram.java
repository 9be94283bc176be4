package io.weft.sim.world;

import java.util.concurrent.CountDownLatch;

/** A simulated client's main program: a body that may throw; its failure fails the run. */
interface ClientProgram {
    void run() throws Exception;

    /** Runs {@code p} as client {@code c}'s main thread; counts {@code finished} down when it ends. */
    static void spawn(SimWorld w, SimClient c, CountDownLatch finished, ClientProgram p) {
        w.scheduler().spawn("c" + c.id() + "/main", () -> {
            try {
                p.run();
            } catch (Exception e) {
                w.fail("client " + c.id() + ": " + e);
            } finally {
                finished.countDown();
            }
        });
    }
}
