package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generation ends with two atomic renames, checkpoint.json then pareto.json. A SIGKILL between them in the
 * last generation leaves a finished checkpoint beside the previous generation's front; the budget is spent,
 * so a resume runs no generation, and what it leaves must still be the run's final front (export and
 * {@code front} read pareto.json). The kill window is microseconds wide, so the state it leaves is made here
 * by hand instead of by a lucky kill.
 */
class ResumeCrashWindowTest {
    @TempDir
    Path dir;

    private static ExperimentConfig experiment(long generations) {
        return ExperimentConfig.parse("""
                name: window
                seed: 9
                problem: {benchmark: zdt1, dimension: 8}
                strategy: {name: nsga2, population: 12}
                budget: {generations: %d}
                """.formatted(generations), "x");
    }

    @Test
    void resumeRewritesAFrontLeftOneGenerationBehindItsCheckpoint() throws IOException {
        Path straight = dir.resolve("straight");
        try (Runner runner = Runner.start(experiment(6), straight)) {
            runner.run(false);
        }
        Path run = dir.resolve("run");
        try (Runner runner = Runner.start(experiment(5), run)) {
            runner.run(false);
        }
        Path fifth = Files.copy(run.resolve(RunDirectory.PARETO), dir.resolve("pareto-5.json"));
        try (Runner runner = Runner.resume(run, new Budget(6L, null, null))) {
            runner.run(false);
        }
        assertEquals(UntimedRunFiles.front(straight), UntimedRunFiles.front(run));
        // the state of a kill after the sixth generation's checkpoint.json was renamed into place, before its pareto.json
        Files.copy(fifth, run.resolve(RunDirectory.PARETO), StandardCopyOption.REPLACE_EXISTING);
        assertNotEquals(UntimedRunFiles.front(straight), UntimedRunFiles.front(run), "the fifth generation's front differs from the sixth's");
        try (Runner runner = Runner.resume(run, null)) {
            assertEquals(6, runner.run(false).generations());
        }
        assertEquals(UntimedRunFiles.front(straight), UntimedRunFiles.front(run), "pareto.json after resuming a finished run killed in its last checkpoint");
    }
}
