package dev.evomerge.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a written tree's permissions should be: those {@link Files#createDirectory} and {@link Files#createFile}
 * give in the same parent (0777 and 0666 less the umask), for tests.
 */
public final class NormalPermissions {
    private NormalPermissions() {
    }

    /** Every directory and file under {@code root}, {@code root} too, has the permissions a new one beside it would have. */
    public static void assertThroughout(Path root) throws IOException {
        Path parent = root.toAbsolutePath().getParent();
        Path probeDir = Files.createDirectory(parent.resolve(".probe-dir"));
        Path probeFile = Files.createFile(parent.resolve(".probe-file"));
        Set<PosixFilePermission> dirs;
        Set<PosixFilePermission> files;
        try {
            dirs = Files.getPosixFilePermissions(probeDir);
            files = Files.getPosixFilePermissions(probeFile);
        } finally {
            Files.delete(probeDir);
            Files.delete(probeFile);
        }
        assumeFalse(PosixFilePermissions.toString(dirs).equals("rwx------"), "under umask 077 owner-only is normal: nothing to tell apart");
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.toList();
        }
        for (Path p : all) {
            Set<PosixFilePermission> expected = Files.isDirectory(p) ? dirs : files;
            assertEquals(PosixFilePermissions.toString(expected), PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
        }
    }
}
