package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerOptions;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SimWorldTest {

    @Test
    void aStuckClientIsReportedWithItsThreads() {
        SimWorld w = new SimWorld(11);
        w.workloadLimit(Duration.ofMinutes(1));
        ServerOptions opts = new ServerOptions();
        SimNode node = w.addNode("n1", opts);
        SimClient c = w.addClient(SimClient.DeliveryTap.all());
        SimResult r = w.run("stuck", world -> {
            node.start();
            c.connect(world.network().host("c0"), "n1", node.port());
            c.sub("a", "1");
            c.flush();
            new CountDownLatch(1).await(); // nobody counts down
        });
        assertFalse(r.passed());
        String f = r.failures().toString();
        assertTrue(f.contains("STALLED") && f.contains("main") && f.contains("n1/housekeeping"), f);
    }

    @Test
    void theServerAnswersAndEverythingEndsCleanly() {
        SimWorld w = new SimWorld(12);
        SimNode node = w.addNode("n1", new ServerOptions());
        SimClient a = w.addClient(SimClient.DeliveryTap.all());
        SimClient b = w.addClient(SimClient.DeliveryTap.all());
        SimResult r = w.run("echo", world -> {
            node.start();
            a.connect(world.network().host("a"), "n1", node.port());
            b.connect(world.network().host("b"), "n1", node.port());
            b.sub("greet.*", "9");
            b.flush();
            a.pub("greet.x", "hi");
            a.flush();
            b.flush();
            assertEquals(1, b.deliveries().size());
            SimClient.Delivery d = b.deliveries().get(0);
            assertEquals("greet.x", d.subject());
            assertEquals("9", d.sid());
            assertEquals("hi", d.payload());
            assertEquals(2, node.server().openClients().size());
        });
        assertTrue(r.passed(), r.failures().toString());
        assertTrue(r.workloadNanos() > 0 && r.workloadNanos() < Duration.ofMillis(50).toNanos(), "" + r.workloadNanos());
    }
}
