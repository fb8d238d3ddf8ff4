package dev.evomerge.fitness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskSpecTest {
    @TempDir
    Path dir;

    private Path task(String yaml) throws IOException {
        Path f = dir.resolve("task.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void readsJsonlDataFiltersAndSubsamples() throws IOException {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            jsonl.append("{\"inputs\": [").append(i).append(", ").append(i * 2).append("], \"label\": ").append(i % 4).append("}\n");
        }
        Files.writeString(dir.resolve("data.jsonl"), jsonl);
        LabelledData rows = TaskSpec.read(task("kind: classification\ndata: data.jsonl\nlabels: [1, 2]\nsubsample: 5\n")).rows();
        assertEquals(5, rows.size());
        for (int label : rows.labels()) {
            assertTrue(label == 1 || label == 2);
        }
        assertEquals(20 / 5 * 2, TaskSpec.read(task("kind: classification\ndata: data.jsonl\nsplit: test\n")).rows().size());
    }

    @Test
    void refusesBadDataWithFileAndLine() throws IOException {
        Files.writeString(dir.resolve("bad.jsonl"), "{\"inputs\": [1, 2], \"label\": 0}\n{\"inputs\": [1, 2]}\n");
        EvomergeException e = assertThrows(EvomergeException.class, () -> TaskSpec.read(task("kind: classification\ndata: bad.jsonl\n")).rows());
        assertTrue(e.getMessage().endsWith("bad.jsonl:2: missing or non-integer field 'label'"), e.getMessage());
        Files.writeString(dir.resolve("ragged.jsonl"), "{\"inputs\": [1, 2], \"label\": 0}\n{\"inputs\": [1], \"label\": 1}\n");
        assertTrue(assertThrows(EvomergeException.class, () -> TaskSpec.read(task("kind: classification\ndata: ragged.jsonl\n")).rows())
                .getMessage().contains("ragged.jsonl:2: 1 inputs where earlier lines have 2"));
        assertTrue(assertThrows(EvomergeException.class, () -> TaskSpec.read(task("kind: clasification\ndataset: digits\n")))
                .getMessage().contains("did you mean 'classification'?"));
        assertTrue(assertThrows(EvomergeException.class, () -> TaskSpec.read(task("kind: classification\ndataset: digits\nsplt: test\n")))
                .getMessage().contains("did you mean 'split'?"));
    }
}
