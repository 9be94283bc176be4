package io.weft.server.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.server.cli.UsageException;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    @Test
    void defaultsFollowNatsBench() {
        BenchOptions o = BenchOptions.parse(new String[] {"pubsub"});
        assertEquals(BenchOptions.Scenario.PUBSUB, o.scenario);
        assertEquals(100_000, o.msgs);
        assertEquals(128, o.size);
        assertEquals(1, o.pubs);
        assertEquals(1, o.subs);
        assertEquals("127.0.0.1", o.host());
        assertEquals(4222, o.port());
        assertTrue(o.replyQueue);
        assertFalse(o.json);
    }

    @Test
    void multiWordScenariosAndFlags() {
        BenchOptions o = BenchOptions.parse(new String[] {"js", "pub", "--msgs", "1M", "--size=1K", "--pub", "4",
            "--async", "--window", "64", "-s", "10.0.0.1:14222", "--json", "--storage", "memory", "--purge"});
        assertEquals(BenchOptions.Scenario.JS_PUB, o.scenario);
        assertEquals(1_000_000, o.msgs);
        assertEquals(1024, o.size);
        assertEquals(4, o.pubs);
        assertTrue(o.async);
        assertEquals(64, o.window);
        assertEquals("10.0.0.1", o.host());
        assertEquals(14222, o.port());
        assertTrue(o.json);
        assertEquals("memory", o.storage);
        assertTrue(o.purge);
        assertEquals(BenchOptions.Scenario.KV_GET, BenchOptions.parse(new String[] {"kv", "get"}).scenario);
        assertEquals(BenchOptions.Scenario.JS_CONSUME,
                BenchOptions.parse(new String[] {"js", "consume", "--mode", "pull", "--batch", "100"}).scenario);
        assertEquals(BenchOptions.Scenario.REQ, BenchOptions.parse(new String[] {"request"}).scenario);
    }

    @Test
    void replicasAreOneToFive() {
        assertEquals(1, BenchOptions.parse(new String[] {"js", "pub"}).replicas);
        assertEquals(3, BenchOptions.parse(new String[] {"js", "pub", "--replicas", "3"}).replicas);
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"js", "pub", "--replicas", "6"}));
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"js", "pub", "--replicas", "0"}));
    }

    @Test
    void serverUrlWithCredentials() {
        BenchOptions o = BenchOptions.parse(new String[] {"pub", "--server", "nats://u:p@example.org:4333"});
        assertEquals("example.org", o.host());
        assertEquals(4333, o.port());
        BenchOptions d = BenchOptions.parse(new String[] {"pub", "--server", "nats://example.org"});
        assertEquals(4222, d.port());
    }

    @Test
    void pubOnlyHasNoSubscribersAndReplyQueueCanBeTurnedOff() {
        assertEquals(0, BenchOptions.parse(new String[] {"pub", "--sub", "3"}).subs);
        assertFalse(BenchOptions.parse(new String[] {"req", "--no-queue"}).replyQueue);
    }

    @Test
    void countsTakeSuffixes() {
        assertEquals(10_000, BenchOptions.count("--msgs", "10K", 1000));
        assertEquals(2_000_000, BenchOptions.count("--msgs", "2m", 1000));
        assertEquals(65_536, BenchOptions.count("--size", "64K", 1024));
        assertEquals(1_000_000, BenchOptions.count("--msgs", "1_000_000", 1000));
        assertThrows(UsageException.class, () -> BenchOptions.count("--msgs", "lots", 1000));
        assertThrows(UsageException.class, () -> BenchOptions.count("--msgs", "-5", 1000));
    }

    @Test
    void badInputIsRefused() {
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {}));
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"fly"}));
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"pub", "--bogus", "1"}));
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"pub", "--msgs"}));
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"pub", "--msgs", "0"}));
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"pubsub", "--sub", "0"}));
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"js", "consume", "--mode", "fast"}));
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"js", "pub", "--storage", "tape"}));
    }
}
