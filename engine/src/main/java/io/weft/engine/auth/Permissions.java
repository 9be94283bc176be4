package io.weft.engine.auth;

import java.time.Duration;
import java.util.List;

/**
 * Publish and subscribe permissions of a user, as in nats-server's {@code permissions} block.
 *
 * @param publish null means publishing anywhere is allowed
 * @param subscribe null means subscribing anywhere is allowed
 * @param response null unless {@code allow_responses} is set
 */
public record Permissions(SubjectPermission publish, SubjectPermission subscribe, ResponsePermission response) {

    /**
     * Allow and deny lists. An empty allow list with a non-empty deny list allows everything not
     * denied; subscribe entries may be {@code "subject queue"} to restrict queue groups.
     */
    public record SubjectPermission(List<String> allow, List<String> deny) {
    }

    /**
     * {@code allow_responses}: publishing to reply subjects of received requests. {@code true} means
     * one response and no time limit (as nats-server 2.9 behaves); a zero {@code expires} is no limit.
     */
    public record ResponsePermission(int maxMsgs, Duration expires) {
        public static final ResponsePermission DEFAULT = new ResponsePermission(1, Duration.ZERO);
    }
}
