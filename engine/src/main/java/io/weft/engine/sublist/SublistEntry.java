package io.weft.engine.sublist;

/**
 * Something stored in a {@link Sublist}: a subscription of a client, a route's interest, an
 * import. The subject and queue must not change while the entry is stored.
 *
 * <p>Entries are told apart with {@code equals}; the usual subscription object keeps identity
 * equality. Inserting an entry that is already stored changes nothing.
 */
public interface SublistEntry {

    /** The subject (may contain {@code *} and {@code >} tokens). */
    String subject();

    /** The queue group name, or null for a plain subscription. */
    String queue();
}
