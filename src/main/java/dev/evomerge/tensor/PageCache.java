package dev.evomerge.tensor;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Drops one file's pages from the OS page cache ({@code posix_fadvise(POSIX_FADV_DONTNEED)} through FFM),
 * so a benchmark can time a cold read of its own files without root and without touching anyone else's.
 * Where libc has no such call, {@link #available} is false and benchmarks say they measured warm only.
 */
public final class PageCache {
    private static final int POSIX_FADV_DONTNEED = 4;
    private static final int O_RDONLY = 0;
    private static final Optional<MethodHandle[]> CALLS = lookup();

    private PageCache() {
    }

    @SuppressWarnings("restricted") // run.sh and the tests enable native access
    private static Optional<MethodHandle[]> lookup() {
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            MethodHandle fadvise = linker.downcallHandle(libc.find("posix_fadvise").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            return Optional.of(new MethodHandle[] {open, fadvise, close});
        } catch (RuntimeException | LinkageError e) {
            return Optional.empty();
        }
    }

    public static boolean available() {
        return CALLS.isPresent();
    }

    /** Asks the kernel to forget the file's cached pages (it may keep dirty ones: sync first). */
    public static void evict(Path file) throws IOException {
        MethodHandle[] calls = CALLS.orElseThrow(() -> new IOException("posix_fadvise is not available"));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            int fd = (int) calls[0].invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), O_RDONLY);
            if (fd < 0) {
                throw new IOException("cannot open " + file);
            }
            try {
                int rc = (int) calls[1].invokeExact(fd, 0L, 0L, POSIX_FADV_DONTNEED);
                if (rc != 0) {
                    throw new IOException("posix_fadvise failed on " + file + ": " + rc);
                }
            } finally {
                int ignored = (int) calls[2].invokeExact(fd);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException("posix_fadvise on " + file + ": " + e, e);
        }
    }
}
