package io.weft.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Files through FileChannel. A file's {@code force} is fdatasync ({@code FileChannel.force(false)}):
 * it makes the file's data durable and the metadata needed to read it back (its size), as fsync does,
 * but not its timestamps, which nothing reads: an fsync after overwriting a hard-state slot in place
 * wrote the file's inode just for its mtime. A directory's {@code syncDir} stays a full fsync.
 */
public final class RealDisk implements Disk {
    @Override
    public DiskFile open(String path, boolean create) throws IOException {
        FileChannel ch = create
                ? FileChannel.open(Path.of(path), StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE)
                : FileChannel.open(Path.of(path), StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new DiskFile() {
            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                return ch.read(dst, position);
            }

            @Override
            public void write(ByteBuffer src, long position) throws IOException {
                long pos = position;
                while (src.hasRemaining()) {
                    pos += ch.write(src, pos);
                }
            }

            @Override
            public long size() throws IOException {
                return ch.size();
            }

            @Override
            public void truncate(long size) throws IOException {
                ch.truncate(size);
            }

            @Override
            public void force() throws IOException {
                ch.force(false);
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    @Override
    public boolean exists(String path) {
        return Files.exists(Path.of(path));
    }

    @Override
    public void mkdirs(String path) throws IOException {
        Files.createDirectories(Path.of(path));
    }

    @Override
    public List<String> list(String dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of(dir))) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        }
        names.sort(null);
        return names;
    }

    @Override
    public void delete(String path) throws IOException {
        Files.deleteIfExists(Path.of(path));
    }

    @Override
    public void rename(String from, String to) throws IOException {
        Files.move(Path.of(from), Path.of(to), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void syncDir(String dir) throws IOException {
        try (FileChannel ch = FileChannel.open(Path.of(dir), StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
