/**
 * NATS subject rules: validity of subjects, publish subjects and queue names, wildcard
 * matching, subset and overlap tests ({@link io.weft.engine.subject.Subjects}). Used by the
 * sublist, permissions and (later) JetStream stream subject checks.
 */
package io.weft.engine.subject;
