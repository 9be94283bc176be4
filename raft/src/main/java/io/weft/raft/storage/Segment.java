package io.weft.raft.storage;

/** One log segment file, {@code <first index, 20 digits>.log}: the entries from {@code first} on. */
final class Segment {
    static final String SUFFIX = ".log";

    final long first;
    final String name;
    /** Bytes of the file that are on disk (written; durable once the last sync covered them). */
    long diskSize;
    /** Whether the file exists on disk (a segment begun in this sync window does not yet). */
    boolean onDisk;

    Segment(long first, long diskSize, boolean onDisk) {
        this.first = first;
        this.name = name(first);
        this.diskSize = diskSize;
        this.onDisk = onDisk;
    }

    static String name(long first) {
        return String.format("%020d", first) + SUFFIX;
    }

    /** The first index in a segment file name, or -1 if the name is not one. */
    static long firstOf(String name) {
        if (!name.endsWith(SUFFIX) || name.length() != 20 + SUFFIX.length()) {
            return -1;
        }
        try {
            long f = Long.parseLong(name.substring(0, 20));
            return f >= 1 ? f : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
