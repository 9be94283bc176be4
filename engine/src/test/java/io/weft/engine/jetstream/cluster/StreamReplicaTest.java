package io.weft.engine.jetstream.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.jetstream.JsErrors;
import io.weft.engine.jetstream.StreamConfig;
import io.weft.engine.jetstream.StreamOp;
import io.weft.engine.jetstream.StreamReplica;
import io.weft.store.MemoryStore;
import io.weft.store.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The replica seam a Raft log drives: the leader decides against applied + pending appends (next
 * sequence, duplicate ids, expected last sequence), a follower applying the same ops holds the same
 * messages, and a snapshot image restores the same messages at the same sequences with the derived
 * state (duplicate window, last id, last timestamp).
 */
class StreamReplicaTest {
    static StreamConfig config() throws Exception {
        return StreamConfig.parse(new ObjectMapper().readTree("{\"name\":\"Q\",\"subjects\":[\"q\"],\"num_replicas\":3}"))
                .withDefaults();
    }

    static StreamReplica replica() throws Exception {
        return new StreamReplica("Q", config(), MemoryStore::new, e -> { throw new AssertionError(e); });
    }

    static byte[] hdr(String... kv) {
        StringBuilder b = new StringBuilder("NATS/1.0\r\n");
        for (int i = 0; i < kv.length; i += 2) b.append(kv[i]).append(": ").append(kv[i + 1]).append("\r\n");
        return b.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] data(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theLeaderDecidesAgainstItsPendingAppends() throws Exception {
        StreamReplica r = replica();
        StreamOp.Append a = ((StreamReplica.Accepted) r.decide("q", hdr("Nats-Msg-Id", "a"), data("1"), 1000)).op();
        StreamOp.Append b = ((StreamReplica.Accepted) r.decide("q", new byte[0], data("2"), 1000)).op();
        assertEquals(1, a.seq());
        assertEquals(2, b.seq());
        assertTrue(b.ts() > a.ts(), "timestamps grow across pending appends");
        assertEquals(new StreamReplica.Duplicate(1, true), r.decide("q", hdr("Nats-Msg-Id", "a"), data("1"), 1001));
        StreamReplica.Rejected stale = (StreamReplica.Rejected) r.decide("q", hdr("Nats-Expected-Last-Sequence", "1"), data("3"), 1002);
        assertEquals(JsErrors.WRONG_LAST_SEQUENCE.with(2L), stale.error());
        assertInstanceOf(StreamReplica.Accepted.class, r.decide("q", hdr("Nats-Expected-Last-Sequence", "2"), data("3"), 1003));
        assertEquals(3, r.pendingCount());
        assertEquals(0, r.state().msgs(), "deciding writes nothing");

        r.apply(a);
        assertEquals(2, r.pendingCount());
        assertEquals(new StreamReplica.Duplicate(1, false), r.decide("q", hdr("Nats-Msg-Id", "a"), data("1"), 1004));
        r.clearPending();
        // after a leadership change the state is the applied one alone
        StreamOp.Append again = ((StreamReplica.Accepted) r.decide("q", new byte[0], data("4"), 1005)).op();
        assertEquals(2, again.seq());
    }

    static StreamReplica replica(String extra) throws Exception {
        StreamConfig c = StreamConfig.parse(new ObjectMapper().readTree("{\"name\":\"Q\",\"subjects\":[\"q.>\"],"
                + "\"num_replicas\":3," + extra + "}")).withDefaults();
        return new StreamReplica("Q", c, MemoryStore::new, e -> { throw new AssertionError(e); });
    }

    /**
     * A counter adds to the subject's newest value in log order: increments still pending count, a
     * follower applying the ops stores the same values, and after a leadership change (pending
     * forgotten) the sum goes on from the applied value.
     */
    @Test
    void countersAddToPendingIncrements() throws Exception {
        StreamReplica leader = replica("\"allow_msg_counter\":true");
        StreamReplica follower = replica("\"allow_msg_counter\":true");
        StreamOp.Append one = ((StreamReplica.Accepted) leader.decide("q.c", hdr("Nats-Incr", "2"), new byte[0], 1000)).op();
        StreamOp.Append two = ((StreamReplica.Accepted) leader.decide("q.c", hdr("Nats-Incr", "5"), new byte[0], 1001)).op();
        StreamOp.Append other = ((StreamReplica.Accepted) leader.decide("q.d", hdr("Nats-Incr", "1"), new byte[0], 1002)).op();
        assertEquals("{\"val\":\"2\"}", new String(one.data(), StandardCharsets.US_ASCII));
        assertEquals("{\"val\":\"7\"}", new String(two.data(), StandardCharsets.US_ASCII), "the pending 2 counted");
        assertEquals("{\"val\":\"1\"}", new String(other.data(), StandardCharsets.US_ASCII));
        for (StreamOp op : List.of(one, two, other)) {
            leader.apply(op);
            follower.apply(op);
        }
        StreamOp.Append pendingLost = ((StreamReplica.Accepted) leader.decide("q.c", hdr("Nats-Incr", "100"), new byte[0], 1003)).op();
        assertEquals("{\"val\":\"107\"}", new String(pendingLost.data(), StandardCharsets.US_ASCII));
        leader.clearPending(); // never committed: the next decision adds to the applied 7
        StreamOp.Append three = ((StreamReplica.Accepted) leader.decide("q.c", hdr("Nats-Incr", "-10"), new byte[0], 1004)).op();
        assertEquals("{\"val\":\"-3\"}", new String(three.data(), StandardCharsets.US_ASCII));
        follower.apply(three);
        assertEquals("{\"val\":\"-3\"}", new String(follower.load(4).data(), StandardCharsets.US_ASCII));
    }

    /** A subject transform is applied by the leader's decision; republish's last sequence counts pending appends. */
    @Test
    void theDecisionTransformsAndTracksTheSubjectsLastSequence() throws Exception {
        StreamReplica r = replica("\"subject_transform\":{\"src\":\"q.*\",\"dest\":\"q.{{wildcard(1)}}.t\"},"
                + "\"republish\":{\"src\":\"q.>\",\"dest\":\"rp.>\"}");
        StreamReplica.Accepted a = (StreamReplica.Accepted) r.decide("q.a", new byte[0], data("1"), 1000);
        StreamReplica.Accepted b = (StreamReplica.Accepted) r.decide("q.b", new byte[0], data("2"), 1001);
        StreamReplica.Accepted c = (StreamReplica.Accepted) r.decide("q.a", new byte[0], data("3"), 1002);
        assertEquals("q.a.t", a.op().subject());
        assertEquals("q.b.t", b.op().subject());
        assertEquals(List.of(0L, 0L, 1L), List.of(a.subjectLastSeq(), b.subjectLastSeq(), c.subjectLastSeq()));
        r.apply(a.op());
        r.apply(b.op());
        r.apply(c.op());
        StreamReplica.Accepted d = (StreamReplica.Accepted) r.decide("q.a", new byte[0], data("4"), 1003);
        assertEquals(3, d.subjectLastSeq());
    }

    /** Interest retention's "no interest" is the leader's predicate, carried in the op; first_seq starts an empty replica. */
    @Test
    void noInterestIsDecidedByThePredicateAndFirstSeqStartsTheStore() throws Exception {
        StreamReplica r = replica("\"retention\":\"interest\",\"first_seq\":40");
        r.restore(StreamReplica.Image.empty()); // as the log does when it opens
        assertEquals(39, r.state().lastSeq());
        r.interest(subject -> subject.equals("q.wanted"));
        StreamOp.Append dropped = ((StreamReplica.Accepted) r.decide("q.other", new byte[0], data("x"), 1000)).op();
        StreamOp.Append kept = ((StreamReplica.Accepted) r.decide("q.wanted", new byte[0], data("y"), 1001)).op();
        assertTrue(dropped.noInterest());
        assertFalse(kept.noInterest());
        assertEquals(40, dropped.seq());
        r.apply(dropped);
        r.apply(kept);
        assertEquals(1, r.state().msgs());
        assertEquals(41, r.state().lastSeq());
    }

    @Test
    void aFollowerApplyingTheSameOpsHoldsTheSameMessages() throws Exception {
        StreamReplica leader = replica();
        StreamReplica follower = replica();
        List<StreamOp> ops = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ops.add(((StreamReplica.Accepted) leader.decide("q", hdr("Nats-Msg-Id", "m" + i), data("v" + i), 10 - i)).op());
        }
        ops.add(new StreamOp.Delete(2, false));
        for (StreamOp op : ops) {
            assertTrue(leader.fits(op));
            leader.apply(op);
            assertTrue(follower.fits(op));
            follower.apply(op);
        }
        assertEquals(render(leader.messages()), render(follower.messages()));
        assertFalse(follower.fits(ops.getFirst()), "an append at an old sequence does not fit");
    }

