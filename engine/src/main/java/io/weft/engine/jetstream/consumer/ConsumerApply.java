package io.weft.engine.jetstream.consumer;

import io.weft.engine.jetstream.Retention;
import io.weft.engine.jetstream.consumer.ConsumerConfig.AckPolicy;
import io.weft.engine.jetstream.consumer.ConsumerOp.Acked;
import io.weft.engine.jetstream.consumer.ConsumerOp.AckedAll;
import io.weft.engine.jetstream.consumer.ConsumerOp.Delivered;
import io.weft.engine.jetstream.consumer.ConsumerOp.Dropped;
import io.weft.engine.jetstream.consumer.ConsumerOp.GaveUp;
import io.weft.engine.jetstream.consumer.ConsumerOp.LateAck;
import io.weft.engine.jetstream.consumer.ConsumerOp.Nakked;
import io.weft.engine.jetstream.consumer.ConsumerOp.Positioned;
import io.weft.engine.jetstream.consumer.ConsumerOp.Progressed;
import io.weft.engine.jetstream.consumer.ConsumerOp.Purged;
import io.weft.engine.jetstream.consumer.ConsumerOp.Termed;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one writer of a consumer's durable state: it applies {@link ConsumerOp}s to the
 * {@link Consumer}'s delivered/ack-floor counters and pending acks, and it alone writes (or
 * deletes) the consumer's {@code state.dat}. {@code io.weft.engine.arch.OneConsumerWriterTest}
 * fails the build if another class does. What an op releases to the stream (work-queue and
 * interest removal) is queued on the consumer, which hands it to the stream after unlocking.
 *
 * <p>Called with the consumer's lock held. Every application ends by checking the state's
 * invariants (with {@code -ea}, as surefire and {@code weft sim} run).
 */
final class ConsumerApply {
    private final Consumer c;
    private final ConsumerPersistence persistence;

    ConsumerApply(Consumer c, ConsumerPersistence persistence) {
        this.c = c;
        this.persistence = persistence;
    }

    void apply(ConsumerOp op) {
        assert c.lock.isHeldByCurrentThread() : "consumer state applied without its lock";
        switch (op) {
            case Positioned p -> positioned(p);
            case Delivered d -> delivered(d);
            case Acked a -> acked(a);
            case AckedAll a -> ackedAll(a);
            case LateAck a -> lateAck(a);
            case Nakked n -> nakked(n);
            case Progressed p -> {
                Consumer.Pending pending = c.pending.get(p.seq());
                if (pending != null) {
                    pending.deadline = p.deadline();
                }
            }
            case Termed t -> termed(t);
            case GaveUp g -> gaveUp(g);
            case Dropped d -> {
                c.pending.remove(d.seq());
                c.deliveries.remove(d.seq());
                c.redeliver.remove(d.seq());
                updateAckFloor();
            }
            case Purged p -> purged(p);
            case ConsumerOp.Reset r -> reset(r);
        }
        c.dirty = true;
        assert invariants() : "consumer " + c.name + " state broken after " + op + ": " + describe();
    }

    /** Replaces {@code state.dat} with the current state (the consumer's lock must not be held). */
    void persist() throws IOException {
        if (persistence != null) {
            persistence.writeState(c);
        }
    }

    /** Deletes the consumer's files (a deleted consumer). */
    void deleteFiles() throws IOException {
        if (persistence != null) {
            persistence.delete();
        }
    }

    // ------------------------------------------------------------------ the ops

    private void positioned(Positioned p) {
        c.nextSeq = p.nextSeq();
        c.lastPerSubject.clear();
        c.lastPerSubject.addAll(p.lastPerSubject());
        c.lastStreamSeq = p.lastStreamSeq();
        c.ackFloorS = p.lastStreamSeq(); // as nats-server: messages before the start count as acknowledged
    }

