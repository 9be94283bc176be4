package io.weft.engine.jetstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerLog;
import io.weft.engine.cluster.PeerIds;
import io.weft.engine.jetstream.meta.MetaGroup;
import io.weft.engine.monitor.Healthz;
import io.weft.engine.monitor.HealthzOptions;
import io.weft.engine.monitor.Jsz;
import io.weft.engine.monitor.Monitor;
import io.weft.engine.node.Node;
import io.weft.engine.server.Account;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Three real nodes (clients' view: each node's own $JS.API, no routes between them) whose
 * JetStreams form one meta group over in-memory transports: the meta leader alone answers
 * stream creates and deletes, after commit; the stream lives where placement put it and that
 * server answers for it; followers stay silent; a cut-off member answers 10008 and fails
 * {@code /healthz?js-meta-only=true}; {@code META.LEADER.STEPDOWN} from {@code $SYS} moves the
 * leadership; and the assignments and streams come back after all three restart.
 */
class ClusteredJetStreamTest extends MemClusterFixture {
    static final List<String> NAMES = List.of("n1", "n2", "n3");
    static final ObjectMapper JSON = new ObjectMapper();

    @Override
    List<String> names() {
        return NAMES;
    }

    static ServerLog quiet() {
        return new ServerLog() {
            @Override public void fatal(String m) { }
            @Override public void error(String m) { }
            @Override public void warn(String m) { }
            @Override public void notice(String m) { }
            @Override public void debug(String m) { }
            @Override public void trace(String m) { }
            @Override public boolean isDebug() { return false; }
            @Override public boolean isTrace() { return false; }
        };
    }

    static MetaGroup meta(Node n) {
        return n.jetStream().meta();
    }