    @Test
    void aSnapshotImageRestoresTheSameStream() throws Exception {
        StreamReplica a = replica();
        for (int i = 1; i <= 6; i++) {
            a.apply(((StreamReplica.Accepted) a.decide("q", hdr("Nats-Msg-Id", "m" + i), data("v" + i), 100 + i)).op());
        }
        a.apply(new StreamOp.Delete(3, false));
        a.apply(new StreamOp.Delete(6, false)); // the last one: its timestamp and id stay known
        StreamReplica b = replica();
        b.apply(((StreamReplica.Accepted) b.decide("q", new byte[0], data("other"), 1)).op());
        b.restore(a.image());
        assertEquals(render(a.messages()), render(b.messages()));
        assertEquals(a.state(), b.state());
        assertEquals(new StreamReplica.Duplicate(6, false), b.decide("q", hdr("Nats-Msg-Id", "m6"), data("v6"), 200));
        StreamOp.Append next = ((StreamReplica.Accepted) b.decide("q", hdr("Nats-Expected-Last-Msg-Id", "m6"), data("v7"), 50)).op();
        assertEquals(7, next.seq());
        assertEquals(107, next.ts(), "after the removed last message's timestamp, though the clock went back");
        b.restore(StreamReplica.Image.empty());
        assertEquals(0, b.state().lastSeq());
    }

