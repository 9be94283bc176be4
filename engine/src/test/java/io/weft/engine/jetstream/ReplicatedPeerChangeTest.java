package io.weft.engine.jetstream;

import static io.weft.engine.jetstream.ClusteredJetStreamTest.JSON;
import static io.weft.engine.jetstream.ClusteredJetStreamTest.await;
import static io.weft.engine.jetstream.ClusteredJetStreamTest.meta;
import static io.weft.engine.jetstream.ClusteredJetStreamTest.quiet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.engine.cluster.PeerIds;
import io.weft.engine.node.Node;
import io.weft.engine.server.Account;
import io.weft.store.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Changing the peer group of an R3 stream on four real nodes whose JetStreams form one meta
 * group: STREAM.PEER.REMOVE of a follower and of the leader (the meta leader places a
 * replacement, commits the new group; the stream's leader carries it out by Raft membership
 * changes; the removed node closes its replica and deletes its files; the new one catches up), and
 * scaling R3→R2→R3 by STREAM.UPDATE. Every acknowledged message is on every member of the new
 * group, in the same order; the Raft membership is the assignment's. nats-server's errors for the
 * refusals.
 */
class ReplicatedPeerChangeTest extends MemClusterFixture {
    static final List<String> NAMES = List.of("n1", "n2", "n3", "n4");

    @Override
    List<String> names() {
        return NAMES;
    }

    static Stream stream(Node n) {
        JsAccount a = n.jetStream().account(Account.GLOBAL);
        return a == null ? null : a.stream("P");
    }

    Node streamLeader() throws InterruptedException {
        await("a stream leader", () -> nodes.stream().anyMatch(n -> stream(n) != null && stream(n).leading()));
        return nodes.stream().filter(n -> stream(n) != null && stream(n).leading()).findFirst().orElseThrow();
    }

    Node node(String name) {
        return nodes.stream().filter(n -> n.server().serverName().equals(name)).findFirst().orElseThrow();
    }

    JsonNode request(Node n, String subject, String body, long millis) throws Exception {
        return request(n, Account.GLOBAL, subject, body, millis);
    }


    JsonNode api(Node n, String subject, String body) throws Exception {
        return request(n, subject, body, 10000);
    }

    /** Publishes on the stream leader's node until acked (no routes between the nodes); returns the sequence. */
    long publish(String value) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            JsonNode ack = request(streamLeader(), "p.a", value, 1000);
            if (ack != null && ack.get("error") == null) {
                return ack.path("seq").asLong();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no ack for " + value);
    }

    static List<String> values(Node n) throws Exception {
        List<String> out = new ArrayList<>();
        for (StoredMessage m : stored(stream(n))) {
            out.add(m.seq() + "=" + new String(m.data(), StandardCharsets.UTF_8));
        }
        return out;
    }

    List<String> assigned(Node ml) {
        List<String> out = new ArrayList<>();
        for (long p : meta(ml).assignments().stream(Account.GLOBAL, "P").peers()) {
            out.add(meta(ml).nameOf(p));
        }
        return out;
    }

    /** The Raft voters of the stream's group as its leader has them, by name. */
    TreeSet<String> raftVoters() throws Exception {
        Node l = streamLeader();
        var d = ((io.weft.engine.jetstream.cluster.ReplicatedStreamLog) stream(l).group()).driver();
        TreeSet<String> out = new TreeSet<>();
        for (long v : d.view().get(5, TimeUnit.SECONDS).conf().voters()) {
            out.add(meta(l).nameOf(v));
        }
        return out;
    }

    /** Waits until exactly the assigned servers hold the stream, its Raft voters are them, and each holds {@code expected}. */
    void settled(Node ml, List<String> expected) throws Exception {
        TreeSet<String> want = new TreeSet<>(assigned(ml));
        await("the replicas on " + want, () -> {
            for (Node n : nodes) {
                if (want.contains(n.server().serverName()) != (stream(n) != null)) {
                    return false;
                }
            }
            return true;
        });
        await("the Raft voters " + want, () -> {
            try {
                return raftVoters().equals(want);
            } catch (Exception e) {
                return false;
            }
        });
        for (String w : want) {
            Node n = node(w);
            await(w + " caught up", () -> {
                try {
                    return stream(n) != null && values(n).equals(expected);
                } catch (Exception e) {
                    return false;
                }
            });
        }
        JsonNode info = api(streamLeader(), "$JS.API.STREAM.INFO.P", "");
        TreeSet<String> shown = new TreeSet<>();
        shown.add(info.at("/cluster/leader").asText());
        info.at("/cluster/replicas").forEach(r -> shown.add(r.path("name").asText()));
        assertEquals(want, shown, "STREAM.INFO's cluster: " + info);
    }

