/**
 * Authentication and authorization, as nats-server does them (facts in README-facts.md).
 *
 * <p>How a connection uses this package:
 * <ol>
 * <li>At startup build one {@link io.weft.engine.auth.Authenticator} from the
 *     {@link io.weft.engine.auth.AuthConfig}. INFO carries {@code auth_required} when
 *     {@code authRequired()} and a fresh {@code nonce} (from {@code Entropy}) when
 *     {@code nonceRequired()}.
 * <li>On CONNECT call {@code authenticate(new Credentials(user, pass, auth_token, nkey, sig, jwt), nonce)}.
 *     {@code Denied}: send {@code -ERR 'Authorization Violation'}, log the reason, close.
 *     {@code Allowed}: bind the account and compile {@code PermissionChecker.of(permissions)} for the
 *     connection; if {@code responsePermission()} is non-null, also make a
 *     {@link io.weft.engine.auth.ResponsePermits} for it.
 * <li>With an auth callout ({@link io.weft.engine.auth.AuthCallout}: the server's
 *     {@code auth_callout}, or an operator-mode account JWT's {@code authorization} claim), a
 *     client that is not one of the auth users is what the external service's response says
 *     instead: the connection sends the request claims and judges the response with
 *     {@code AuthCallout.response}, which gives an Allowed or a Denied like the above.
 * <li>In operator mode ({@link io.weft.engine.auth.OperatorMode}) pass the client's IP address
 *     too (a user JWT's {@code src}). A user signed by a scoped signing key gets its scope's
 *     template ({@link io.weft.engine.auth.ScopedTemplate}); {@code src}, {@code times} and
 *     {@code allowed_connection_types} are {@link io.weft.engine.auth.UserRestrictions}. The
 *     Allowed carries the JWT {@code subs}/{@code payload} limits (the user's and account's, the
 *     smaller; -1 none) and an expiry that may be the end of a {@code times} range; the
 *     connection applies them under the server's own limits.
 * <li>PUB: allowed when {@code checker.canPublish(subject)}, else when the permits exist and
 *     {@code permits.tryUse(subject, clock.nanoTime())}; otherwise
 *     {@code -ERR 'Permissions Violation for Publish to "<subject>"'} and drop the message.
 * <li>SUB: {@code checker.canSubscribe(subject, queue)}; otherwise
 *     {@code -ERR 'Permissions Violation for Subscription to "<subject>"'}, or for a queue sub
 *     {@code -ERR 'Permissions Violation for Subscription to "<subject>" using queue "<queue>"'},
 *     and the sub is not registered.
 * <li>Delivery to this connection: skip the message when {@code !checker.canDeliver(subject)}; when
 *     the message has a reply subject and the connection has permits, {@code permits.grant(reply, now)}.
 * </ol>
 */
package io.weft.engine.auth;
