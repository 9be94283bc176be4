package io.weft.engine.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Cases marked "nats-server" were run against /usr/sbin/nats-server 2.9.10 with the same
 * permissions (README-facts.md); cases marked "docs" are the examples of the NATS documentation.
 */
class PermissionCheckerTest {

    static Permissions.SubjectPermission allow(String... subjects) {
        return new Permissions.SubjectPermission(List.of(subjects), null);
    }

    static Permissions.SubjectPermission allowDeny(List<String> allow, List<String> deny) {
        return new Permissions.SubjectPermission(allow, deny);
    }

    static PermissionChecker pubSub(Permissions.SubjectPermission pub, Permissions.SubjectPermission sub) {
        return PermissionChecker.of(new Permissions(pub, sub, null));
    }

    @Test
    void nullPermissionsAllowEverything() {
        PermissionChecker p = PermissionChecker.of(null);
        assertTrue(p.allowsAll());
        assertTrue(p.canPublish("anything.at.all"));
        assertTrue(p.canSubscribe(">", null));
        assertTrue(p.canSubscribe("foo", "q"));
        assertTrue(p.canDeliver("foo"));
        assertNull(p.responsePermission());
    }

    @Test
    void docsAdminRequestorResponderAndDefault() {
        // docs: ADMIN, REQUESTOR, RESPONDER and default_permissions of the authorization page.
        PermissionChecker admin = pubSub(allow(">"), allow(">"));
        PermissionChecker client = pubSub(allow("req.a", "req.b"), allow("_INBOX.>"));
        PermissionChecker service = pubSub(allow("_INBOX.>"), allow("req.a", "req.b"));
        PermissionChecker other = pubSub(allow("SANDBOX.*"), allow("PUBLIC.>", "_INBOX.>"));

        assertTrue(admin.canPublish("any.subject"));
        assertTrue(admin.canSubscribe(">", null));

        assertTrue(client.canPublish("req.a"));
        assertTrue(client.canPublish("req.b"));
        assertFalse(client.canPublish("req.c"));
        assertFalse(client.canPublish("_INBOX.x"));
        assertTrue(client.canSubscribe("_INBOX.abc.def", null));
        assertFalse(client.canSubscribe("req.a", null));

        assertTrue(service.canSubscribe("req.a", null));
        assertTrue(service.canSubscribe("req.b", "workers"), "plain allow entries admit queue subscriptions");
        assertFalse(service.canSubscribe("req.c", null));
        assertTrue(service.canPublish("_INBOX.abc"));
        assertFalse(service.canPublish("req.a"));

        assertTrue(other.canPublish("SANDBOX.a"));
        assertFalse(other.canPublish("SANDBOX.a.b"));
        assertFalse(other.canPublish("foo"));
        assertTrue(other.canSubscribe("PUBLIC.x", null));
        assertFalse(other.canSubscribe("foo", null));
    }

    @Test
    void docsPublishDenyAllSubscribeClientOnly() {
        // docs: user "test" with publish { deny: ">" } and subscribe { allow: "client.>" }.
        PermissionChecker test = pubSub(allowDeny(null, List.of(">")), allow("client.>"));
        assertFalse(test.canPublish("foo"));
        assertFalse(test.canPublish("client.x"));
        assertTrue(test.canSubscribe("client.x", null));
        assertFalse(test.canSubscribe("server.x", null));
    }

    @Test
    void docsAllowFooStarExceptFooBar() {
        // docs (subscribe reference): { allow: "foo.*", deny: "foo.bar" }.
        PermissionChecker p = pubSub(null, allowDeny(List.of("foo.*"), List.of("foo.bar")));
        assertTrue(p.canSubscribe("foo.baz", null));
        assertFalse(p.canSubscribe("foo.bar", null));
        assertFalse(p.canSubscribe("foo.baz.x", null));
        assertTrue(p.canPublish("foo.bar"), "no publish block: publishing unrestricted");
    }

    @Test
    void emptyAllowWithDenyAllowsAllButDenied() {
        // nats-server: publish { deny: "secret.>" }
        PermissionChecker pd = pubSub(allowDeny(List.of(), List.of("secret.>")), null);
        assertFalse(pd.canPublish("secret.x"));
        assertFalse(pd.canPublish("secret.x.y"));
        assertTrue(pd.canPublish("secret"));
        assertTrue(pd.canPublish("ok"));
    }

