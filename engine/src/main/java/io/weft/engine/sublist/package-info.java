/**
 * The subject index of an account: {@link io.weft.engine.sublist.Sublist} stores
 * {@link io.weft.engine.sublist.SublistEntry} values (subscriptions) in a token trie and answers
 * "who is interested in this literal subject" with an immutable
 * {@link io.weft.engine.sublist.SublistResult} (plain subscribers plus one member list per
 * queue group), through a bounded lock-free match cache. {@link io.weft.engine.sublist.SublistStats}
 * carries the /subsz numbers.
 *
 * <p>Tests: {@code mvn -pl engine -am test -Dtest='Sublist*,Subjects*'}; properties against a
 * naive model in module fuzz ({@code SublistProperties}).
 */
package io.weft.engine.sublist;
