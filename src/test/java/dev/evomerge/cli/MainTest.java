package dev.evomerge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void helpExitsZero() {
        assertEquals(0, Main.execute("--help"));
    }

    @Test
    void unknownFlagExitsTwo() {
        assertEquals(2, Main.execute("--no-such-flag"));
    }

    @Test
    void missingCommandExitsTwo() {
        assertEquals(2, Main.execute());
    }

    private static List<Path> trainingDirectories() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("evomerge-aot-training")).sorted().toList();
        }
    }

    /** run.sh records the start-up cache from this command; a failure there would only show as a slower start. */
    @Test
    void aotTrainingRunsEveryCommandItRecordsAndLeavesNothing() throws IOException {
        List<Path> before = trainingDirectories();
        assertEquals(0, Main.execute("aot-training"));
        assertEquals(before, trainingDirectories());
    }
}