    static void await(String what, BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    Node leader() throws InterruptedException {
        return metaLeader();
    }

    JsonNode api(Node n, String subject, String body) throws Exception {
        return request(n, Account.GLOBAL, subject, body, 8000);
    }

    Node named(String server) {
        return nodes.stream().filter(n -> n.server().serverName().equals(server)).findFirst().orElseThrow();
    }

    @Test
    void theMetaLeaderCreatesAndDeletesAndTheStreamLivesWherePlaced() throws Exception {
        startAll();
        Node leader = leader();
        JsonNode created = api(leader, "$JS.API.STREAM.CREATE.S", "{\"name\":\"S\",\"subjects\":[\"s.>\"]}");
        assertNull(created.get("error"), created.toString());
        assertEquals("S", created.at("/config/name").asText());
        String placedOn = created.at("/cluster/leader").asText();
        assertTrue(NAMES.contains(placedOn), created.toString());
        assertEquals("C", created.at("/cluster/name").asText());
        Node holder = named(placedOn);
        await("the stream on " + placedOn, () -> holder.jetStream().account(Account.GLOBAL).stream("S") != null);

        // the same create again is answered as nats-server does (no change); another config is refused
        JsonNode again = api(leader, "$JS.API.STREAM.CREATE.S", "{\"name\":\"S\",\"subjects\":[\"s.>\"]}");
        assertNull(again.get("error"), again.toString());
        JsonNode clash = api(leader, "$JS.API.STREAM.CREATE.S", "{\"name\":\"S\",\"subjects\":[\"other\"]}");
        assertEquals(10058, clash.at("/error/err_code").asInt(), clash.toString());
        JsonNode overlap = api(leader, "$JS.API.STREAM.CREATE.T", "{\"name\":\"T\",\"subjects\":[\"s.x\"]}");
        assertEquals(10065, overlap.at("/error/err_code").asInt(), overlap.toString());

        // the server holding the stream answers for it; another non-leader stays silent
        JsonNode info = api(holder, "$JS.API.STREAM.INFO.S", "");
        assertEquals(0, info.at("/state/messages").asLong(), info.toString());
        assertEquals(placedOn, info.at("/cluster/leader").asText());
        for (Node n : nodes) {
            if (n != holder && n != leader) {
                assertNull(request(n, Account.GLOBAL, "$JS.API.STREAM.INFO.S", "", 700), "only the holder answers");
            }
        }
        JsonNode names = api(leader, "$JS.API.STREAM.NAMES", "");
        assertEquals("S", names.at("/streams/0").asText(), names.toString());
        JsonNode missing = api(leader, "$JS.API.STREAM.INFO.NOPE", "");
        assertEquals(10059, missing.at("/error/err_code").asInt(), "the meta leader says a stream nobody holds is not found");

        // an update goes through the leader too, and reaches the holder's copy
        JsonNode updated = api(leader, "$JS.API.STREAM.UPDATE.S", "{\"name\":\"S\",\"subjects\":[\"s.>\",\"t\"]}");
        assertNull(updated.get("error"), updated.toString());
        assertEquals("t", updated.at("/config/subjects/1").asText());
        await("the update on " + placedOn, () -> holder.jetStream().account(Account.GLOBAL).stream("S").config()
                .subjects().contains("t"));
        JsonNode noSuch = api(leader, "$JS.API.STREAM.UPDATE.Q", "{\"name\":\"Q\",\"subjects\":[\"q\"]}");
        assertEquals(10059, noSuch.at("/error/err_code").asInt(), noSuch.toString());

        JsonNode deleted = api(leader, "$JS.API.STREAM.DELETE.S", "");
        assertTrue(deleted.path("success").asBoolean(), deleted.toString());
        await("the stream gone from " + placedOn, () -> holder.jetStream().account(Account.GLOBAL).stream("S") == null);
        for (Node n : nodes) {
            await(n.server().serverName() + " applying the delete",
                    () -> meta(n).assignments().stream(Account.GLOBAL, "S") == null);
        }
    }

    @Test
    void followersStaySilentAndTheRefusalsAreNatsServers() throws Exception {
        startAll();
        Node leader = leader();
        for (Node n : nodes) {
            if (n != leader) {
                assertNull(request(n, Account.GLOBAL, "$JS.API.STREAM.CREATE.F", "{\"name\":\"F\",\"subjects\":[\"f\"]}", 700),
                        "a follower leaves the answer to the leader");
            }
        }
        assertNull(meta(leader).assignments().stream(Account.GLOBAL, "F"));
        JsonNode r3 = api(leader, "$JS.API.STREAM.CREATE.R", "{\"name\":\"R\",\"subjects\":[\"r\"],\"num_replicas\":3}");
        // clustered, replicas above 1 are no longer 10074 (that stays for a single server): a replica on each member
        assertEquals(3, r3.at("/config/num_replicas").asInt(), r3.toString());
        assertTrue(r3.at("/cluster/raft_group").asText().startsWith("S-R3F-"), r3.toString());
        await("every member to open its replica of R", () -> nodes.stream().allMatch(n -> {
            Stream s = n.jetStream().account(Account.GLOBAL).stream("R");
            return s != null && s.replicated();
        }));
        // what replicated streams once refused is created as on a single server
        JsonNode all = api(leader, "$JS.API.STREAM.CREATE.A", "{\"name\":\"A\",\"subjects\":[\"a.>\"],\"num_replicas\":3,"
                + "\"retention\":\"interest\",\"first_seq\":10,\"subject_transform\":{\"src\":\"a.*\",\"dest\":\"a.{{wildcard(1)}}.x\"},"
                + "\"republish\":{\"src\":\">\",\"dest\":\"rp.>\"}}");
        assertNull(all.get("error"), all.toString());
        assertEquals("interest", all.at("/config/retention").asText(), all.toString());
        assertEquals(10, all.at("/config/first_seq").asLong(), all.toString());
        JsonNode counter = api(leader, "$JS.API.STREAM.CREATE.C",
                "{\"name\":\"C\",\"subjects\":[\"c\"],\"num_replicas\":3,\"allow_msg_counter\":true}");
        assertNull(counter.get("error"), counter.toString());
        assertTrue(counter.at("/config/allow_msg_counter").asBoolean(), counter.toString());
        await("every member to open its replicas of A and C", () -> nodes.stream().allMatch(n -> {
            Stream a = n.jetStream().account(Account.GLOBAL).stream("A");
            Stream c = n.jetStream().account(Account.GLOBAL).stream("C");
            return a != null && a.replicated() && c != null && c.replicated() && a.state().lastSeq() == 9;
        }));
        JsonNode r6 = api(leader, "$JS.API.STREAM.CREATE.R", "{\"name\":\"R\",\"subjects\":[\"r\"],\"num_replicas\":6}");
        assertEquals("maximum replicas is 5", r6.at("/error/description").asText(), r6.toString());
        JsonNode tags = api(leader, "$JS.API.STREAM.CREATE.G",
                "{\"name\":\"G\",\"subjects\":[\"g\"],\"placement\":{\"tags\":[\"gpu\"]}}");
        assertEquals(10005, tags.at("/error/err_code").asInt(), tags.toString());
        assertEquals(400, tags.at("/error/code").asInt());
        assertEquals("no suitable peers for placement, tags not matched ['gpu']", tags.at("/error/description").asText());
        JsonNode far = api(leader, "$JS.API.STREAM.CREATE.G",
                "{\"name\":\"G\",\"subjects\":[\"g\"],\"placement\":{\"cluster\":\"ELSEWHERE\"}}");
        assertEquals("no suitable peers for placement", far.at("/error/description").asText(), far.toString());
    }

    @Test
    void aCutOffMemberAnswers10008AndFailsItsMetaHealth() throws Exception {
        startAll();
        Node leader = leader();
        Node cut = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        assertEquals("ok", new Monitor(cut).healthz(new HealthzOptions(false, false, true, "", "", "", false)).status());
        net.isolate(PeerIds.of(cut.server().serverName()), true);
        await("the cut-off member to be leaderless", () -> meta(cut).leaderless());
        JsonNode r = api(cut, "$JS.API.STREAM.CREATE.X", "{\"name\":\"X\",\"subjects\":[\"x\"]}");
        assertEquals(503, r.at("/error/code").asInt(), r.toString());
        assertEquals(10008, r.at("/error/err_code").asInt());
        assertEquals("JetStream system temporarily unavailable", r.at("/error/description").asText());
        assertEquals("io.nats.jetstream.api.v1.stream_create_response", r.path("type").asText());
        Healthz h = new Monitor(cut).healthz(new HealthzOptions(false, false, true, "", "", "", false));
        assertEquals(503, h.httpStatus());
        assertEquals("JetStream has not established contact with a meta leader", h.error());
        assertTrue(new Monitor(cut).healthz(new HealthzOptions(true, false, false, "", "", "", false)).healthy(),
                "js-enabled-only does not look at the meta group");

        Jsz.MetaCluster mc = new Monitor(leader()).jsz().metaCluster();
        assertEquals("C", mc.name());
        assertEquals(3, mc.clusterSize());
        assertEquals(2, mc.quorumNeeded());
        assertEquals(2, mc.replicas().size());
        await("the leader to see the cut-off member offline", () -> {
            try {
                Node l = leader();
                return new Monitor(l).jsz().metaCluster().replicas().stream()
                        .anyMatch(p -> p.name().equals(cut.server().serverName()) && p.offline() && !p.current());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        net.isolate(PeerIds.of(cut.server().serverName()), false);
        await("the member to find the leader again", () -> meta(cut).leader() != 0);
        assertTrue(new Monitor(cut).healthz(new HealthzOptions(false, false, true, "", "", "", false)).healthy());
    }

    @Test
    void stepdownFromTheSystemAccountMovesTheLeadership() throws Exception {
        startAll();
        Node leader = leader();
        String before = leader.server().serverName();
        Node other = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        assertNull(request(other, "$SYS", "$JS.API.META.LEADER.STEPDOWN", "", 700), "only the leader answers");
        assertNull(request(leader, Account.GLOBAL, "$JS.API.META.LEADER.STEPDOWN", "", 700),
                "not from a user account");
        JsonNode unknown = request(leader, "$SYS", "$JS.API.META.LEADER.STEPDOWN",
                "{\"placement\":{\"preferred\":\"nobody\"}}", 5000);
        assertEquals("preferred server \"nobody\" not known", unknown.at("/error/description").asText(), unknown.toString());
        JsonNode self = request(leader, "$SYS", "$JS.API.META.LEADER.STEPDOWN",
                "{\"placement\":{\"preferred\":\"" + before + "\"}}", 5000);
        assertEquals(10005, self.at("/error/err_code").asInt(), self.toString());
        String target = other.server().serverName();
        JsonNode ok = request(leader, "$SYS", "$JS.API.META.LEADER.STEPDOWN",
                "{\"placement\":{\"preferred\":\"" + target + "\"}}", 5000);
        assertEquals("io.nats.jetstream.api.v1.meta_leader_stepdown_response", ok.path("type").asText());
        assertTrue(ok.path("success").asBoolean(), ok.toString());
        await(target + " to lead", () -> meta(other).isLeader());
        assertFalse(meta(leader).isLeader());
        JsonNode any = request(other, "$SYS", "$JS.API.META.LEADER.STEPDOWN", "", 5000);
        assertTrue(any.path("success").asBoolean(), any.toString());
        await("someone else to lead", () -> nodes.stream().anyMatch(n -> n != other && meta(n).isLeader()));
    }

    @Test
    void streamsAndAssignmentsComeBackAfterEveryNodeRestarts() throws Exception {
        startAll();
        Node leader = leader();
        for (String s : List.of("A", "B", "C")) {
            JsonNode r = api(leader, "$JS.API.STREAM.CREATE." + s, "{\"name\":\"" + s + "\",\"subjects\":[\"" + s.toLowerCase() + "\"]}");
            assertNull(r.get("error"), r.toString());
        }
        api(leader, "$JS.API.STREAM.DELETE.B", "");
        String placedA = meta(leader).nameOf(meta(leader).assignments().stream(Account.GLOBAL, "A").peers().getFirst());
        Node holder = named(placedA);
        await("A on its server", () -> holder.jetStream().account(Account.GLOBAL).stream("A") != null);
        assertNotNull(holder.server().account(Account.GLOBAL));
        for (Node n : nodes) {
            await("the delete everywhere", () -> meta(n).assignments().stream(Account.GLOBAL, "B") == null);
        }
        for (Node n : nodes) {
            n.shutdown();
        }
        nodes.clear();
        startAll();
        Node next = leader();
        JsonNode names = api(next, "$JS.API.STREAM.NAMES", "");
        assertEquals(2, names.path("total").asInt(), names.toString());
        assertEquals("A", names.at("/streams/0").asText());
        assertEquals("C", names.at("/streams/1").asText());
        Node again = named(placedA);
        await("A served again by " + placedA, () -> again.jetStream().account(Account.GLOBAL).stream("A") != null);
        for (Node n : nodes) {
            if (n != again) {
                assertNull(n.jetStream().account(Account.GLOBAL).stream("A"), "A lives on one server only");
            }
        }
        assertNotEquals(0, meta(next).appliedIndex());
    }
}
