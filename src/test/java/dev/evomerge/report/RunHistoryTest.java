package dev.evomerge.report;

import dev.evomerge.experiment.RunDirectory;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.experiment.Budget;
import dev.evomerge.experiment.Checkpoint;
import dev.evomerge.experiment.ExperimentConfig;
import dev.evomerge.experiment.LoggedEvaluation;
import dev.evomerge.experiment.RunResults;
import dev.evomerge.experiment.Runner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunHistoryTest {
    @TempDir
    Path dir;

    static ExperimentConfig config(String strategy, long seed, long generations, String benchmark) {
        return ExperimentConfig.parse("""
                name: history
                seed: %d
                problem: {benchmark: %s, dimension: 12}
                strategy: {name: %s, population: 16}
                budget: {generations: %d}
                """.formatted(seed, benchmark, strategy, generations), "x");
    }

    static Runner.Summary run(ExperimentConfig config, Path out) {
        try (Runner runner = Runner.start(config, out)) {
            return runner.run(false);
        }
    }

    static RunHistory fromScratch(Path runDir) {
        RunResults run = RunResults.read(runDir);
        Checkpoint checkpoint = Checkpoint.read(runDir);
        RunHistory h = RunHistory.of(run, checkpoint.reference());
        h.read(checkpoint.logBytes());
        return h;
    }

    /** Evaluations made (cached lines excluded) by the end of each generation, counted from the log. */
    static List<Double> evaluationsPerGeneration(Path runDir) throws IOException {
        List<Double> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        long made = 0;
        long generation = 0;
        for (String line : Files.readAllLines(runDir.resolve(RunDirectory.LOG))) {
            JsonNode node = json.readTree(line);
            if (node.get("generation").asLong() != generation) {
                out.add((double) made);
                generation = node.get("generation").asLong();
            }
            made += node.get("cached").asBoolean() ? 0 : 1;
        }
        out.add((double) made);
        return out;
    }

    private static List<Long> numbers(List<LoggedEvaluation> front) {
        return front.stream().map(LoggedEvaluation::number).toList();
    }

    private static List<Double> list(double[] values) {
        return java.util.Arrays.stream(values).boxed().toList();
    }

    @Test
    void hypervolumeAndFrontEqualTheRunnersAgainstEvaluationsMade() throws IOException {
        for (String benchmark : List.of("zdt1", "dtlz2")) {
            Path runDir = dir.resolve(benchmark);
            Runner.Summary summary = run(config("nsga2", 3, 12, benchmark), runDir);
            RunHistory h = fromScratch(runDir);
            assertEquals(Checkpoint.read(runDir).hypervolume(), list(h.hypervolume().y()), benchmark);
            assertEquals(evaluationsPerGeneration(runDir), list(h.hypervolume().x()), benchmark);
            assertEquals(summary.evaluations(), h.evaluations(), benchmark);
            assertEquals(numbers(RunResults.read(runDir).front()), numbers(h.front()), benchmark);
            // the best of f1 so far ends at the smallest f1 logged (ZDT1 and DTLZ2 minimize)
            double smallest = java.util.Arrays.stream(h.values(0)).min().orElseThrow();
            double[] best = h.bestSoFar(0).y();
            assertEquals(smallest, best[best.length - 1], benchmark);
        }
    }

    @Test
    void readingOnlyTheNewLinesEqualsReadingFromScratch() {
        Path runDir = dir.resolve("run");
        run(config("nsga2", 5, 4, "zdt1"), runDir);
        RunHistory live = fromScratch(runDir);
        int first = live.lines();
        try (Runner runner = Runner.resume(runDir, new Budget(10L, null, null))) {
            runner.run(false);
        }
        Checkpoint checkpoint = Checkpoint.read(runDir);
        // a limit inside the last line: that line waits for the next read
        int partial = live.read(checkpoint.logBytes() - 5);
        int rest = live.read(checkpoint.logBytes());
        RunHistory scratch = fromScratch(runDir);
        assertEquals(1, rest);
        assertEquals(scratch.lines() - first, partial + rest);
        assertEquals(0, live.read(checkpoint.logBytes()), "nothing new");
        assertEquals(scratch.lines(), live.lines());
        assertEquals(scratch.evaluations(), live.evaluations());
        assertArrayEquals(scratch.hypervolume().x(), live.hypervolume().x());
        assertArrayEquals(scratch.hypervolume().y(), live.hypervolume().y());
        assertArrayEquals(scratch.bestSoFar(1).x(), live.bestSoFar(1).x());
        assertArrayEquals(scratch.bestSoFar(1).y(), live.bestSoFar(1).y());
        assertEquals(numbers(scratch.front()), numbers(live.front()));
        assertEquals(checkpoint.hypervolume(), list(live.hypervolume().y()));
    }

    @Test
    void aLogRewrittenUnderItIsReadAgainFromTheStart() throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        run(config("nsga2", 3, 6, "zdt1"), a);
        run(config("nsga2", 4, 12, "zdt1"), b);
        RunHistory h = RunHistory.of(RunResults.read(a), Checkpoint.read(b).reference());
        h.read(Long.MAX_VALUE);
        // a longer log with other lines, as a resume that truncated and went on would leave
        Files.copy(b.resolve(RunDirectory.LOG), a.resolve(RunDirectory.LOG), StandardCopyOption.REPLACE_EXISTING);
        h.read(Long.MAX_VALUE);
        assertEquals(numbers(fromScratch(b).front()), numbers(h.front()));
        assertEquals(Checkpoint.read(b).hypervolume(), list(h.hypervolume().y()));
        // a shorter one
        Files.copy(b.resolve(RunDirectory.LOG), a.resolve(RunDirectory.LOG), StandardCopyOption.REPLACE_EXISTING);
        run(config("nsga2", 3, 2, "zdt1"), dir.resolve("short"));
        Files.copy(dir.resolve("short").resolve(RunDirectory.LOG), a.resolve(RunDirectory.LOG), StandardCopyOption.REPLACE_EXISTING);
        h.read(Long.MAX_VALUE);
        assertEquals(numbers(fromScratch(dir.resolve("short")).front()), numbers(h.front()));
        assertEquals(2, h.generations());
    }
}
