package io.weft.engine.server;

import java.util.List;

/**
 * The far end of a route as the {@link Router} sees it: where a message for remote interest is
 * sent. The route package implements it; the router calls it on the publisher's thread, so it
 * must copy what it keeps and must not block (a route queues the bytes for its writer).
 */
public interface RouteSink {
    /**
     * Sends one message to the peer (an {@code RMSG}, or {@code HMSG} when {@code hdrLen > 0}).
     * {@code queues} names the peer's queue groups this message was picked for (empty: only its
     * plain subscriptions). False when the route is closing and took nothing.
     */
    boolean sendMessage(String account, String subject, String reply, List<String> queues,
                        byte[] data, int off, int hdrLen, int totalLen);

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
