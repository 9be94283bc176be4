package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * One subscription in {@code /connz?subs=detail} and {@code /subsz?subs=1}. {@code account} (and
 * {@code account_tag}, the account's name tag, which is its name in weft) is present in /subsz and
 * for closed connections, absent for open ones in /connz (as nats-server).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SubDetail(
        @JsonInclude(Include.NON_EMPTY) String account,
        @JsonInclude(Include.NON_EMPTY) String accountTag,
        String subject,
        @JsonInclude(Include.NON_EMPTY) String qgroup,
        String sid,
        long msgs,
        @JsonInclude(Include.NON_DEFAULT) long max,
        long cid) {

    /** A subscription of {@code account} (null: not named), whose name tag is its name. */
    public SubDetail(String account, String subject, String qgroup, String sid, long msgs, long max, long cid) {
        this(account, account, subject, qgroup, sid, msgs, max, cid);
    }
}
