package io.weft.sim.world;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The pull-and-ack loop of a scenario's consumer client: pulls batches of five from one durable
 * consumer, acks every message it gets, and stops once the publishers and the nemesis are done and
 * three pulls in a row, begun more than an ack wait after that, came back with only a 404/408
 * status (the consumer is there and has nothing more to give, redeliveries of what a fault lost
 * included). Not draining within {@code limit} of that point fails the run.
 *
 * <p>js-crash and js-cluster differ only in the settings and in what they do with a delivery and
 * with a pull nobody answered; the order of a client's requests, acks and sleeps is this loop's,
 * so their traces do not depend on which scenario calls it.
 */
final class PullDrain {

    /**
     * @param next      the {@code CONSUMER.MSG.NEXT} subject
     * @param pull      the pull request's JSON
     * @param answerWait how long one pull collects answers
     * @param limit     the drain deadline, counted from when publishers and nemesis are done
     * @param ackWait   the consumer's ack wait: only pulls begun this long after that count as empty
     * @param who       the consumer as it is named in the checker's history
     * @param late      the failure text before "; last answer: ..." when {@code limit} passes
     */
    record Settings(String next, String pull, Duration answerWait, Duration limit, Duration ackWait,
                    String who, String late) {
    }

    /** What the caller does with each delivered message's payload, besides checking and acking it. */
    interface Delivered {
        void accept(String payload);
    }

    /** What the caller does after a pull that got no answer at all (no leader, node cut off, down). */
    interface Unanswered {
        void after(JsConn c) throws Exception;
    }

    /**
     * js-cluster-reset's variation: before the publishers and faults are done, {@code withhold}
     * says whether to leave a delivery unacknowledged (and not yet consumed: the consumer must give
     * it again, by its ack wait or a reset to the ack floor), and {@code afterAnswer} runs after each
     * pull that got an answer (a consumer reset now and then).
     */
    interface Variation {
        boolean withhold();

        void afterAnswer(JsConn c) throws Exception;
    }

    private static final Variation NONE = new Variation() {
        @Override
        public boolean withhold() {
            return false;
        }

        @Override
        public void afterAnswer(JsConn c) {
        }
    };

    private PullDrain() {
    }

    static void run(JsConn c, Settings s, CountDownLatch published, Thread nemesis, JsCrashChecker checker,
                    Delivered delivered, Unanswered unanswered) throws Exception {
        run(c, s, published, nemesis, checker, delivered, unanswered, NONE);
    }

    static void run(JsConn c, Settings s, CountDownLatch published, Thread nemesis, JsCrashChecker checker,
                    Delivered delivered, Unanswered unanswered, Variation variation) throws Exception {
        int empty = 0;
        long settledAt = -1;
        String lastAnswer = "none";
        while (published.getCount() > 0 || nemesis.isAlive() || empty < 3) {
            // only pulls begun after the last publish and fault count as having nothing more
            boolean settled = published.getCount() == 0 && !nemesis.isAlive();
            if (settled) {
                if (settledAt < 0) {
                    settledAt = c.now();
                } else if (c.now() - settledAt > s.limit().toNanos()) {
                    checker.fail(s.late() + "; last answer: " + lastAnswer);
                    return;
                }
            }
            List<JsConn.Reply> got = c.requestAll(s.next(), null, s.pull(), s.answerWait(), false);
            int messages = 0;
            boolean nothing = false;
            lastAnswer = got.isEmpty() ? "no answer" : got.get(got.size() - 1).headers() == null ? "a message"
                    : got.get(got.size() - 1).headers().strip();
            for (JsConn.Reply m : got) {
                if (m.status() == 404 || m.status() == 408) {
                    nothing = true;
                }
                if (m.status() != 0 || m.reply() == null || !m.reply().startsWith("$JS.ACK.")) {
                    continue;
                }
                long sseq = ackStreamSeq(m.reply());
                if (sseq <= 0) {
                    checker.fail("consumer got an ack subject it cannot read: " + m.reply());
                    continue;
                }
                messages++;
                if (!settled && variation.withhold()) {
                    continue;
                }
                delivered.accept(m.payload());
                checker.delivered(s.who(), sseq, m.subject().startsWith("_INBOX.") ? null : m.subject(), m.payload());
                c.publish(m.reply(), "+ACK");
            }
            // a delivery lost in a fault comes again an ack wait after the consumer is back
            boolean quiet = settled && c.now() - settledAt > s.ackWait().toNanos();
            empty = messages == 0 && nothing && quiet ? empty + 1 : 0;
            if (messages == 0 && !nothing) {
                unanswered.after(c);
            } else if (!settled) {
                variation.afterAnswer(c);
            }
        }
        checker.consumerDrained();
    }

    /** The stream sequence in a {@code $JS.ACK} subject (v1: 9 tokens; v2: 12, with domain and account). */
    static long ackStreamSeq(String ack) {
        String[] t = ack.split("\\.");
        try {
            if (t.length == 9) {
                return Long.parseLong(t[5]);
            }
            if (t.length >= 11) {
                return Long.parseLong(t[7]);
            }
        } catch (NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
