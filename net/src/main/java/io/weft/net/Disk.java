package io.weft.net;

import java.io.IOException;
import java.util.List;

/**
 * The file system as the server sees it. Paths are strings relative to nothing in particular: the
 * real disk resolves them against the process, the simulated disk keeps them in memory.
 */
public interface Disk {
    DiskFile open(String path, boolean create) throws IOException;

    boolean exists(String path);

    void mkdirs(String path) throws IOException;

    /** Names (not paths) of the entries directly inside a directory, sorted. */
    List<String> list(String dir) throws IOException;

    void delete(String path) throws IOException;

    /** Atomically renames, replacing the target. */
    void rename(String from, String to) throws IOException;

    /** Makes directory entries (creates, renames, deletes) inside {@code dir} durable. */
    void syncDir(String dir) throws IOException;
}
