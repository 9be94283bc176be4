package io.weft.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.sim.disk.SimDisk;
import io.weft.store.CorruptRecordException;
import io.weft.store.FileStore;
import io.weft.store.FileStoreConfig;
import io.weft.store.MemoryStore;
import io.weft.store.MessageStore;
import io.weft.store.StoreState;
import io.weft.store.StoredMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random append/remove/purge/skip/sync/crash sequences on a {@link FileStore} over the simulator's
 * {@link SimDisk}, checked against a plain model: while running, the store answers as the model; after
 * a clean restart it is the model; after a crash (unsynced bytes dropped, last writes torn) everything
 * synced is there unless removed later, nothing removed-and-synced comes back, every message is one
 * that was appended with that sequence, and no corruption is reported.
 */
class StoreProperties {
    private static final String DIR = "jetstream/$G/streams/P/msgs";
    private static final String[] SUBJECTS = {"a.1", "a.2", "b.1", "c"};

    enum Kind { APPEND, REMOVE, ERASE, PURGE_ALL, PURGE_SUBJECT, PURGE_UP_TO, SKIP, SYNC, CRASH, RESTART }

    record Op(Kind kind, int a, int b) {
    }

    /** The model: live messages by sequence and the sequence counter. */
    static final class Model {
        TreeMap<Long, StoredMessage> msgs = new TreeMap<>();
        long lastSeq;

