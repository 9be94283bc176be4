package io.weft.engine.server;

import io.weft.engine.mapping.SubjectTransform;

/**
 * A stream import's stand-in, in the exporting account, for one subscriber of the importing
 * account (nats-server calls it a shadow subscription): a client or server-side subscription in B
 * on a subject that meets what B imports from A gets one of these in A, on the subject in A's space
 * that feeds it, with the same queue group. The {@link Router} treats it as a local subscriber of A
 * — for messages that entered at this server and for those a route brought alike, in queue groups
 * cluster-wide — and hands what it gets straight to the subscriber in B, on the subject the import
 * maps it to. Announced to the routes in A as its target is in B, so a message published in A on
 * another server comes here once, and no copy is made in B to be routed again.
 */
final class ShadowSubscription extends Subscription {
    /** The importing account's subscriber (client, internal, or another shadow: imports chain). */
    final Subscription target;
    /** The import's mapping from the exporter's subjects to the importer's. */
    final SubjectTransform to;
    /** The importing account: its random source for the transform. */
    final Account importer;
    /** The exporting account, whose sublist holds this shadow. */
    final Account exporter;
    /** The import's subject in the exporter's space (what a trace's egress shows as its subscription). */
    final String importSubject;
    /** Whether the import lets a message trace go on into the importer ({@code allow_trace}). */
    final boolean allowTrace;
    /** True when this shadow's subject is wider than what the target takes: check each message. */
    final boolean filter;

    ShadowSubscription(String subject, Subscription target, SubjectTransform to, Account importer, Account exporter,
                       String importSubject, boolean allowTrace, boolean filter) {
        super(subject, target.queue());
        this.target = target;
        this.to = to;
        this.importer = importer;
        this.exporter = exporter;
        this.importSubject = importSubject;
        this.allowTrace = allowTrace;
        this.filter = filter;
    }

    /** The subject the target sees a message on, or null when the target does not take it. */
    String mapped(String routeSubject) {
        String local = to.apply(routeSubject, importer::nextInt);
        if (filter && !io.weft.store.Subjects.matches(target.subject(), local)) {
            return null;
        }
        return local;
    }
}
