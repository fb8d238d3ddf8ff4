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
        try (StagingDirectory made = StagingDirectory.create(tree.resolve("out"), StagingDirectory.PARTIAL);
             StagingDirectory other = StagingDirectory.create(tree.resolve("out"), StagingDirectory.PARTIAL)) {
            assertNotEquals(made.path(), other.path());
            AtomicFiles.write(made.path().resolve("b.bin"), new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(made.path().resolve("b.bin")));
            assertEquals("{\"again\": 1}", Files.readString(tree.resolve("a.json")));
            try (Stream<Path> left = Files.list(tree)) {
                assertEquals(5, left.count(), "beside a.json only the two staging directories and their lock files");
            }
            NormalPermissions.assertThroughout(tree);
        }
        try (Stream<Path> left = Files.list(tree)) {
            assertEquals(1, left.count(), "closed staging directories leave nothing");
        }
    }
}
