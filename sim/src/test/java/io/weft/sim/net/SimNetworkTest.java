package io.weft.sim.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.net.Conn;
import io.weft.net.Listener;
import io.weft.sim.SimClock;
import io.weft.sim.SimScheduler;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class SimNetworkTest {
    private static final SimNetwork.Latency FIXED_1MS =
            new SimNetwork.Latency(Duration.ofMillis(1), Duration.ofMillis(1), Duration.ZERO, 0, 0);

    interface Body {
        void run() throws Exception;
    }

    private static void runAll(SimScheduler s, List<Throwable> errors) {
        SimScheduler.Outcome o = s.runToCompletion();
        assertTrue(o.ok(), o.toString());
        assertTrue(errors.isEmpty(), errors.toString());
        assertTrue(s.uncaught().isEmpty(), s.uncaught().toString());
    }

    private static void spawn(SimScheduler s, String name, List<Throwable> errors, Body body) {
        s.spawn(name, () -> {
            try {
                body.run();
            } catch (Throwable t) {
                errors.add(t);
            }
        });
    }

    private static void write(Conn c, String s) throws IOException {
        c.write(new ByteBuffer[] {ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII))});
    }

    private static String readAll(Conn c) throws IOException {
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[3];
        int n;
        while ((n = c.read(buf, 0, buf.length)) >= 0) {
            sb.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
        }
        return sb.toString();
    }

    @Test
    void bytesArriveInOrderAfterTheLatencyThenEndOfStream() {
        SimScheduler s = new SimScheduler(1);
        SimClock clock = new SimClock(s);
        SimNetwork net = new SimNetwork(s, 2, FIXED_1MS);
        List<Throwable> errors = new ArrayList<>();
        String[] got = new String[1];
        long[] firstByteAt = new long[1];
        spawn(s, "server", errors, () -> {
            Listener l = net.host("srv").listen("0.0.0.0", 4222);
            Conn c = l.accept();
            byte[] one = new byte[1];
            assertEquals(1, c.read(one, 0, 1));
            firstByteAt[0] = clock.nanoTime();
            got[0] = (char) one[0] + readAll(c);
            c.close();
            l.close();
        });
        spawn(s, "client", errors, () -> {
            Conn c = net.host("cli").connect("srv", 4222);
            assertEquals("srv", c.remoteHost());
            assertEquals(4222, c.remotePort());
            assertEquals(2_000_000, clock.nanoTime(), "connect takes one round trip");
            write(c, "hello ");
            clock.sleep(Duration.ofMillis(5));
            write(c, "world");
            c.close();
        });
        runAll(s, errors);
        assertEquals("hello world", got[0]);
        assertEquals(3_000_000, firstByteAt[0]);
    }

    @Test
    void bandwidthDelaysLargeWritesAndQueuesThemBehindEachOther() {
        SimScheduler s = new SimScheduler(3);
        SimClock clock = new SimClock(s);
        // 1 ms latency, exactly 1 MB/s each way
        SimNetwork net = new SimNetwork(s, 4,
                new SimNetwork.Latency(Duration.ofMillis(1), Duration.ofMillis(1), Duration.ZERO, 1_000_000, 1_000_000));
        List<Throwable> errors = new ArrayList<>();
        long[] arrivals = new long[2];
        spawn(s, "server", errors, () -> {
            Listener l = net.host("srv").listen("0.0.0.0", 4222);
            Conn c = l.accept();
            byte[] buf = new byte[20_000];
            for (int i = 0; i < 2; i++) {
                int want = 10_000;
                while (want > 0) {
                    int n = c.read(buf, 0, want);
                    assertTrue(n > 0);
                    want -= n;
                }
                arrivals[i] = clock.nanoTime();
            }
            c.close();
            l.close();
        });
        spawn(s, "client", errors, () -> {
            Conn c = net.host("cli").connect("srv", 4222);
            long t0 = clock.nanoTime();
            assertEquals(2_000_000, t0);
            c.write(new ByteBuffer[] {ByteBuffer.wrap(new byte[10_000])});
            c.write(new ByteBuffer[] {ByteBuffer.wrap(new byte[10_000])});
            c.close();
        });
        runAll(s, errors);
        // 10 KB at 1 MB/s is 10 ms on the wire, then 1 ms of latency; the second queues behind the first
        assertEquals(2_000_000 + 10_000_000 + 1_000_000, arrivals[0]);
        assertEquals(2_000_000 + 20_000_000 + 1_000_000, arrivals[1]);
    }

    @Test
    void connectionsOvertakeEachOtherButNeverWithinOne() {
        // slow and fast connections: later writes on a fast connection arrive before earlier slow ones
        SimNetwork.Latency spread = new SimNetwork.Latency(Duration.ofMillis(1), Duration.ofMillis(20), Duration.ofMillis(5), 0, 0);
        boolean overtook = false;
        for (long seed = 1; seed <= 10 && !overtook; seed++) {
            SimScheduler s = new SimScheduler(seed);
            SimNetwork net = new SimNetwork(s, seed, spread);
            SimClock clock = new SimClock(s);
            List<Throwable> errors = new ArrayList<>();
            List<String> arrivals = new ArrayList<>();
            spawn(s, "server", errors, () -> {
                Listener l = net.host("srv").listen("0.0.0.0", 1);
                for (int i = 0; i < 2; i++) {
                    Conn c = l.accept();
                    s.spawn("reader" + i, () -> {
                        byte[] b = new byte[1];
                        try {
                            while (c.read(b, 0, 1) > 0) {
                                arrivals.add(String.valueOf((char) b[0]));
                            }
                        } catch (IOException e) {
                            errors.add(e);
                        }
                    });
                }
                l.close();
            });
            spawn(s, "client", errors, () -> {
                Conn a = net.host("a").connect("srv", 1);
                Conn b = net.host("b").connect("srv", 1);
                for (char ch : "abcdefghij".toCharArray()) {
                    write(a, String.valueOf(ch));
                    write(b, String.valueOf(Character.toUpperCase(ch)));
                    clock.sleep(Duration.ofNanos(100_000));
                }
                a.close();
                b.close();
            });
            runAll(s, errors);
            String lower = arrivals.stream().filter(x -> Character.isLowerCase(x.charAt(0))).reduce("", String::concat);
            String upper = arrivals.stream().filter(x -> Character.isUpperCase(x.charAt(0))).reduce("", String::concat);
            assertEquals("abcdefghij", lower);
            assertEquals("ABCDEFGHIJ", upper);
            String all = String.join("", arrivals);
            overtook = !all.equals("aAbBcCdDeEfFgGhHiIjJ");
        }
        assertTrue(overtook, "with different latencies one connection must overtake the other");
    }

    @Test
    void refusedWhenNobodyListensOrPartitioned() {
        SimScheduler s = new SimScheduler(3);
        SimNetwork net = new SimNetwork(s, 3, FIXED_1MS);
        List<Throwable> errors = new ArrayList<>();
        List<String> outcomes = new ArrayList<>();
        spawn(s, "main", errors, () -> {
            try {
                net.host("a").connect("b", 9);
                outcomes.add("connected");
            } catch (ConnectException e) {
                outcomes.add("refused");
            }
            Listener l = net.host("b").listen("0.0.0.0", 9);
            net.partition("a", "b", SimNetwork.Cut.REFUSE);
            try {
                net.host("a").connect("b", 9);
                outcomes.add("connected");
            } catch (ConnectException e) {
                outcomes.add("refused");
            }
            net.healAll();
            Conn c = net.host("a").connect("b", 9);
            outcomes.add("connected");
            Conn server = l.accept();
            net.partition("a", "b", SimNetwork.Cut.REFUSE);
            try {
                write(c, "x");
                outcomes.add("wrote");
            } catch (SocketException e) {
                outcomes.add(e.getMessage());
            }
            try {
                server.read(new byte[1], 0, 1);
                outcomes.add("read");
            } catch (SocketException e) {
                outcomes.add(e.getMessage());
            }
            l.close();
        });
        runAll(s, errors);
        assertEquals(List.of("refused", "refused", "connected", "Connection reset", "Connection reset"), outcomes);
    }

    @Test
    void blackholeHoldsBytesUntilHealAndTimesOutConnects() {
        SimScheduler s = new SimScheduler(4);
        SimClock clock = new SimClock(s);
        SimNetwork net = new SimNetwork(s, 4, FIXED_1MS);
        List<Throwable> errors = new ArrayList<>();
        long[] readAt = new long[1];
        List<String> outcomes = new ArrayList<>();
        spawn(s, "main", errors, () -> {
            Listener l = net.host("b").listen("0.0.0.0", 9);
            Conn c = net.host("a").connect("b", 9);
            Conn server = l.accept();
            s.spawn("reader", () -> {
                try {
                    byte[] b = new byte[1];
                    server.read(b, 0, 1);
                    readAt[0] = clock.nanoTime();
                } catch (IOException e) {
                    errors.add(e);
                }
            });
            net.partition("a", "b", SimNetwork.Cut.BLACKHOLE);
            write(c, "x");
            long before = clock.nanoTime();
            try {
                net.host("a").connect("b", 9);
                outcomes.add("connected");
            } catch (SocketTimeoutException e) {
                outcomes.add("timeout after " + (clock.nanoTime() - before));
            }
            clock.sleep(Duration.ofSeconds(1));
            net.healAll();
            l.close();
        });
        runAll(s, errors);
        assertEquals(List.of("timeout after 2000000000"), outcomes);
        assertEquals(2_000_000 + 3_000_000_000L, readAt[0], "held until the heal");
    }

    @Test
    void oneWayBlackholeHoldsOnlyThatDirection() {
        SimScheduler s = new SimScheduler(6);
        SimClock clock = new SimClock(s);
        SimNetwork net = new SimNetwork(s, 6, FIXED_1MS);
        List<Throwable> errors = new ArrayList<>();
        List<String> arrivals = new ArrayList<>();
        spawn(s, "main", errors, () -> {
            Listener l = net.host("b").listen("0.0.0.0", 9);
            Conn a = net.host("a").connect("b", 9);
            Conn b = l.accept();
            l.close();
            net.partitionOneWay("a", "b", SimNetwork.Cut.BLACKHOLE);
            s.spawn("at-b", () -> {
                byte[] buf = new byte[1];
                try {
                    b.read(buf, 0, 1);
                    arrivals.add("b got " + (char) buf[0] + " at " + clock.nanoTime());
                } catch (IOException e) {
                    errors.add(e);
                }
            });
            s.spawn("at-a", () -> {
                byte[] buf = new byte[1];
                try {
                    a.read(buf, 0, 1);
                    arrivals.add("a got " + (char) buf[0] + " at " + clock.nanoTime());
                } catch (IOException e) {
                    errors.add(e);
                }
            });
            write(a, "x");
            write(b, "y");
            clock.sleep(Duration.ofMillis(10));
            net.healAll();
        });
        runAll(s, errors);
        assertEquals(List.of("a got y at 3000000", "b got x at 12000000"), arrivals);
    }

    @Test
    void closeFailsABlockedRead() {
        SimScheduler s = new SimScheduler(5);
        SimNetwork net = new SimNetwork(s, 5, FIXED_1MS);
        List<Throwable> errors = new ArrayList<>();
        List<String> outcomes = new ArrayList<>();
        spawn(s, "main", errors, () -> {
            Listener l = net.host("b").listen("0.0.0.0", 9);
            Conn c = net.host("a").connect("b", 9);
            Thread reader = s.spawn("reader", () -> {
                try {
                    c.read(new byte[1], 0, 1);
                    outcomes.add("read");
                } catch (IOException e) {
                    outcomes.add(e.getMessage());
                }
            });
            Thread.yield();
            c.close();
            reader.join();
            Conn server = l.accept();
            outcomes.add("server read " + server.read(new byte[1], 0, 1));
            l.close();
        });
        runAll(s, errors);
        assertEquals(List.of("Socket closed", "server read -1"), outcomes);
    }

    @Test
    void tryWriteNeverWaitsAndLeavesTheRestForTheNextWrite() {
        SimScheduler s = new SimScheduler(7);
        SimNetwork net = new SimNetwork(s, 7, FIXED_1MS);
        List<Throwable> errors = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        spawn(s, "main", errors, () -> {
            Listener l = net.host("b").listen("0.0.0.0", 9);
            Conn a = net.host("a").connect("b", 9);
            Conn b = l.accept();
            l.close();
            // nobody reads b yet: tryWrite fills the buffer and then reports the rest left behind
            byte[] block = new byte[100 * 1024];
            int accepted = 0;
            boolean complete = true;
            while (complete) {
                Arrays.fill(block, (byte) ('a' + accepted));
                complete = a.tryWrite(ByteBuffer.wrap(block));
                accepted++;
            }
            seen.add("left behind at block " + accepted);
            int blocks = accepted;
            s.spawn("reader", () -> {
                byte[] buf = new byte[4096];
                long total = 0;
                int n;
                try {
                    while ((n = b.read(buf, 0, buf.length)) > 0) {
                        for (int k = 0; k < n; k++) {
                            long block0 = (total + k) / block.length;
                            if (block0 < blocks && buf[k] != (byte) ('a' + block0)) {
                                errors.add(new AssertionError("byte " + (total + k) + " out of order"));
                                return;
                            }
                        }
                        total += n;
                    }
                    seen.add("read " + total);
                } catch (IOException e) {
                    errors.add(e);
                }
            });
            write(a, "end");   // sends what tryWrite left behind first
            a.flush();         // nothing left: returns at once
            a.close();
        });
        runAll(s, errors);
        // 256 KiB of buffer: the first two blocks fit, the third (over the limit) waits
        assertEquals(List.of("left behind at block 3", "read " + (3 * 100 * 1024 + 3)), seen);
    }
}