    private void delivered(Delivered d) {
        // consumer sequences are handed out in order, one per delivery
        assert d.cseq() == c.dseq + 1 : "delivery " + d.cseq() + " after consumer sequence " + c.dseq;
        long s = d.seq();
        c.dseq = d.cseq();
        if (c.cfg.ackPolicy() != AckPolicy.NONE) {
            c.deliveries.put(s, d.deliveryCount());
            c.earliestDeadline = Math.min(c.earliestDeadline, d.deadline());
            Consumer.Pending p = c.pending.get(s);
            if (p == null) {
                c.pending.put(s, new Consumer.Pending(d.cseq(), d.deadline(), d.mono()));
            } else {
                p.cseq = d.cseq();
                p.deadline = d.deadline();
                p.deliveredMono = d.mono();
            }
        }
        if (s > c.lastStreamSeq) {
            c.lastStreamSeq = s;
        }
        if (c.cfg.ackPolicy() == AckPolicy.NONE) {
            c.ackFloorC = c.dseq;
            c.ackFloorS = c.lastStreamSeq;
            release(s);
        }
        c.lastActiveWall = d.wall();
    }

    private void acked(Acked a) {
        long s = a.seq();
        Consumer.Pending p = c.pending.remove(s);
        assert p != null : "ack of " + s + " decided for a message not pending";
        forget(s);
        c.lastAckWall = a.wall();
        floorAfterAck(p.cseq, s);
    }

    private void ackedAll(AckedAll a) {
        List<Long> done = new ArrayList<>(c.pending.headMap(a.seq(), true).keySet());
        for (long s : done) {
            c.pending.remove(s);
            forget(s);
        }
        // nats-server puts the floor of an ack-all consumer on the acknowledged message itself
        c.ackFloorS = Math.max(c.ackFloorS, a.seq());
        c.ackFloorC = Math.max(c.ackFloorC, a.cseq());
        c.lastAckWall = a.wall();
        if (c.pending.isEmpty()) {
            updateAckFloor();
        }
    }

    /**
     * An ack (or term) of a message that is not pending: one that ran out of deliveries is kept by
     * the stream until then (the application dead-letters it after the MAX_DELIVERIES advisory),
     * and this is what lets a work queue or interest stream drop it. As nats-server, the ack floor
     * does not move; the ack time is stamped for any message this consumer already delivered.
     */
    private void lateAck(LateAck a) {
        long s = a.seq();
        Integer dc = c.deliveries.remove(s);
        c.redeliver.remove(s);
        if (s <= c.lastStreamSeq) {
            c.lastAckWall = a.wall();
        }
        if (dc != null) {
            release(s);
        }
    }

    private void nakked(Nakked n) {
        Consumer.Pending p = c.pending.get(n.seq());
        if (p == null) {
            return;
        }
        // due now (or after the delay): the loop redelivers it, or gives up on it at max_deliver
        p.deadline = n.deadline();
        c.earliestDeadline = Math.min(c.earliestDeadline, p.deadline);
        c.redeliver.remove(n.seq());
    }

    private void termed(Termed t) {
        long s = t.seq();
        Consumer.Pending p = c.pending.remove(s);
        assert p != null : "term of " + s + " decided for a message not pending";
        forget(s);
        c.lastAckWall = t.wall(); // a term is an ack: nats-server stamps ack_floor.last_active
        floorAfterAck(p.cseq, s);
    }

    /**
     * Gives up on a message at max_deliver, as nats-server 2.11+: no longer pending; the stream
     * keeps it (even a work queue: an ack or term of it later lets the stream drop it), the
     * delivery count stays (it still counts in num_redelivered), and the ack floor does not move.
     */
    private void gaveUp(GaveUp g) {
        c.pending.remove(g.seq());
        c.redeliver.remove(g.seq());
        c.lastActiveWall = g.wall();
    }

    private void purged(Purged p) {
        long firstSeq = p.firstSeq();
        for (long s : p.gone()) {
            c.pending.remove(s);
            c.deliveries.remove(s);
            c.redeliver.remove(s);
        }
        c.deliveries.keySet().removeIf(s -> s < firstSeq);
        if (c.nextSeq < firstSeq) {
            c.nextSeq = firstSeq;
        }
        c.lastPerSubject.removeIf(s -> s < firstSeq);
        if (c.ackFloorS < firstSeq - 1) {
            c.ackFloorS = firstSeq - 1;
        }
        if (c.lastStreamSeq < firstSeq - 1) {
            c.lastStreamSeq = firstSeq - 1;
        }
        updateAckFloor();
    }

