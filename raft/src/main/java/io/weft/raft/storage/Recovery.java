package io.weft.raft.storage;

import io.weft.net.Disk;
import io.weft.net.DiskFile;
import io.weft.raft.HardState;
import io.weft.raft.Snapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Opening a storage directory: the newest readable snapshot, the hard state, the log scan, and the
 * clean-ups the scan decided (cut a torn tail, delete covered or stale segments, leftover temporary
 * files), each made durable before the storage is used.
 */
final class Recovery {
    RecoveryReport report;
    HardStateFile hsFile;
    HardState hardState;
    /** The durable hard state's vouched index (HardStateFile): entries up to it were fsynced. */
    long vouched;
    boolean hardStateLost;
    Snapshot snapshot = Snapshot.EMPTY;
    LogScan scan;

    private final List<String> notes = new ArrayList<>();
    private final List<Long> badSnapshots = new ArrayList<>();
    private boolean dirChanged;

    static Recovery run(Disk disk, String dir) throws IOException {
        disk.mkdirs(dir);
        Recovery r = new Recovery();
        List<String> names = disk.list(dir);
        List<String> segs = new ArrayList<>();
        List<Long> snaps = new ArrayList<>();
        for (String name : names) {
            if (name.endsWith(".tmp")) {
                disk.delete(Bytes.path(dir, name));
                r.dirChanged = true;
                r.notes.add(name + ": unfinished temporary file deleted");
            } else if (Segment.firstOf(name) > 0) {
                segs.add(name);
            } else if (SnapshotFiles.indexOf(name) >= 0) {
                snaps.add(SnapshotFiles.indexOf(name));
            }
        }
        r.loadSnapshot(disk, dir, snaps);
        boolean fresh = !disk.exists(Bytes.path(dir, HardStateFile.NAME)) && segs.isEmpty() && snaps.isEmpty();
        HardStateFile.Read hs = r.loadHardState(disk, dir, fresh);
        r.scan = LogScan.run(disk, dir, segs, r.snapshot.index(), r.snapshot.term(), hs.lost() ? -1 : hs.state().commit(),
                hs.lost() ? -1 : hs.vouched());
        r.notes.addAll(r.scan.notes);
        r.cleanUp(disk, dir);
        r.hsFile = disk.exists(Bytes.path(dir, HardStateFile.NAME))
                ? HardStateFile.open(disk, dir, hs)
                : HardStateFile.create(disk, dir, HardState.EMPTY);
        if (fresh) {
            r.hardStateLost = false;
        }
        r.report = new RecoveryReport(r.scan.tornBytes, hs.badSlots(), r.badSnapshots, r.notes);
        return r;
    }

    /** The newest snapshot whose file reads back whole; newer unreadable ones are reported and deleted. */
    private void loadSnapshot(Disk disk, String dir, List<Long> indexes) throws IOException {
        for (int k = indexes.size() - 1; k >= 0; k--) {
            long index = indexes.get(k);
            String path = Bytes.path(dir, SnapshotFiles.name(index));
            Snapshot s = SnapshotFiles.decode(Bytes.readAll(disk, path), index);
            if (s != null) {
                snapshot = s;
                return;
            }
            badSnapshots.add(index);
            notes.add(SnapshotFiles.name(index) + ": unreadable (CRC or length), deleted; using an older snapshot");
            disk.delete(path);
            dirChanged = true;
        }
    }

    private HardStateFile.Read loadHardState(Disk disk, String dir, boolean fresh) throws IOException {
        HardStateFile.Read hs;
        if (disk.exists(Bytes.path(dir, HardStateFile.NAME))) {
            hs = HardStateFile.read(disk, dir);
        } else {
            hs = new HardStateFile.Read(HardState.EMPTY, 0, 0, true, 0);
        }
        hardState = hs.state();
        vouched = hs.vouched();
        hardStateLost = hs.lost();
        if (hs.lost() && !fresh) {
            notes.add("hard state unreadable (no valid slot): term and vote lost");
        } else if (hs.badSlots() > 0) {
            notes.add("hard state: " + hs.badSlots() + " unreadable slot, using the previous value");
        }
        return hs;
    }

    private void cleanUp(Disk disk, String dir) throws IOException {
        for (String name : scan.deletes) {
            disk.delete(Bytes.path(dir, name));
            dirChanged = true;
        }
        if (scan.tornSegment != null) {
            try (DiskFile f = disk.open(Bytes.path(dir, scan.tornSegment), false)) {
                f.truncate(scan.tornOffset);
                f.force();
            }
        }
        if (dirChanged) {
            disk.syncDir(dir);
        }
    }
}
