package io.weft.sim;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import java.io.IOException;
import java.util.List;

/**
 * The disk of a node that must not use one yet: every operation fails loudly, so a server that
 * starts touching the disk under simulation is noticed instead of silently passing. The simulated
 * disk with fsync semantics and faults replaces it when store lands.
 */
public final class SimDisk implements Disk {
    private static IOException unsupported(String op, String path) {
        return new IOException("simulated disk not implemented yet: " + op + " " + path);
    }

    @Override
    public DiskFile open(String path, boolean create) throws IOException {
        throw unsupported("open", path);
    }

    @Override
    public boolean exists(String path) {
        throw new UnsupportedOperationException("simulated disk not implemented yet: exists " + path);
    }

    @Override
    public void mkdirs(String path) throws IOException {
        throw unsupported("mkdirs", path);
    }

    @Override
    public List<String> list(String dir) throws IOException {
        throw unsupported("list", dir);
    }

    @Override
    public void delete(String path) throws IOException {
        throw unsupported("delete", path);
    }

    @Override
    public void rename(String from, String to) throws IOException {
        throw unsupported("rename", from);
    }

    @Override
    public void syncDir(String dir) throws IOException {
        throw unsupported("syncDir", dir);
    }
}