        Model copy() {
            Model m = new Model();
            m.msgs = new TreeMap<>(msgs);
            m.lastSeq = lastSeq;
            return m;
        }
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Kind> kinds = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, Arbitraries.just(Kind.APPEND)),
                net.jqwik.api.Tuple.of(8, Arbitraries.just(Kind.REMOVE)),
                net.jqwik.api.Tuple.of(3, Arbitraries.just(Kind.ERASE)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.PURGE_ALL)),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(Kind.PURGE_SUBJECT)),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(Kind.PURGE_UP_TO)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.SKIP)),
                net.jqwik.api.Tuple.of(6, Arbitraries.just(Kind.SYNC)),
                net.jqwik.api.Tuple.of(3, Arbitraries.just(Kind.CRASH)),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(Kind.RESTART)));
        Arbitrary<Op> op = Combinators.combine(kinds, Arbitraries.integers().between(0, 1000),
                Arbitraries.integers().between(0, 1000)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(60);
    }

    private static byte[] payload(long seq, int size, long epoch) {
        byte[] b = new byte[size];
        byte[] tag = ("e" + epoch + "s" + seq + ";").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < size; i++) {
            b[i] = i < tag.length ? tag[i] : (byte) ((i % 7 == 0) ? seq + i : 'x');
        }
        return b;
    }

    @Property(tries = 50)
    void fileStoreAgreesWithModelThroughCrashes(@ForAll("ops") List<Op> ops,
                                                @ForAll("blockSizes") int block,
                                                @ForAll boolean s2,
                                                @ForAll long seed) throws IOException {
        SimDisk disk = new SimDisk(seed);
        FileStoreConfig cfg = new FileStoreConfig(block, s2);
        FileStore store = FileStore.open(disk, DIR, cfg);
        Model model = new Model();
        Model synced = model.copy();
        /** Every message appended since the last crash (and every one recovered), by sequence. */
        Map<Long, StoredMessage> history = new HashMap<>();
        long epoch = 0;
        long time = 1;
        for (Op op : ops) {
            switch (op.kind()) {
                case APPEND -> {
                    String subject = SUBJECTS[op.a() % SUBJECTS.length];
                    int size = op.b() % 10 == 0 ? op.b() * 3 : op.b() % 200;
                    long seq = model.lastSeq + 1;
                    byte[] hdr = op.a() % 3 == 0 ? ("NATS/1.0\r\nK: " + seq + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII)
                            : new byte[0];
                    StoredMessage m = new StoredMessage(seq, subject, hdr, payload(seq, size, epoch), time++);
                    assertEquals(seq, store.append(m.subject(), m.headers(), m.data(), m.timestampNanos()));
                    model.msgs.put(seq, m);
                    model.lastSeq = seq;
                    history.put(seq, m);
                }
                case REMOVE, ERASE -> {
                    if (model.msgs.isEmpty()) {
                        continue;
                    }
                    List<Long> seqs = new ArrayList<>(model.msgs.keySet());
                    long seq = seqs.get(op.a() % seqs.size());
                    if (op.b() % 4 == 0) {
                        seq = model.lastSeq + 1 + op.b() % 3; // not there
                    }
                    boolean had = model.msgs.remove(seq) != null;
                    assertEquals(had, store.remove(seq, op.kind() == Kind.ERASE));
                }
                case PURGE_ALL -> {
                    assertEquals(model.msgs.size(), store.purge(null, 0, 0));
                    model.msgs.clear();
                }
                case PURGE_SUBJECT -> {
                    String subject = SUBJECTS[op.a() % SUBJECTS.length];
                    int keep = op.b() % 3;
                    List<Long> mine = new ArrayList<>();
                    for (StoredMessage m : model.msgs.values()) {
                        if (m.subject().equals(subject)) {
                            mine.add(m.seq());
                        }
                    }
                    int drop = Math.max(0, mine.size() - keep);
                    for (int i = 0; i < drop; i++) {
                        model.msgs.remove(mine.get(i));
                    }
                    assertEquals(drop, store.purge(subject, 0, keep));
                }
                case PURGE_UP_TO -> {
                    long upTo = model.lastSeq == 0 ? 1 : 1 + op.a() % (model.lastSeq + 1);
                    long n = model.msgs.headMap(upTo).size();
                    model.msgs.headMap(upTo).clear();
                    assertEquals(n, store.purge(null, upTo, 0));
                }
                case SKIP -> {
                    long next = model.lastSeq + 1 + op.a() % 50;
                    store.skipTo(next);
                    model.lastSeq = Math.max(model.lastSeq, next - 1);
                    model.msgs.headMap(next).clear();
                }
                case SYNC -> {
                    store.sync();
                    synced = model.copy();
                }
                case RESTART -> {
                    store.close();
                    store = FileStore.open(disk, DIR, cfg);
                    synced = model.copy();
                    assertEquals(List.of(), store.corruptions());
                }
                case CRASH -> {
                    disk.crash();
                    store = FileStore.open(disk, DIR, cfg);
                    epoch++;
                    assertEquals(List.of(), store.corruptions(), "a crash is not corruption");
                    StoreState st = store.state();
                    assertTrue(st.lastSeq() >= synced.lastSeq, "synced counter survives: " + st + " vs " + synced.lastSeq);
                    assertTrue(st.lastSeq() <= model.lastSeq, "no sequence from nowhere");
                    Model recovered = new Model();
                    recovered.lastSeq = st.lastSeq();
                    for (StoredMessage m = store.loadNext(null, 0); m != null; m = store.loadNext(null, m.seq() + 1)) {
                        StoredMessage sent = history.get(m.seq());
                        assertNotNull(sent, "message " + m.seq() + " was appended");
                        assertSame(sent, m);
                        assertTrue(m.seq() > synced.lastSeq || synced.msgs.containsKey(m.seq()),
                                "message " + m.seq() + " was removed and synced, yet came back");
                        recovered.msgs.put(m.seq(), m);
                    }
                    for (StoredMessage m : synced.msgs.values()) {
                        if (model.msgs.containsKey(m.seq())) {
                            assertTrue(recovered.msgs.containsKey(m.seq()), "synced message " + m.seq() + " lost");
                        }
                    }
                    model = recovered;
                    synced = recovered.copy();
                    history.clear();
                    history.putAll(recovered.msgs);
                }
            }
            check(store, model);
        }
        store.close();
        FileStore again = FileStore.open(disk, DIR, cfg);
        check(again, model);
        assertEquals(List.of(), again.corruptions());
        again.close();
    }

    @Provide
    Arbitrary<Integer> blockSizes() {
        return Arbitraries.of(256, 700, 2048, 1 << 16);
    }

    private static void assertSame(StoredMessage want, StoredMessage got) {
        assertEquals(want.seq(), got.seq());
        assertEquals(want.subject(), got.subject());
        assertArrayEquals(want.headers(), got.headers());
        assertArrayEquals(want.data(), got.data());
        assertEquals(want.timestampNanos(), got.timestampNanos());
    }

    private static void check(FileStore store, Model model) throws IOException {
        StoreState st = store.state();
        assertEquals(model.msgs.size(), st.msgs());
        assertEquals(model.lastSeq, st.lastSeq());
        long first = model.msgs.isEmpty() ? model.lastSeq + 1 : model.msgs.firstKey();
        assertEquals(first, st.firstSeq());
        long bytes = 0;
        for (StoredMessage m : model.msgs.values()) {
            bytes += m.size();
        }
        assertEquals(bytes, st.bytes());
        for (long s = Math.max(1, first - 2); s <= model.lastSeq + 1; s++) {
            StoredMessage want = model.msgs.get(s);
            StoredMessage got = store.load(s);
            if (want == null) {
                assertNull(got, "seq " + s);
            } else {
                assertSame(want, got);
            }
        }
        for (String subject : SUBJECTS) {
            long n = model.msgs.values().stream().filter(m -> m.subject().equals(subject)).count();
            assertEquals(n, store.numPending(0, subject, false));
        }
        assertEquals(model.msgs.values().stream().filter(m -> m.subject().startsWith("a.")).count(),
                store.numPending(0, "a.*", false));
    }

    private static final String[] FILTERS = {null, ">", "a.*", "a.>", "*.1", "b.1", "c", "x.*", "*"};

    /**
     * The memory store and the file store (no crashes) answer every query alike after the same random
     * operations: state, deleted sequences, subjects, loadNext/loadLast with filters, numPending,
     * sequenceAtOrAfter.
     */
    @Property(tries = 50)
    void memoryAndFileStoresAnswerAlike(@ForAll("ops") List<Op> ops, @ForAll("blockSizes") int block)
            throws IOException {
        MessageStore mem = new MemoryStore();
        SimDisk disk = new SimDisk(1);
        FileStoreConfig cfg = new FileStoreConfig(block, false);
        MessageStore file = FileStore.open(disk, DIR, cfg);
        long time = 0;
        for (Op op : ops) {
            MessageStore[] both = {mem, file};
            long[] results = new long[2];
            for (int i = 0; i < 2; i++) {
                MessageStore st = both[i];
                long lastSeq = st.state().lastSeq();
                results[i] = switch (op.kind()) {
                    case APPEND -> st.append(SUBJECTS[op.a() % SUBJECTS.length], null,
                            payload(lastSeq + 1, op.b() % 50, 0), time + (op.b() % 3 == 0 ? -op.b() % 2 : 1));
                    case REMOVE, ERASE -> st.remove(1 + op.a() % (lastSeq + 2), op.kind() == Kind.ERASE) ? 1 : 0;
                    case PURGE_ALL -> st.purge(op.a() % 2 == 0 ? null : ">", 0, op.b() % 4 == 0 ? op.b() % 7 : 0);
                    case PURGE_SUBJECT -> st.purge(FILTERS[op.a() % FILTERS.length], op.b() % 5 == 0 ? op.b() % 40 : 0,
                            op.b() % 3);
                    case PURGE_UP_TO -> st.purge(null, 1 + op.a() % (lastSeq + 2), 0);
                    case SKIP -> {
                        st.skipTo(lastSeq + 1 + op.a() % 5);
                        yield 0;
                    }
                    case SYNC, CRASH -> {
                        st.sync();
                        yield 0;
                    }
                    case RESTART -> {
                        if (st == file) {
                            file.close();
                            file = FileStore.open(disk, DIR, cfg);
                        }
                        yield 0;
                    }
                };
            }
            time += 1;
            assertEquals(results[0], results[1], op.toString());
            compare(mem, file, op.a());
        }
        file.close();
    }

    private static void compare(MessageStore mem, MessageStore file, int salt) throws IOException {
        StoreState st = mem.state();
        assertEquals(st, file.state());
        assertEquals(mem.deletedSequences(), file.deletedSequences());
        for (String f : FILTERS) {
            assertEquals(mem.subjects(f), file.subjects(f), "subjects " + f);
            long from = st.firstSeq() - 1 + salt % 5;
            StoredMessage a = mem.loadNext(f, from);
            StoredMessage b = file.loadNext(f, from);
            assertEquals(a == null, b == null, "loadNext " + f + " from " + from);
            if (a != null) {
                assertSame(a, b);
            }
            a = mem.loadLast(f);
            b = file.loadLast(f);
            assertEquals(a == null, b == null, "loadLast " + f);
            if (a != null) {
                assertSame(a, b);
            }
            for (boolean last : new boolean[] {false, true}) {
                assertEquals(mem.numPending(from, f, last), file.numPending(from, f, last),
                        "numPending " + f + " " + from + " " + last);
            }
        }
        for (String subject : SUBJECTS) {
            assertEquals(mem.subjectState(subject), file.subjectState(subject));
        }
        for (long t = -1; t < st.lastTimeNanos() + 2; t += 1 + salt % 3) {
            assertEquals(mem.sequenceAtOrAfter(t), file.sequenceAtOrAfter(t), "time " + t);
        }
    }

    /**
     * Bit flips at rest in a synced store: opening never fails and no message is ever served with wrong
     * content. With one flip, every live message is served or reported (load throws
     * CorruptRecordException) and a deleted message never comes back unreported. (With several, two
     * flips at the very end of the last segment, one in its final SYNC record, look like a torn write.)
     */
    @Property(tries = 60)
    void bitFlipsAreDetectedAndNeverServed(@ForAll("ops") List<Op> ops, @ForAll("blockSizes") int block,
                                           @ForAll boolean s2, @ForAll long seed,
                                           @ForAll("flipCounts") int flips) throws IOException {
        SimDisk disk = new SimDisk(seed);
        FileStoreConfig cfg = new FileStoreConfig(block, s2);
        FileStore store = FileStore.open(disk, DIR, cfg);
        Map<Long, StoredMessage> everAppended = new HashMap<>();
        long time = 1;
        for (Op op : ops) {
            StoreState st = store.state();
            switch (op.kind()) {
                case APPEND -> {
                    long seq = st.lastSeq() + 1;
                    String subject = SUBJECTS[op.a() % SUBJECTS.length];
                    StoredMessage m = new StoredMessage(seq, subject, new byte[0], payload(seq, op.b() % 150, 0), time++);
                    store.append(m.subject(), m.headers(), m.data(), m.timestampNanos());
                    everAppended.put(seq, m);
                }
                case REMOVE, ERASE -> store.remove(1 + op.a() % (st.lastSeq() + 1), op.kind() == Kind.ERASE);
                case PURGE_SUBJECT -> store.purge(SUBJECTS[op.a() % SUBJECTS.length], 0, op.b() % 3);
                case PURGE_UP_TO -> store.purge(null, 1 + op.a() % (st.lastSeq() + 1), 0);
                default -> {
                }
            }
        }
        store.close();
        TreeMap<Long, StoredMessage> live = new TreeMap<>();
        FileStore clean = FileStore.open(disk, DIR, cfg);
        for (StoredMessage m = clean.loadNext(null, 0); m != null; m = clean.loadNext(null, m.seq() + 1)) {
            live.put(m.seq(), m);
        }
        long lastSeq = clean.state().lastSeq();
        List<String> files = clean.segmentFiles();
        clean.close();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        for (int i = 0; i < flips; i++) {
            String f = files.get(rnd.nextInt(files.size()));
            var h = disk.open(f, false);
            long size = h.size();
            h.close();
            if (size == 0) {
                continue;
            }
            long off = rnd.nextLong(size);
            disk.flipBit(f, off);
        }
        FileStore r = FileStore.open(disk, DIR, cfg);
        boolean reported = !r.corruptions().isEmpty();
        for (long seq = 1; seq <= lastSeq + 1; seq++) {
            StoredMessage got;
            try {
                got = r.load(seq);
            } catch (CorruptRecordException e) {
                assertTrue(r.corruptions().contains(e.corruption()));
                continue;
            }
            if (got == null) {
                continue;
            }
            StoredMessage want = live.get(seq);
            if (want == null) {
                // a deleted message came back: only allowed if its delete record was damaged, and said so
                assertTrue(flips > 1 || reported || !r.corruptions().isEmpty(), "message " + seq + " resurrected silently");
                want = everAppended.get(seq);
            }
            assertNotNull(want, "message " + seq + " never existed");
            assertSame(want, got);
        }
        // every live message is either served or reported, except a silently truncated tail
        for (long seq : live.keySet()) {
            StoredMessage got;
            try {
                got = r.load(seq);
            } catch (CorruptRecordException e) {
                continue;
            }
            if (got == null) {
                assertTrue(flips > 1, "message " + seq + " lost without a report");
            }
        }
        r.close();
    }

    @Provide
    Arbitrary<Integer> flipCounts() {
        return Arbitraries.integers().between(1, 4);
    }
}
