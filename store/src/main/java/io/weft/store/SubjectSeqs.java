package io.weft.store;

import java.util.Arrays;

/** The live sequences of one subject, ascending, in a growable array (removal at the front is O(1)). */
final class SubjectSeqs {
    final String subject;
    private long[] seqs = new long[4];
    private int head;
    private int tail;

    SubjectSeqs(String subject) {
        this.subject = subject;
    }

    int count() {
        return tail - head;
    }

    long first() {
        return seqs[head];
    }

    long last() {
        return seqs[tail - 1];
    }

    long get(int i) {
        return seqs[head + i];
    }

    /** Appends a sequence larger than every one held. */
    void add(long seq) {
        if (tail == seqs.length) {
            if (head > seqs.length / 2) {
                System.arraycopy(seqs, head, seqs, 0, tail - head);
                tail -= head;
                head = 0;
            } else {
                seqs = Arrays.copyOf(seqs, seqs.length * 2);
            }
        }
        seqs[tail++] = seq;
    }

    /** Puts back a sequence in order (a rolled-back removal). */
    void insert(long seq) {
        if (count() == 0 || seq > last()) {
            add(seq);
            return;
        }
        if (head > 0 && seq < first()) {
            seqs[--head] = seq;
            return;
        }
        if (tail == seqs.length) {
            seqs = Arrays.copyOf(seqs, seqs.length * 2);
        }
        int i = Arrays.binarySearch(seqs, head, tail, seq);
        assert i < 0 : "insert of a held sequence " + seq;
        int at = -i - 1;
        System.arraycopy(seqs, at, seqs, at + 1, tail - at);
        seqs[at] = seq;
        tail++;
    }

    /** Index (0-based, relative to the first held) of the first sequence {@code >= seq}; count() if none. */
    int ceilingIndex(long seq) {
        int i = Arrays.binarySearch(seqs, head, tail, seq);
        return (i >= 0 ? i : -i - 1) - head;
    }

    boolean remove(long seq) {
        if (tail > head && seqs[head] == seq) {
            head++;
        } else if (tail > head && seqs[tail - 1] == seq) {
            tail--;
        } else {
            int i = Arrays.binarySearch(seqs, head, tail, seq);
            if (i < 0) {
                return false;
            }
            System.arraycopy(seqs, i + 1, seqs, i, tail - i - 1);
            tail--;
        }
        if (head == tail) {
            head = 0;
            tail = 0;
        }
        return true;
    }

    SubjectState state() {
        return new SubjectState(count(), first(), last());
    }
}
