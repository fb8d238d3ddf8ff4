package dev.evomerge.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void writesAndTemporaryDirectoriesGetTheUsersNormalPermissionsNotOwnerOnly() throws IOException {
        Path tree = Files.createDirectory(dir.resolve("tree"));
        AtomicFiles.write(tree.resolve("a.json"), "{}");
        AtomicFiles.write(tree.resolve("a.json"), "{\"again\": 1}"); // over an existing file
        Path made = AtomicFiles.createTempDirectory(tree, ".out.partial-");
        Path other = AtomicFiles.createTempDirectory(tree, ".out.partial-");
        assertNotEquals(made, other);
        AtomicFiles.write(made.resolve("b.bin"), new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(made.resolve("b.bin")));
        assertEquals("{\"again\": 1}", Files.readString(tree.resolve("a.json")));
        try (Stream<Path> left = Files.list(tree)) {
            assertEquals(3, left.count(), "no temporary file left beside a.json");
        }
        NormalPermissions.assertThroughout(tree);
    }
}