    @Test
    void denyWinsOverAllowForPublish() {
        // nats-server: publish { allow: "foo.*", deny: "foo.bar" }
        PermissionChecker pa = pubSub(allowDeny(List.of("foo.*"), List.of("foo.bar")), null);
        assertFalse(pa.canPublish("foo.bar"));
        assertTrue(pa.canPublish("foo.x"));
        assertFalse(pa.canPublish("foo.x.y"));
    }

    @Test
    void wildcardSubscriptionsAreMatchedLiterallyAgainstAllow() {
        // nats-server: subscribe { allow: "foo.*" }
        PermissionChecker w = pubSub(null, allow("foo.*"));
        assertTrue(w.canSubscribe("foo.bar", null));
        assertTrue(w.canSubscribe("foo.*", null));
        assertTrue(w.canSubscribe("foo.>", null), "nats-server 2.9.10 admits this (token '>' read as a literal)");
        assertFalse(w.canSubscribe("*.*", null));
        assertFalse(w.canSubscribe("*", null));
        assertFalse(w.canSubscribe(">", null));
        assertFalse(w.canSubscribe("foo.bar.baz", null));
        assertFalse(w.canSubscribe("*.bar", null));
    }

    @Test
    void denyNarrowerThanAWildcardSubscriptionFiltersDelivery() {
        // nats-server: subscribe { allow: "foo.>", deny: "foo.bar" }; SUB foo.* and foo.> are
        // accepted, and a message on foo.bar is delivered to neither, foo.baz to both.
        PermissionChecker a = pubSub(null, allowDeny(List.of("foo.>"), List.of("foo.bar")));
        assertTrue(a.canSubscribe("foo.*", null));
        assertTrue(a.canSubscribe("foo.>", null));
        assertFalse(a.canSubscribe("foo.bar", null));
        assertFalse(a.canSubscribe(">", null));
        assertFalse(a.canDeliver("foo.bar"));
        assertTrue(a.canDeliver("foo.baz"));
    }

    @Test
    void denyWiderThanTheSubscriptionRefusesIt() {
        // nats-server: subscribe { deny: "foo.>" }
        PermissionChecker d = pubSub(null, allowDeny(null, List.of("foo.>")));
        assertFalse(d.canSubscribe("foo.bar", null));
        assertFalse(d.canSubscribe("foo.*", null));
        assertFalse(d.canSubscribe("foo.>", null));
        assertTrue(d.canSubscribe(">", null));
        assertTrue(d.canSubscribe("*.bar", null));
        assertTrue(d.canSubscribe("bar", null));
        // SUB > and SUB *.bar: zz.bar delivered, foo.bar and foo.q.r are not.
        assertTrue(d.canDeliver("zz.bar"));
        assertFalse(d.canDeliver("foo.bar"));
        assertFalse(d.canDeliver("foo.q.r"));
    }

    @Test
    void docsQueuePermissions() {
        // docs + nats-server: allow ["foo", "foo v1", "foo v1.>", "foo *.dev"], deny ["> *.prod"]
        PermissionChecker q = pubSub(null, allowDeny(List.of("foo", "foo v1", "foo v1.>", "foo *.dev"), List.of("> *.prod")));
        assertTrue(q.canSubscribe("foo", null));
        assertTrue(q.canSubscribe("foo", ""), "empty queue is a plain subscription");
        assertTrue(q.canSubscribe("foo", "v1"));
        assertFalse(q.canSubscribe("foo", "v2"));
        assertTrue(q.canSubscribe("foo", "v1.x"));
        assertTrue(q.canSubscribe("foo", "a.dev"));
        assertFalse(q.canSubscribe("foo", "a.prod"));
        assertFalse(q.canSubscribe("bar", null));
        assertFalse(q.canSubscribe("bar", "v1"));
        assertFalse(q.canSubscribe("foo", "v1.prod"), "deny wins");
        assertTrue(q.canDeliver("foo"), "queue deny entries do not filter delivery");
    }

