package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.MlpClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The genome layout and task order follow the experiment file; a run records them and refuses another. */
class RunLayoutTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void models() throws IOException {
        MlpClassifier mlp = MlpClassifier.of(64, 16, 10);
        Map<String, float[]> init = mlp.initialize(1, 0.1);
        mlp.write(dir.resolve("models/init"), init, false);
        mlp.write(dir.resolve("models/a"), mlp.initialize(2, 0.1), false);
        mlp.write(dir.resolve("models/b"), mlp.initialize(3, 0.1), false);
        Files.createDirectories(dir.resolve("tasks"));
        // task names and parameter names chosen so that a hash order differs from the file's order
        for (String t : List.of("zeta", "alpha", "mid")) {
            Files.writeString(dir.resolve("tasks/" + t + ".yaml"), "kind: classification\ndataset: digits\nsplit: validation\nsubsample: 20\n");
        }
    }

    private static ExperimentConfig config(String search) throws IOException {
        Path file = dir.resolve("experiment.yaml");
        Files.writeString(file, """
                name: layout
                seed: 1
                problem:
                  base: models/init
                  models: [models/a, models/b]
                  genome: {space: ps, method: ties, groups: 2, search: %s}
                  tasks: {zeta: tasks/zeta.yaml, alpha: tasks/alpha.yaml, mid: tasks/mid.yaml}
                  objectives: [{name: z, task: zeta}, {name: a, task: alpha, direction: minimize}]
                strategy: {name: random, population: 2}
                budget: {generations: 1}
                """.formatted(search));
        return ExperimentConfig.read(file);
    }

    @Test
    void layoutFollowsTheFileOrder() throws IOException {
        MergeProblemSpec spec = (MergeProblemSpec) config("{weight: [0, 2], density: [0.1, 1], lambda: [0.5, 1.5]}").problem();
        assertEquals(List.of("weight", "density", "lambda"), List.copyOf(spec.search().keySet()));
        assertEquals(List.of("zeta", "alpha", "mid"), List.copyOf(spec.tasks().keySet()));
        RunLayout layout = spec.layout();
        // parameter-major, then model, then group; lambda is merge-wide
        assertEquals(2 * 2 + 2 * 2 + 2, layout.genes().size());
        assertTrue(layout.genes().get(0).startsWith("weight model=" + dir.resolve("models/a").toAbsolutePath().normalize() + " group=0"),
                layout.genes().get(0));
        assertTrue(layout.genes().get(4).startsWith("density"), layout.genes().get(4));
        assertTrue(layout.genes().get(9).startsWith("lambda group=1"), layout.genes().get(9));
        assertTrue(layout.tasks().get(0).startsWith("zeta "));
        assertEquals("a task=alpha minimize", layout.objectives().get(1));
    }

    @Test
    void resumeAndExportRefuseAnExperimentWhoseLayoutChanged() throws IOException {
        Path run = dir.resolve("run");
        try (Runner runner = Runner.start(config("{weight: [0, 2], density: [0.1, 1]}"), run)) {
            runner.run(false);
        }
        assertTrue(Files.exists(run.resolve(RunLayout.FILE)));
        // the user edits the run's config: the searched parameters swap places
        String yaml = Files.readString(run.resolve(RunDirectory.CONFIG));
        Files.writeString(run.resolve(RunDirectory.CONFIG), yaml.replace("weight", "WEIGHT").replace("density", "weight").replace("WEIGHT", "density"));
        EvomergeException e = assertThrows(EvomergeException.class, () -> Runner.resume(run, null));
        assertTrue(e.getMessage().contains("gene 0 was 'weight"), e.getMessage());
        assertThrows(EvomergeException.class, () -> Export.write(RunResults.read(run), "front:0", dir.resolve("x"), false, null));
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void aRunThatFailsBeforeItsFirstEvaluationLeavesNoDirectory() throws IOException {
        Path run = dir.resolve("failed");
        ExperimentConfig config = config("{weight: [0, 2]}");
        Files.writeString(dir.resolve("tasks/zeta.yaml"), "kind: classification\ndataset: digits\nsplit: validation\nlabels: [42]\n");
        try {
            assertThrows(EvomergeException.class, () -> Runner.start(config, run));
            assertFalse(Files.exists(run), "no half-made run directory");
        } finally {
            Files.writeString(dir.resolve("tasks/zeta.yaml"), "kind: classification\ndataset: digits\nsplit: validation\nsubsample: 20\n");
        }
    }
}
