package io.weft.engine.monitor;

/**
 * The query of {@code /subsz} (also {@code /subscriptionsz}).
 *
 * @param subs list the subscriptions, not only the statistics
 * @param offset first subscription of the page
 * @param limit page size
 * @param test only subscriptions that would receive a message published on this subject; "" for all
 * @param account only this account's statistics and subscriptions; "" for all
 */
public record SubszOptions(boolean subs, int offset, int limit, String test, String account) {

    public static SubszOptions defaults() {
        return new SubszOptions(false, 0, ConnzOptions.DEFAULT_LIMIT, "", "");
    }

    /** Reads and checks the query as nats-server does, with its error messages. */
    public static SubszOptions parse(MonitorQuery q) throws MonitorException {
        boolean subs = q.getBool("subs");
        long offset = q.getInt("offset", 0);
        long limit = q.getInt("limit", 0);
        String test = q.get("test");
        if (!test.isEmpty() && !SubjectMatch.isValidPublishSubject(test)) {
            throw new MonitorException("invalid test subject, must be valid publish subject: " + test);
        }
        return new SubszOptions(subs, ConnzOptions.clampOffset(offset), ConnzOptions.clampLimit(limit), test,
                q.get("acc"));
    }
}