    @Test
    void docsQueueOnlyAllow() {
        // docs: allow ["foo v1", "foo v2.*"] admits those groups but no plain subscription;
        // allow ["bar >"] admits any queue group on bar but no plain subscription (nats-server too).
        PermissionChecker p = pubSub(null, allow("foo v1", "foo v2.*"));
        assertFalse(p.canSubscribe("foo", null));
        assertTrue(p.canSubscribe("foo", "v1"));
        assertTrue(p.canSubscribe("foo", "v2.x"));
        assertFalse(p.canSubscribe("foo", "v3"));
        PermissionChecker q2 = pubSub(null, allow("bar >"));
        assertFalse(q2.canSubscribe("bar", null));
        assertTrue(q2.canSubscribe("bar", "g"));
        assertTrue(q2.canSubscribe("bar", "g.h"));
        assertFalse(q2.canSubscribe("baz", "g"));
    }

    @Test
    void queueDenyEntriesOverridePlainDenyForQueueSubscriptions() {
        // nats-server: deny ["foo", "foo x"]: plain foo refused, foo/x refused, foo/y ACCEPTED.
        PermissionChecker dq = pubSub(null, allowDeny(null, List.of("foo", "foo x")));
        assertFalse(dq.canSubscribe("foo", null));
        assertTrue(dq.canSubscribe("foo", "y"));
        assertFalse(dq.canSubscribe("foo", "x"));
        assertTrue(dq.canSubscribe("bar", null));
        assertTrue(dq.canSubscribe("bar", "x"));
        // nats-server: allow foo.> (plain) with deny foo.bar: queue subs follow the plain entries.
        PermissionChecker a = pubSub(null, allowDeny(List.of("foo.>"), List.of("foo.bar")));
        assertTrue(a.canSubscribe("foo.x", "grp"));
        assertFalse(a.canSubscribe("foo.bar", "grp"));
        // nats-server: allow ["foo.*.bar"], deny ["foo.*.bar x"]
        PermissionChecker tz = pubSub(null, allowDeny(List.of("foo.*.bar"), List.of("foo.*.bar x")));
        assertTrue(tz.canSubscribe("foo.a.bar", null));
        assertFalse(tz.canSubscribe("foo.a.bar", "x"));
        assertTrue(tz.canSubscribe("foo.a.bar", "y"));
        assertTrue(tz.canSubscribe("foo.*.bar", null));
        assertFalse(tz.canSubscribe("foo.>", null));
    }

    @Test
    void allowResponsesImplicitlyDeniesOtherPublishes() {
        Permissions.ResponsePermission resp = new Permissions.ResponsePermission(2, java.time.Duration.ofMinutes(1));
        // nats-server: subscribe "req", allow_responses {max: 2}: PUB other refused.
        PermissionChecker r = PermissionChecker.of(new Permissions(null, allow("req"), resp));
        assertFalse(r.canPublish("other"));
        assertFalse(r.canPublish("_INBOX.x"));
        assertEquals(resp, r.responsePermission());
        // nats-server: publish "ok.>" plus allow_responses: the explicit allow still applies.
        PermissionChecker r2 = PermissionChecker.of(new Permissions(allow("ok.>"), allow("req"), resp));
        assertTrue(r2.canPublish("ok.1"));
        assertFalse(r2.canPublish("other"));
        // Only a deny list plus allow_responses: nothing but responses.
        PermissionChecker r3 = PermissionChecker.of(new Permissions(allowDeny(null, List.of("x")), null, resp));
        assertFalse(r3.canPublish("y"));
    }

    @Test
    void cacheIsBoundedAndDoesNotChangeAnswers() {
        PermissionChecker p = pubSub(allowDeny(List.of("a.*"), List.of("a.b")), null);
        for (int i = 0; i < 5 * PermissionChecker.CACHE_LIMIT; i++) {
            assertTrue(p.canPublish("a." + i));
            assertTrue(p.publishCacheSize() <= PermissionChecker.CACHE_LIMIT);
        }
        for (int round = 0; round < 3; round++) {
            assertFalse(p.canPublish("a.b"));
            assertTrue(p.canPublish("a.c"));
            assertFalse(p.canPublish("b.c"));
        }
    }

    @Test
    void concurrentChecksAgree() throws Exception {
        PermissionChecker p = pubSub(allowDeny(List.of("a.>"), List.of("a.secret.>")), null);
        AtomicBoolean wrong = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int offset = t;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 3000; i++) {
                    int n = (i * 7 + offset) % 1500;
                    if (!p.canPublish("a.x" + n) || p.canPublish("a.secret.x" + n) || p.canPublish("b" + n)) {
                        wrong.set(true);
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertFalse(wrong.get());
    }
}
