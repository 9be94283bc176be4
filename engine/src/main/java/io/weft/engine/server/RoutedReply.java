package io.weft.engine.server;

/**
 * How a routed message carries the subject its subscribers are shown when that is not the one it
 * is routed by (a JetStream push delivery: routed by the deliver subject, shown the stored
 * message's subject): as nats-server 2.15.1, after an {@code @} at the end of its {@code $JS.ACK}
 * reply ({@code RMSG $G dlv $JS.ACK.S.C.1.1.1.<ts>.0@orders.new 5}).
 */
final class RoutedReply {
    private RoutedReply() {
    }

    /**
     * The reply a routed message carries when its subscribers are shown another subject than the
     * one it is routed by (a JetStream push delivery: routed by the deliver subject, shown the
     * stored message's subject). As nats-server, the shown subject rides after an {@code @} at the
     * end of the {@code $JS.ACK} reply; the receiving server splits it off again
     * ({@link #shownSubject}). Anything else travels unchanged.
     */
    static String replyShowing(String routeSubject, String shownSubject, String reply) {
        if (reply == null || shownSubject.equals(routeSubject) || !reply.startsWith("$JS.ACK.")) {
            return reply;
        }
        return reply + "@" + shownSubject;
    }

    /**
     * The index of the {@code @} that separates a {@code $JS.ACK} reply from the subject its
     * message shows (after the ack reply's 8 dots, as nats-server looks for it); -1 when none.
     */
    static int shownSubject(String reply) {
        if (reply == null || !reply.startsWith("$JS.ACK.")) {
            return -1;
        }
        int dots = 0;
        for (int i = 0; i < reply.length(); i++) {
            char c = reply.charAt(i);
            if (c == '.') {
                dots++;
            } else if (c == '@' && dots >= 8) {
                return i;
            }
        }
        return -1;
    }
}