    /** Consumer records follow the consumer ops, leave the messages alone and travel in the image. */
    @Test
    void consumerRecordsFollowTheirOpsAndTheImage() throws Exception {
        StreamReplica a = replica();
        a.apply(((StreamReplica.Accepted) a.decide("q", new byte[0], data("v1"), 100)).op());
        a.apply(new StreamOp.ConsumerPut("w", data("{\"config\":{}}"), new byte[] {1}));
        a.apply(new StreamOp.ConsumerPut("x", data("{}"), new byte[] {7}));
        a.apply(new StreamOp.ConsumerState("w", new byte[] {2}));
        a.apply(new StreamOp.ConsumerState("gone", new byte[] {3})); // deleted before its state was applied: ignored
        a.apply(new StreamOp.ConsumerDelete("x"));
        assertEquals(List.of("w"), a.consumers().stream().map(StreamReplica.ConsumerRecord::name).toList());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[] {2}, a.consumer("w").state());
        org.junit.jupiter.api.Assertions.assertArrayEquals(data("{\"config\":{}}"), a.consumer("w").meta());
        assertEquals(1, a.state().msgs(), "consumer ops touch no message");
        assertEquals(1, a.state().lastSeq());
        StreamReplica b = replica();
        b.apply(new StreamOp.ConsumerPut("stale", data("{}"), new byte[0]));
        b.restore(a.image());
        assertEquals(List.of("w"), b.consumers().stream().map(StreamReplica.ConsumerRecord::name).toList());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[] {2}, b.consumer("w").state());
        // the next append still fits after the consumer ops took their indexes
        StreamOp.Append next = ((StreamReplica.Accepted) b.decide("q", new byte[0], data("v2"), 200)).op();
        assertTrue(b.fits(next));
        b.apply(next);
        assertEquals(2, b.state().lastSeq());
    }

    static StreamConfig config(String extra) throws Exception {
        return StreamConfig.parse(new ObjectMapper().readTree("{\"name\":\"Q\",\"subjects\":[\"q\",\"r\"],\"num_replicas\":3"
                + extra + "}")).withDefaults();
    }

    /**
     * A configuration op: every replica applying it at the same point takes the configuration and
     * trims by its lowered limits the same messages; an op of an older revision changes nothing;
     * the leader decides with a configuration from the moment it logs it; the image carries it.
     */
    @Test
    void aConfigOpChangesTheConfigurationAndTrimsTheSameMessagesOnEveryReplica() throws Exception {
        StreamReplica leader = replica();
        StreamReplica follower = replica();
        List<StreamOp> ops = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            StreamOp op = ((StreamReplica.Accepted) leader.decide("q", new byte[0], data("v" + i), 100 + i)).op();
            ops.add(op);
            leader.apply(op);
        }
        StreamOp.Config lower = new StreamOp.Config(1, config(",\"max_msgs\":4,\"description\":\"d\""));
        leader.configProposed(lower);
        assertEquals(1, leader.proposedRevision());
        assertEquals(0, leader.configRevision(), "logged, not applied");
        // decided after the op was logged: by its limits
        StreamOp.Append after = ((StreamReplica.Accepted) leader.decide("r", new byte[0], data("v7"), 200)).op();
        assertEquals(4, after.limits().maxMsgs());
        StreamOp.Applied trimmed = leader.apply(lower);
        assertEquals(2, trimmed.removed(), "6 messages, max_msgs lowered to 4");
        leader.apply(after);
        ops.add(lower);
        ops.add(after);
        for (StreamOp op : ops) {
            follower.apply(op);
        }
        for (StreamReplica r : List.of(leader, follower)) {
            assertEquals(1, r.configRevision());
            assertEquals(4, r.config().maxMsgs());
            assertEquals("d", r.config().description());
            assertEquals(List.of("4", "5", "6", "7"), r.messages().stream().map(m -> String.valueOf(m.seq())).toList());
        }
        // an older revision (a deposed leader's, logged after the newer one) is nothing, on every replica
        StreamOp.Config stale = new StreamOp.Config(1, config(",\"max_msgs\":1"));
        assertEquals(0, leader.apply(stale).removed());
        assertEquals(4, leader.config().maxMsgs());
        assertEquals(4, leader.state().msgs());
        // the image carries the configuration: a replica restored from it has it
        StreamReplica fresh = replica();
        fresh.restore(leader.image());
        assertEquals(1, fresh.configRevision());
        assertEquals(leader.config(), fresh.config());
        fresh.restore(StreamReplica.Image.empty());
        assertEquals(0, fresh.configRevision());
        assertEquals(config(), fresh.config(), "an image without one: the opening configuration");
        // a leader that lost its chain forgets what it logged
        leader.configProposed(new StreamOp.Config(2, config(",\"max_msgs\":2")));
        leader.clearPending();
        assertEquals(1, leader.proposedRevision());
    }

    private static List<String> render(List<StoredMessage> msgs) {
        List<String> out = new ArrayList<>();
        for (StoredMessage m : msgs) out.add(m.seq() + "@" + m.timestampNanos() + "=" + new String(m.data(), StandardCharsets.UTF_8));
        return out;
    }
}