    static final String CREATE = "{\"name\":\"P\",\"subjects\":[\"p.>\"],\"num_replicas\":3}";

    List<String> createWithMessages(Node ml, int n) throws Exception {
        JsonNode created = api(ml, "$JS.API.STREAM.CREATE.P", CREATE);
        assertNull(created.get("error"), created.toString());
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            assertEquals(i, publish("v" + i));
            expected.add(i + "=v" + i);
        }
        return expected;
    }

    @Test
    void removingAFollowerAndThenTheLeaderMovesTheStreamToTheOtherServers() throws Exception {
        startAll();
        Node ml = metaLeader();
        List<String> expected = createWithMessages(ml, 5);
        settled(ml, expected);

        // a follower goes: the fourth server takes its place and catches up
        String leader = streamLeader().server().serverName();
        String follower = assigned(ml).stream().filter(x -> !x.equals(leader)).findFirst().orElseThrow();
        String spare = NAMES.stream().filter(x -> !assigned(ml).contains(x)).findFirst().orElseThrow();
        String followerDir = stream(node(follower)).dir();
        JsonNode r = api(ml, "$JS.API.STREAM.PEER.REMOVE.P", "{\"peer\":\"" + follower + "\"}");
        assertEquals("{\"type\":\"io.nats.jetstream.api.v1.stream_remove_peer_response\",\"success\":true}", r.toString());
        assertTrue(assigned(ml).contains(spare) && !assigned(ml).contains(follower), assigned(ml).toString());
        settled(ml, expected);
        await("the removed replica's files are gone: " + followerDir, () -> !Files.exists(Path.of(followerDir)));
        expected.add("6=v6");
        assertEquals(6, publish("v6"));
        settled(ml, expected);

        // then the leader goes: it hands leadership over, the removed follower's server takes its place
        Node old = streamLeader();
        String oldName = old.server().serverName();
        String oldDir = stream(old).dir();
        r = api(ml, "$JS.API.STREAM.PEER.REMOVE.P", "{\"peer\":\"" + oldName + "\"}");
        assertEquals(true, r.path("success").asBoolean(), r.toString());
        assertFalse(assigned(ml).contains(oldName), assigned(ml).toString());
        assertTrue(assigned(ml).contains(follower), "the only server left takes it: " + assigned(ml));
        settled(ml, expected);
        await("the removed leader's files are gone: " + oldDir, () -> !Files.exists(Path.of(oldDir)));
        assertFalse(oldName.equals(streamLeader().server().serverName()));
        expected.add("7=v7");
        assertEquals(7, publish("v7"));
        settled(ml, expected);

        // every node restarts: the new group reopens from its Raft state, the removed ones replay
        // the meta log (the stream assigned to them, then not) and end with no replica
        List<String> group = assigned(ml);
        for (Node n : nodes) {
            n.shutdown();
        }
        nodes.clear();
        startAll();
        Node again = metaLeader();
        assertEquals(new TreeSet<>(group), new TreeSet<>(assigned(again)));
        settled(again, expected);
        await("no replica came back on " + oldName, () -> !Files.exists(Path.of(oldDir)));
        expected.add("8=v8");
        assertEquals(8, publish("v8"));
        settled(again, expected);
    }

    @Test
    void scalingDownKeepsTheLeaderAndScalingUpAddsAPlacedPeer() throws Exception {
        startAll();
        Node first = metaLeader();
        List<String> expected = createWithMessages(first, 4);
        settled(first, expected);
        String leader = streamLeader().server().serverName();
        // no routes between these nodes: the meta leader knows the stream's leader from its own replica
        if (stream(first) == null) {
            assertNull(meta(first).transferTo(PeerIds.of(leader)));
            await("meta leadership moved", () -> !meta(first).isLeader());
        }
        Node ml = metaLeader();

        JsonNode down = api(ml, "$JS.API.STREAM.UPDATE.P", CREATE.replace("\"num_replicas\":3", "\"num_replicas\":2"));
        assertNull(down.get("error"), down.toString());
        assertEquals(2, down.at("/config/num_replicas").asInt(), down.toString());
        assertEquals(2, assigned(ml).size(), assigned(ml).toString());
        assertTrue(assigned(ml).contains(leader), "scaling down keeps the leader " + leader + ": " + assigned(ml));
        settled(ml, expected);
        assertEquals(leader, streamLeader().server().serverName());
        expected.add("5=v5");
        assertEquals(5, publish("v5"));
        settled(ml, expected);

        JsonNode up = api(ml, "$JS.API.STREAM.UPDATE.P", CREATE);
        assertNull(up.get("error"), up.toString());
        assertEquals(3, assigned(ml).size(), assigned(ml).toString());
        settled(ml, expected);
        for (Node n : nodes) {
            if (stream(n) != null) {
                await(n.server().serverName() + " at R3", () -> stream(n).config().replicas() == 3);
            }
        }
        expected.add("6=v6");
        assertEquals(6, publish("v6"));
        settled(ml, expected);

        JsonNode four = api(ml, "$JS.API.STREAM.UPDATE.P", CREATE.replace("\"num_replicas\":3", "\"num_replicas\":4"));
        assertNull(four.get("error"), four.toString());
        settled(ml, expected);
        assertEquals(4, assigned(ml).size());
    }

    static final String R1 = CREATE.replace("\"num_replicas\":3", "\"num_replicas\":1");
    static final String DURABLE = "{\"stream_name\":\"P\",\"config\":{\"durable_name\":\"C\",\"ack_policy\":\"explicit\"}}";

    /** The stream sequences of {@code n} messages pulled from durable C on {@code on}, each acked (null reply: none). */
    List<Long> pullAndAck(Node on, int n) throws Exception {
        Account a = on.server().account(Account.GLOBAL);
        String inbox = "_INBOX.pull" + ids.incrementAndGet();
        java.util.concurrent.LinkedBlockingQueue<String> acks = new java.util.concurrent.LinkedBlockingQueue<>();
        var sub = a.subscribe(inbox, null, (subject, reply, data, off, hdr, total) -> {
            if (reply != null && reply.startsWith("$JS.ACK.")) {
                acks.add(reply);
            }
        });
        List<Long> seqs = new ArrayList<>();
        try {
            a.publish("$JS.API.CONSUMER.MSG.NEXT.P.C", inbox, null,
                    ("{\"batch\":" + n + ",\"expires\":2000000000}").getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < n; i++) {
                String ack = acks.poll(5, TimeUnit.SECONDS);
                if (ack == null) {
                    break;
                }
                // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>
                seqs.add(Long.parseLong(ack.split("\\.")[5]));
                JsonNode r = request(on, ack, "+ACK", 5000); // a double ack: answered once the state is durable
                assertTrue(r != null, "double ack of " + ack + " answered");
            }
        } finally {
            a.unsubscribe(sub);
        }
        return seqs;
    }

    /** Waits until the assigned server alone holds P, as a single-server stream, with {@code expected}. */
    Node settledSingle(Node ml, List<String> expected) throws Exception {
        List<String> want = assigned(ml);
        assertEquals(1, want.size(), want.toString());
        Node holder = node(want.getFirst());
        await("only " + want + " holds P, single-server", () -> nodes.stream().allMatch(n ->
                n == holder ? stream(n) != null && !stream(n).replicated() : stream(n) == null));
        await(want + " holds " + expected, () -> {
            try {
                return values(holder).equals(expected);
            } catch (Exception e) {
                return false;
            }
        });
        return holder;
    }

    @Test
    void scalingFromR1ToR3AndBackKeepsEveryMessageAndTheConsumer() throws Exception {
        startAll();
        Node ml = metaLeader();
        JsonNode created = api(ml, "$JS.API.STREAM.CREATE.P", R1);
        assertNull(created.get("error"), created.toString());
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            assertEquals(i, publish("v" + i));
            expected.add(i + "=v" + i);
        }
        Node holder = settledSingle(ml, expected);
        String holderDir = stream(holder).dir();
        JsonNode c = api(holder, "$JS.API.CONSUMER.DURABLE.CREATE.P.C", DURABLE);
        assertNull(c.get("error"), c.toString());
        assertEquals(List.of(1L, 2L), pullAndAck(holder, 2));

        // R1 -> R3: the holder's store seeds the group, two placed servers catch up from it
        JsonNode up = api(ml, "$JS.API.STREAM.UPDATE.P", CREATE);
        assertNull(up.get("error"), up.toString());
        assertEquals(3, up.at("/config/num_replicas").asInt(), up.toString());
        assertEquals(3, assigned(ml).size(), assigned(ml).toString());
        assertTrue(assigned(ml).contains(holder.server().serverName()), assigned(ml).toString());
        settled(ml, expected);
        assertFalse(Files.exists(Path.of(holderDir, StreamMeta.FILE)), "the single-server meta.json is gone");
        expected.add("6=v6");
        assertEquals(6, publish("v6"));
        settled(ml, expected);
        Node leader = streamLeader();
        await("consumer C on the stream leader", () -> stream(leader).consumer("C") != null);
        JsonNode info = api(leader, "$JS.API.CONSUMER.INFO.P.C", "");
        assertEquals(2, info.at("/ack_floor/stream_seq").asLong(), info.toString());
        assertEquals(4, info.path("num_pending").asLong(), info.toString());
        assertEquals(List.of(3L), pullAndAck(leader, 1));

        // R3 -> R1: the stream's leader keeps its copy, the others go
        String kept = leader.server().serverName();
        if (stream(ml) == null && !ml.server().serverName().equals(kept)) {
            assertNull(meta(ml).transferTo(PeerIds.of(kept))); // no routes here: the meta leader asks its own replica
            await("meta leadership moved", () -> !meta(ml).isLeader());
        }
        Node ml2 = metaLeader();
        JsonNode down = api(ml2, "$JS.API.STREAM.UPDATE.P", R1);
        assertNull(down.get("error"), down.toString());
        assertEquals(1, down.at("/config/num_replicas").asInt(), down.toString());
        assertEquals(List.of(kept), assigned(ml2));
        Node single = settledSingle(ml2, expected);
        String dir = stream(single).dir();
        assertTrue(Files.exists(Path.of(dir, StreamMeta.FILE)), "a single-server meta.json again");
        await("the Raft state is gone", () -> !Files.exists(Path.of(dir, "raft")));
        expected.add("7=v7");
        assertEquals(7, publish("v7"));
        await("consumer C on " + kept, () -> stream(single).consumer("C") != null);
        info = api(single, "$JS.API.CONSUMER.INFO.P.C", "");
        assertEquals(3, info.at("/ack_floor/stream_seq").asLong(), info.toString());
        assertEquals(4, info.path("num_pending").asLong(), info.toString());
        assertEquals(List.of(4L), pullAndAck(single, 1));

        // and up again, then every node restarts: the group reopens from its Raft state
        up = api(ml2, "$JS.API.STREAM.UPDATE.P", CREATE);
        assertNull(up.get("error"), up.toString());
        settled(ml2, expected);
        for (Node n : nodes) {
            n.shutdown();
        }
        nodes.clear();
        startAll();
        Node again = metaLeader();
        settled(again, expected);
        expected.add("8=v8");
        assertEquals(8, publish("v8"));
        settled(again, expected);
        Node l = streamLeader();
        await("consumer C after the restart", () -> stream(l).consumer("C") != null);
        assertEquals(List.of(5L), pullAndAck(l, 1));
    }

    @Test
    void refusalsCarryNatsServersErrors() throws Exception {
        startAll();
        Node ml = metaLeader();
        createWithMessages(ml, 1);
        String outsider = NAMES.stream().filter(x -> !assigned(ml).contains(x)).findFirst().orElseThrow();
        JsonNode e = api(ml, "$JS.API.STREAM.PEER.REMOVE.NOPE", "{\"peer\":\"n1\"}");
        assertEquals(10059, e.at("/error/err_code").asInt(), e.toString());
        assertEquals("io.nats.jetstream.api.v1.stream_remove_peer_response", e.path("type").asText());
        e = api(ml, "$JS.API.STREAM.PEER.REMOVE.P", "{\"peer\":\"" + outsider + "\"}");
        assertEquals(10040, e.at("/error/err_code").asInt(), e.toString());
        assertEquals("peer not a member", e.at("/error/description").asText());
        e = api(ml, "$JS.API.STREAM.PEER.REMOVE.P", "");
        assertEquals(10003, e.at("/error/err_code").asInt(), e.toString());
        e = api(ml, "$JS.API.STREAM.PEER.REMOVE.P", "{\"peer\":\"\"}");
        assertEquals(10003, e.at("/error/err_code").asInt(), e.toString());
        e = api(ml, "$JS.API.STREAM.PEER.REMOVE.P", "{\"peer\":1}");
        assertEquals(10025, e.at("/error/err_code").asInt(), e.toString());
        // R3 -> R5 on four servers: no fifth to place
        e = api(ml, "$JS.API.STREAM.UPDATE.P", CREATE.replace("\"num_replicas\":3", "\"num_replicas\":5"));
        assertEquals(10005, e.at("/error/err_code").asInt(), e.toString());
        assertEquals(3, assigned(ml).size());
    }

    @Test
    void serverRemoveMovesItsReplicasThenTakesItOutOfTheMetaGroup() throws Exception {
        startAll();
        Node ml = metaLeader();
        List<String> expected = createWithMessages(ml, 3);
        settled(ml, expected);
        String victim = assigned(ml).stream().filter(x -> !x.equals(ml.server().serverName())).findFirst().orElseThrow();
        String victimDir = stream(node(victim)).dir();

        JsonNode bad = request(ml, "$SYS", "$JS.API.SERVER.REMOVE", "{\"peer\":\"nobody\"}", 10000);
        assertEquals(10044, bad.at("/error/err_code").asInt(), bad.toString());
        assertEquals("io.nats.jetstream.api.v1.meta_server_remove_response", bad.path("type").asText());
        bad = request(ml, "$SYS", "$JS.API.SERVER.REMOVE", "", 10000);
        assertEquals(10003, bad.at("/error/err_code").asInt(), bad.toString());

        JsonNode r = request(ml, "$SYS", "$JS.API.SERVER.REMOVE", "{\"peer\":\"" + victim + "\"}", 15000);
        assertEquals("{\"type\":\"io.nats.jetstream.api.v1.meta_server_remove_response\",\"success\":true}",
                r.toString());
        long id = PeerIds.of(victim);
        assertFalse(meta(ml).voters().contains(id), "answered once the removal is committed");
        assertFalse(assigned(ml).contains(victim), assigned(ml).toString());
        settled(ml, expected);
        await("the removed server's replica files are gone", () -> !Files.exists(Path.of(victimDir)));
        for (Node n : nodes) {
            if (!n.server().serverName().equals(victim)) {
                await(n.server().serverName() + " without " + victim, () -> !meta(n).voters().contains(id));
                assertTrue(meta(n).candidates().stream().noneMatch(c -> c.peer() == id));
            }
        }
        // placement no longer uses it: an R3 stream goes to the three members left
        JsonNode other = api(metaLeader(), "$JS.API.STREAM.CREATE.Q", "{\"name\":\"Q\",\"subjects\":[\"q\"],\"num_replicas\":3}");
        assertNull(other.get("error"), other.toString());
        assertFalse(meta(metaLeader()).assignments().stream(Account.GLOBAL, "Q").peers().contains(id));
        r = request(metaLeader(), "$SYS", "$JS.API.SERVER.REMOVE", "{\"peer\":\"" + victim + "\"}", 10000);
        assertEquals(10044, r.at("/error/err_code").asInt(), r.toString());
        expected.add("4=v4");
        assertEquals(4, publish("v4"));
        settled(metaLeader(), expected);
    }
}
