package io.weft.engine.jetstream;

import static io.weft.engine.jetstream.ClusteredJetStreamTest.JSON;
import static io.weft.engine.jetstream.ClusteredJetStreamTest.NAMES;
import static io.weft.engine.jetstream.ClusteredJetStreamTest.await;
import static io.weft.engine.jetstream.ClusteredJetStreamTest.meta;
import static io.weft.engine.jetstream.ClusteredJetStreamTest.quiet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.engine.node.Node;
import io.weft.engine.server.Account;
import io.weft.store.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * STREAM.UPDATE of an R3 stream on three real nodes whose JetStreams form one meta group (as
 * {@link ClusteredJetStreamTest}): the meta leader commits the new configuration at the next
 * revision, the stream's leader logs it, every replica applies it at the same point of the stream's
 * log (a lowered max_msgs removes the same messages everywhere), the answer shows it once the meta
 * leader's replica has it, the leader takes the new subjects, and it all holds after a stream leader
 * change and after every node restarts. A placement change and a replica change are refused with
 * nats-server's codes.
 */
class ReplicatedStreamUpdateTest extends MemClusterFixture {
    @Override
    List<String> names() {
        return NAMES;
    }

    static Stream stream(Node n) {
        JsAccount a = n.jetStream().account(Account.GLOBAL);
        return a == null ? null : a.stream("U");
    }

    Node streamLeader() throws InterruptedException {
        await("a stream leader", () -> nodes.stream().anyMatch(n -> stream(n) != null && stream(n).leading()));
        return nodes.stream().filter(n -> stream(n) != null && stream(n).leading()).findFirst().orElseThrow();
    }

    JsonNode request(Node n, String subject, String body, long millis) throws Exception {
        return request(n, Account.GLOBAL, subject, body, millis);
    }

    JsonNode api(Node n, String subject, String body) throws Exception {
        return request(n, subject, body, 8000);
    }