    /**
     * As nats-server 2.14's reset: the position and both floors start over at the sequence, so a
     * message delivered before and not acknowledged is delivered again as a first delivery. What the
     * stream may now drop (interest retention) the stream sweeps for after the reset.
     */
    private void reset(ConsumerOp.Reset r) {
        c.pending.clear();
        c.deliveries.clear();
        c.redeliver.clear();
        c.lastPerSubject.clear();
        c.nextSeq = r.seq();
        c.dseq = 0;
        c.ackFloorC = 0;
        c.ackFloorS = r.seq() - 1;
        c.lastStreamSeq = r.seq() - 1;
        c.lastActiveWall = 0;
        c.lastAckWall = 0;
    }

    // ------------------------------------------------------------------ shared steps

    /** An acknowledged (or terminated) message: its delivery count goes, and the stream may drop it. */
    private void forget(long s) {
        c.deliveries.remove(s);
        c.redeliver.remove(s);
        release(s);
    }

    private void release(long s) {
        if (c.src.retention() != Retention.LIMITS) {
            c.toRelease.add(s);
        }
    }

    /**
     * nats-server's ack floor rule: with nothing left pending the floor is what was delivered;
     * otherwise it moves only when the acknowledged message sat right above it, up to just below
     * the next pending message. A message given up at max_deliver never moves it.
     */
    private void floorAfterAck(long cseq, long sseq) {
        if (c.pending.isEmpty()) {
            c.ackFloorC = c.dseq;
            c.ackFloorS = c.lastStreamSeq;
            return;
        }
        if (cseq != c.ackFloorC + 1) {
            return;
        }
        c.ackFloorC = cseq;
        c.ackFloorS = sseq;
        Map.Entry<Long, Consumer.Pending> next = c.pending.higherEntry(sseq);
        if (next != null) {
            c.ackFloorC = Math.max(c.ackFloorC, next.getValue().cseq - 1);
            c.ackFloorS = Math.max(c.ackFloorS, next.getKey() - 1);
        }
    }

    private void updateAckFloor() {
        if (c.cfg.ackPolicy() == AckPolicy.NONE || c.pending.isEmpty()) {
            c.ackFloorC = c.dseq;
            c.ackFloorS = c.lastStreamSeq;
        } else {
            Map.Entry<Long, Consumer.Pending> first = c.pending.firstEntry();
            c.ackFloorS = Math.max(c.ackFloorS, first.getKey() - 1);
            c.ackFloorC = Math.max(c.ackFloorC, first.getValue().cseq - 1);
        }
    }

    // ------------------------------------------------------------------ invariants

    /**
     * What holds after every op (constant or logarithmic time, so it may run on every one): the
     * ack floor never passes what was delivered, every pending message was delivered (so it has
     * a delivery count, and sits at or below the last delivered stream sequence), and without
     * acks nothing is pending.
     */
    private boolean invariants() {
        return c.dseq >= 0 && c.ackFloorC >= 0 && c.ackFloorS >= 0
                && c.ackFloorC <= c.dseq && c.ackFloorS <= c.lastStreamSeq
                && c.pending.size() <= c.deliveries.size()
                && (c.pending.isEmpty() || (c.pending.lastKey() <= c.lastStreamSeq
                        && c.pending.lastEntry().getValue().cseq <= c.dseq
                        && c.cfg.ackPolicy() != AckPolicy.NONE));
    }

    private String describe() {
        return "delivered " + c.dseq + "/" + c.lastStreamSeq + ", ack floor " + c.ackFloorC + "/" + c.ackFloorS
                + ", " + c.pending.size() + " pending, " + c.deliveries.size() + " delivery counts";
    }
}
