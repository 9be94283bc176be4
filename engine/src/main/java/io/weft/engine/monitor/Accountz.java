package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.weft.engine.sublist.SublistStats;
import java.util.List;

/** {@code /accountz}: the account names, or with {@code acc=NAME} that account's detail. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Accountz(
        String serverId,
        String now,
        @JsonInclude(Include.NON_EMPTY) String systemAccount,
        @JsonInclude(Include.NON_NULL) List<String> accounts,
        @JsonInclude(Include.NON_NULL) AccountInfo accountDetail) {

    /** {@code account_detail}. weft has no imports, exports or JWTs yet, so those keys are absent. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record AccountInfo(
            String accountName,
            String updateTime,
            boolean expired,
            boolean complete,
            boolean jetstreamEnabled,
            long leafnodeConnections,
            long clientConnections,
            long subscriptions,
            SublistStats sublistStats) {
    }
}
