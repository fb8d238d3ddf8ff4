package dev.evomerge.tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A hidden directory beside a target ({@code .NAME.KIND-RANDOM}) that a whole tree is written into before it is
 * renamed to the target, and the proof that a live process owns it: a sibling lock file
 * ({@code .NAME.KIND-RANDOM.lock}) locked for as long as the directory is in use. The OS drops the lock when its
 * owner dies, however it dies, so the next writer to the same target can tell a killed run's leftover (removed,
 * {@link #sweep}) from one another process is still writing (left, and reported with its size).
 *
 * <p>The lock file is made and locked before the directory, and removed after it: a directory without its lock
 * file was not made by this class (an older evomerge made the same names without one) and is only reported. A
 * lock is held by an open channel, so a staging directory must be closed; it is not thread-safe.
 */
public final class StagingDirectory implements AutoCloseable {
    /** The kinds of staging directory a target may have beside it. */
    public static final String PARTIAL = "partial";
    public static final String UNVERIFIED = "unverified";
    private static final String LOCK = ".lock";
    /** A lock file is locked within moments of being made; one older and free lost its directory to a kill. */
    private static final Duration ORPHAN_AGE = Duration.ofMinutes(1);

    private final Path path;
    private final Path lockFile;
    private final FileChannel channel;

    private StagingDirectory(Path path, Path lockFile, FileChannel channel) {
        this.path = path;
        this.lockFile = lockFile;
        this.channel = channel;
    }

    /**
     * A new, empty staging directory of {@code kind} for {@code target}, locked by this process. Its permissions are
     * those of {@link Files#createDirectory} (the user's umask), which the rename to the target keeps.
     */
    public static StagingDirectory create(Path target, String kind) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        String prefix = "." + absolute.getFileName() + "." + kind + "-";
        for (int attempt = 0; ; attempt++) {
            Path dir = parent.resolve(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
            Path lockFile = lockFileOf(dir);
            try {
                Files.createFile(lockFile);
            } catch (FileAlreadyExistsException taken) {
                if (attempt == 100) {
                    throw taken;
                }
                continue;
            }
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
            try {
                channel.lock();
                Files.createDirectory(dir);
                return new StagingDirectory(dir, lockFile, channel);
            } catch (IOException | RuntimeException e) {
                channel.close();
                Files.deleteIfExists(lockFile);
                if (!(e instanceof FileAlreadyExistsException) || attempt == 100) {
                    throw e;
                }
            }
        }
    }

    public Path path() {
        return path;
    }

    /** Removes the directory if it is still there (not renamed into place), then its lock file, and drops the lock. */
    @Override
    public void close() throws IOException {
        try (channel) {
            AtomicFiles.deleteTree(path);
            Files.deleteIfExists(lockFile);
        }
    }

    /** A staging directory of the target that was left in place, with its size and why. */
    public record Leftover(Path path, long bytes, boolean locked) {
        /** One line for the user. */
        public String describe() {
            String size = String.format("%.1f MB", bytes / 1e6);
            return locked
                    ? path + " (" + size + ") is being written by another process; left in place"
                    : path + " (" + size + ") has no lock file (an older evomerge wrote it, or something else did); "
                      + "remove it if nothing is writing " + path.getParent() + " now";
        }
    }

    /** What {@link #sweep} did: the leftovers of dead processes it removed, and those it left. */
    public record Sweep(List<Leftover> removed, List<Leftover> kept) {
        public Sweep {
            removed = List.copyOf(removed);
            kept = List.copyOf(kept);
        }
    }

    /**
     * Removes the staging directories of {@code target} (of every kind, and the partial directories of its
     * unverified ones) whose lock is free, that is whose writer died; keeps the others and says so.
     */
    public static Sweep sweep(Path target) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        List<Leftover> removed = new ArrayList<>();
        List<Leftover> kept = new ArrayList<>();
        if (parent == null || !Files.isDirectory(parent)) {
            return new Sweep(removed, kept);
        }
        String name = absolute.getFileName().toString();
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> list = Files.newDirectoryStream(parent, p -> belongsTo(p.getFileName().toString(), name))) {
            list.forEach(entries::add);
        }
        entries.sort(null); // a directory before its lock file
        for (Path entry : entries) {
            boolean isLock = entry.getFileName().toString().endsWith(LOCK);
            if (isLock) {
                removeOrphanLock(entry);
                continue;
            }
            if (!Files.isDirectory(entry)) {
                continue;
            }
            Path lockFile = lockFileOf(entry);
            if (!Files.exists(lockFile)) {
                kept.add(new Leftover(entry, bytes(entry), false));
                continue;
            }
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
                 FileLock lock = tryLock(channel)) {
                long size = bytes(entry);
                if (lock == null) {
                    kept.add(new Leftover(entry, size, true));
                    continue;
                }
                AtomicFiles.deleteTree(entry);
                Files.deleteIfExists(lockFile);
                removed.add(new Leftover(entry, size, false));
            } catch (NoSuchFileException gone) {
                // its owner finished (renamed or removed it) while we looked
            } catch (AccessDeniedException others) {
                kept.add(new Leftover(entry, bytes(entry), true)); // another user's: not ours to judge
            }
        }
        return new Sweep(removed, kept);
    }

    /** Whether {@code entry} is a staging directory (or lock file) of the target named {@code name}. */
    static boolean belongsTo(String entry, String name) {
        // an unverified directory is itself a target, whose partial directory is ..NAME.unverified-X.partial-Y
        String own = entry.startsWith("..") && entry.startsWith("." + name + "." + UNVERIFIED + "-", 1) ? entry.substring(1) : entry;
        return own.startsWith("." + name + "." + PARTIAL + "-") || own.startsWith("." + name + "." + UNVERIFIED + "-");
    }

    private static Path lockFileOf(Path dir) {
        return dir.resolveSibling(dir.getFileName() + LOCK);
    }

    /** A lock held in this JVM (another writer here) counts as held. */
    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException heldHere) {
            return null;
        }
    }

    /** A lock file whose directory is gone, left by a kill between removing the two; a young one is being made. */
    private static void removeOrphanLock(Path lockFile) throws IOException {
        Path dir = lockFile.resolveSibling(lockFile.getFileName().toString().substring(0,
                lockFile.getFileName().toString().length() - LOCK.length()));
        try {
            FileTime modified = Files.getLastModifiedTime(lockFile);
            if (Files.exists(dir) || modified.toInstant().isAfter(Instant.now().minus(ORPHAN_AGE))) {
                return;
            }
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE); FileLock lock = tryLock(channel)) {
                if (lock != null && !Files.exists(dir)) {
                    Files.deleteIfExists(lockFile);
                }
            }
        } catch (NoSuchFileException gone) {
            // removed by its owner or another sweep meanwhile
        }
    }

    /** The bytes of the files under {@code dir}, as far as they can still be seen (a writer may be removing them). */
    private static long bytes(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.mapToLong(p -> {
                try {
                    return Files.isRegularFile(p) ? Files.size(p) : 0;
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (NoSuchFileException | UncheckedIOException gone) {
            return 0;
        }
    }
}