    /** Publishes on the stream leader's node until acked (there are no routes between the nodes); returns the sequence. */
    long publish(String subject, String value) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            JsonNode ack = request(streamLeader(), subject, value, 1000);
            if (ack != null) {
                assertNull(ack.get("error"), ack.toString());
                return ack.path("seq").asLong();
            }
        }
        throw new AssertionError("no ack for " + value);
    }

    static List<String> values(Node n) throws Exception {
        List<String> out = new ArrayList<>();
        for (StoredMessage m : stored(stream(n))) {
            out.add(m.seq() + ":" + m.subject() + "=" + new String(m.data(), StandardCharsets.UTF_8));
        }
        return out;
    }

    static final String CREATE = "{\"name\":\"U\",\"subjects\":[\"u.>\"],\"num_replicas\":3}";
    static final String UPDATE = "{\"name\":\"U\",\"subjects\":[\"u.>\",\"extra\"],\"num_replicas\":3,\"max_msgs\":4,"
            + "\"description\":\"updated\"}";

    @Test
    void anUpdateReachesEveryReplicaAtOneLogPointAndSurvivesLeaderChangesAndRestarts() throws Exception {
        startAll();
        Node ml = metaLeader();
        JsonNode created = api(ml, "$JS.API.STREAM.CREATE.U", CREATE);
        assertNull(created.get("error"), created.toString());
        await("every member's replica", () -> nodes.stream().allMatch(n -> stream(n) != null));
        for (int i = 1; i <= 6; i++) {
            assertEquals(i, publish("u.a", "v" + i));
        }
        for (Node n : nodes) {
            await(n.server().serverName() + " holding 6", () -> stream(n).state().msgs() == 6);
        }

        JsonNode updated = api(ml, "$JS.API.STREAM.UPDATE.U", UPDATE);
        assertNull(updated.get("error"), updated.toString());
        assertEquals("io.nats.jetstream.api.v1.stream_update_response", updated.path("type").asText());
        assertEquals(List.of("u.>", "extra"), List.of(updated.at("/config/subjects/0").asText(),
                updated.at("/config/subjects/1").asText()), updated.toString());
        assertEquals(4, updated.at("/config/max_msgs").asLong(), updated.toString());
        assertEquals("updated", updated.at("/config/description").asText(), updated.toString());
        assertEquals(4, updated.at("/state/messages").asLong(), "answered after the meta leader's replica applied it: "
                + updated);
        assertEquals(1, meta(ml).assignments().stream(Account.GLOBAL, "U").revision());
        assertEquals(1, stream(ml).group().replica().configRevision());
        List<String> expected = List.of("3:u.a=v3", "4:u.a=v4", "5:u.a=v5", "6:u.a=v6");
        for (Node n : nodes) {
            String who = n.server().serverName();
            await(who + " applying the update", () -> stream(n).group().replica().configRevision() == 1);
            assertEquals(4, stream(n).config().maxMsgs(), who);
            assertEquals(List.of("u.>", "extra"), stream(n).config().subjects(), who);
            assertEquals(expected, values(n), who + ": the same two oldest messages went on every replica");
        }

        // the leader captures the new subject; the lowered limit holds for what comes next
        assertEquals(7, publish("extra", "x7"));
        for (Node n : nodes) {
            await(n.server().serverName() + " holding extra", () -> stream(n).state().lastSeq() == 7);
            assertEquals(List.of("4:u.a=v4", "5:u.a=v5", "6:u.a=v6", "7:extra=x7"), values(n));
        }

        // nats-server's refusals: a placement change is a move (not carried), storage cannot change
        JsonNode move = api(ml, "$JS.API.STREAM.UPDATE.U", UPDATE.replace("\"description\"",
                "\"placement\":{\"tags\":[\"ssd\"]},\"description\""));
        assertEquals(10069, move.at("/error/err_code").asInt(), move.toString());
        assertEquals(500, move.at("/error/code").asInt(), move.toString());
        JsonNode storage = api(ml, "$JS.API.STREAM.UPDATE.U", UPDATE.replace("\"description\"",
                "\"storage\":\"memory\",\"description\""));
        assertEquals(10052, storage.at("/error/err_code").asInt(), storage.toString());
        assertEquals("stream configuration update can not change storage type", storage.at("/error/description").asText());

        // after a stream leader change, the next update comes through the new leader
        Node old = streamLeader();
        JsonNode down = api(old, "$JS.API.STREAM.LEADER.STEPDOWN.U", "");
        assertTrue(down.path("success").asBoolean(), String.valueOf(down));
        await("another stream leader", () -> nodes.stream().anyMatch(n -> n != old && stream(n).leading()));
        JsonNode again = api(ml, "$JS.API.STREAM.UPDATE.U", UPDATE.replace("\"max_msgs\":4", "\"max_msgs\":2"));
        assertNull(again.get("error"), again.toString());
        assertEquals(2, again.at("/config/max_msgs").asLong());
        for (Node n : nodes) {
            await(n.server().serverName() + " at revision 2", () -> stream(n).group().replica().configRevision() == 2);
            assertEquals(List.of("6:u.a=v6", "7:extra=x7"), values(n), n.server().serverName());
        }

        // every node restarts: the configuration comes back from the stream's own log
        for (Node n : nodes) {
            n.shutdown();
        }
        nodes.clear();
        startAll();
        await("every member's replica again", () -> nodes.stream().allMatch(n -> stream(n) != null));
        for (Node n : nodes) {
            String who = n.server().serverName();
            await(who + " at revision 2 again", () -> stream(n).group().replica().configRevision() == 2);
            assertEquals(2, stream(n).config().maxMsgs(), who);
            assertEquals("updated", stream(n).config().description(), who);
            assertEquals(List.of("6:u.a=v6", "7:extra=x7"), values(n), who);
        }
        assertEquals(8, publish("extra", "x8"));
        Node any = streamLeader();
        JsonNode info = api(any, "$JS.API.STREAM.INFO.U", "");
        assertEquals(2, info.at("/state/messages").asLong(), info.toString());
        assertEquals(7, info.at("/state/first_seq").asLong(), info.toString());
        assertFalse(info.at("/config/subjects").isMissingNode());
        assertNotNull(meta(metaLeader()).assignments().stream(Account.GLOBAL, "U"));
    }

    /**
     * An update the stream's group cannot commit (two of its three replicas stopped, the meta group
     * whole): the meta leader answers 503/10008 after its bounded wait; the update stays committed
     * in the meta log and reaches every replica once the group is back.
     */
    @Test
    void anUpdateTheGroupCannotCommitIs10008AndAppliedOnceTheGroupIsBack() throws Exception {
        startAll();
        Node ml = metaLeader();
        assertNull(api(ml, "$JS.API.STREAM.CREATE.U", CREATE).get("error"));
        await("every member's replica", () -> nodes.stream().allMatch(n -> stream(n) != null));
        assertEquals(1, publish("u.a", "v1"));
        List<String> cut = new ArrayList<>();
        for (Node n : nodes) {
            if (n != ml) {
                // the replica's Raft driver stops (its server and meta member run on)
                ((io.weft.engine.jetstream.cluster.ReplicatedStreamLog) stream(n).group()).stop();
                cut.add(n.server().serverName());
            }
        }
        long t0 = System.nanoTime();
        JsonNode r = api(ml, "$JS.API.STREAM.UPDATE.U", UPDATE);
        assertNotNull(r, "answered within the wait");
        assertEquals(10008, r.at("/error/err_code").asInt(), r.toString());
        assertEquals(503, r.at("/error/code").asInt(), r.toString());
        assertTrue(System.nanoTime() - t0 >= TimeUnit.SECONDS.toNanos(4), "after the bounded wait, not at once");
        assertEquals(1, meta(ml).assignments().stream(Account.GLOBAL, "U").revision(), "the update is committed");
        assertEquals(0, stream(ml).group().replica().configRevision(), "but not applied: the group has no quorum");
        // the two servers restart: their replicas open from the assignments and the group logs the update
        for (String name : cut) {
            Node n = nodes.stream().filter(x -> x.server().serverName().equals(name)).findFirst().orElseThrow();
            n.shutdown();
            nodes.set(nodes.indexOf(n), start(name));
        }
        for (Node n : nodes) {
            await(n.server().serverName() + " at revision 1", () -> stream(n) != null
                    && stream(n).group().replica().configRevision() == 1);
            assertEquals(4, stream(n).config().maxMsgs());
        }
        assertEquals(2, publish("extra", "x2"));
    }
}
