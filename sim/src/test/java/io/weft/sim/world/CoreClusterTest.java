package io.weft.sim.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerOptions;
import io.weft.engine.route.RouteConnection;
import io.weft.engine.server.Account;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class CoreClusterTest {
    private final CoreCluster scenario = new CoreCluster(CoreCluster.Config.defaults());

    @Test
    void seedsOneToFortyPass() {
        List<SimResult> rs = ScenarioSupport.seedsPass(scenario, 1, 40);
        // not vacuous: faults struck, clients moved to other nodes, messages crossed routes, queue groups got work
        assertTrue(rs.stream().mapToLong(r -> ScenarioSupport.count(r, "fault")).sum() > 40, "faults");
        assertTrue(rs.stream().anyMatch(r -> r.history().stream()
                .anyMatch(e -> e.op().equals("connect") && e.type() == History.Type.OK && e.process() == 0
                        && !e.value().startsWith("n1:"))), "a client reconnected to another node");
        assertTrue(rs.stream().allMatch(r -> ScenarioSupport.count(r, "msg") > 100), "deliveries");
        assertTrue(rs.stream().anyMatch(r -> r.history().stream()
                .anyMatch(e -> e.op().equals("msg") && e.value().startsWith("q1 "))), "queue deliveries");
    }

    @Test
    void sameSeedSameTrace() {
        ScenarioSupport.sameSeedSameTrace(scenario, 42);
    }

    @Test
    void aLostProbeIsCaught() {
        int probeFrom = CoreCluster.Config.defaults().messagesPerClient();
        boolean[] dropped = new boolean[1];
        SimClient.DeliveryTap dropOne = (client, d) -> {
            int seq = Integer.parseInt(d.payload().substring(d.payload().indexOf('-') + 1));
            if (!dropped[0] && seq > probeFrom && !d.sid().startsWith("q") && !d.sid().startsWith("r")) {
                dropped[0] = true;
                return false;
            }
            return true;
        };
        SimResult r = new CoreCluster(CoreCluster.Config.defaults().withTap(dropOne)).run(3, null);
        assertTrue(dropped[0]);
        assertFalse(r.passed());
        assertTrue(r.failures().toString().contains("published after the heal never reached"), r.failures().toString());
    }

    @Test
    void interestThatIsNotOnThePeerIsCaught() {
        // after the faults, n1 is told (as if by its route to some peer) of a subscription nobody holds
        CoreCluster planted = new CoreCluster(CoreCluster.Config.defaults().withAfterSettle(nodes -> {
            SimNode n1 = nodes.get(0);
            RouteConnection route = n1.node().routes().snapshot().get(0);
            n1.server().account(Account.GLOBAL).addRemote(route, "ghost.subject", null, 1);
        }));
        SimResult r = planted.run(5, null);
        assertFalse(r.passed());
        assertTrue(r.failures().toString().contains("interest did not converge"), r.failures().toString());
        assertTrue(r.failures().toString().contains("ghost.subject"), r.failures().toString());
    }

    /**
     * A restarted server dials its peers at once; their dial loops, still backing off, must not dial
     * it again while its route is up: a duplicate that wins the tie-break would replace the working
     * route and drop what is in flight. Every peer logs exactly one route to the restarted server.
     */
    @Test
    void aRestartedPeerIsNotDialledAgainWhileItsRouteIsUp() {
        for (long seed = 1; seed <= 6; seed++) {
            SimWorld w = new SimWorld(seed);
            List<SimNode> nodes = new ArrayList<>();
            List<String> lines = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                ServerOptions o = new ServerOptions();
                o.clusterName = "sim";
                o.clusterPort = 6222;
                List<String> routes = new ArrayList<>();
                for (int j = 1; j <= 3; j++) {
                    if (j != i) {
                        routes.add("n" + j + ":6222");
                    }
                }
                o.routes = routes;
                SimNode n = w.addNode("n" + i, o);
                String host = n.host();
                n.logTap(l -> lines.add(host + " " + l));
                nodes.add(n);
            }
            String[] restartedId = new String[1];
            SimResult r = w.run("restart", world -> {
                for (SimNode n : nodes) {
                    n.start();
                }
                nodes.get(0).clock().sleep(Duration.ofSeconds(5));
                assertEquals(List.of(), CoreCluster.interestDiff(nodes));
                nodes.get(1).crash();
                nodes.get(0).clock().sleep(Duration.ofMillis(20));
                lines.clear();
                nodes.get(1).restart();
                restartedId[0] = nodes.get(1).server().serverId();
                nodes.get(0).clock().sleep(Duration.ofSeconds(40));
                assertEquals(List.of(), CoreCluster.interestDiff(nodes));
            });
            assertTrue(r.passed(), r.failures().toString());
            for (String peer : List.of("n1", "n3")) {
                long up = lines.stream().filter(l -> l.startsWith(peer + " INF Route connection ")
                        && (l.contains(" created for ") || l.contains(" accepted from ")) && l.contains(restartedId[0])).count();
                assertEquals(1, up, "seed " + seed + ": routes " + peer + " made to the restarted n2: " + lines);
            }
            assertFalse(lines.stream().anyMatch(l -> l.contains("Duplicate Route") && (l.startsWith("n1 ") || l.startsWith("n3 "))
                    && l.contains("n2:")), "seed " + seed + ": " + lines);
        }
    }
}
