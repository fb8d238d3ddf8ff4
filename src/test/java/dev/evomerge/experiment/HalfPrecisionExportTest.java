package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.merge.MergeEngine;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.model.TinyCheckpoints;
import dev.evomerge.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A search over half-precision Llama checkpoints (bf16 and f16) with a loss objective, then {@code export
 * --pick best} as the CLI runs it: the export must succeed, and the written model must score exactly what
 * the search logged (equal doubles, no tolerance), for merges (ps), routings (dfs) and both (ps+dfs). The
 * search scores a candidate as it will be written: merged tensors rounded to the output dtype, a routing
 * folded into a plain checkpoint. The export also runs in a fresh JVM, through the CLI, as a user runs it.
 */
class HalfPrecisionExportTest {
    private static final int VOCAB = 97;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "BF16|{space: ps, method: ties, groups: 3, search: {weight: [0.0, 1.0], density: [0.2, 1.0]}}",
            "F16|{space: ps, method: ties, groups: 3, search: {weight: [0.0, 1.0], density: [0.2, 1.0]}}",
            "BF16|{space: dfs, repeats: 2, scales: [0.5, 2.0]}",
            "F16|{space: dfs, repeats: 2, scales: [0.5, 2.0]}",
            "BF16|{space: ps+dfs, method: task_arithmetic, groups: 1, search: {weight: [0.0, 1.0]}}",
            "F16|{space: ps+dfs, method: task_arithmetic, groups: 1, search: {weight: [0.0, 1.0]}}"})
    void theExportedBestScoresExactlyWhatTheSearchLogged(DType dtype, String genome) throws IOException {
        searchAndExport(dtype, genome);
    }

    @Test
    void aSourceChangedAfterTheSearchMakesTheExportRefuseInOneLine() throws IOException {
        Path run = search(DType.BF16, "{space: ps, method: task_arithmetic, groups: 1, search: {weight: [0.0, 1.0]}}");
        // the base changed after the search (the same shapes and tokenizer, slightly other values)
        TinyCheckpoints.perturbed(dir.resolve("base"), dir.resolve("base-changed"), 7, 0.01);
        dev.evomerge.tensor.AtomicFiles.deleteTree(dir.resolve("base"));
        Files.move(dir.resolve("base-changed"), dir.resolve("base"));
        Path out = dir.resolve("exported");
        String message = org.junit.jupiter.api.Assertions.assertThrows(dev.evomerge.EvomergeException.class,
                () -> Export.write(RunResults.read(run), "best", out, false, MergeEngine.Progress.NONE)).getMessage();
        assertTrue(message.matches("the exported model scores \\S+ on loss where the search recorded \\S+ \\(evaluation \\d+\\); nothing was exported"),
                message);
        assertTrue(Files.notExists(out));
        try (var left = Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains("unverified")), "no staging folder left");
        }
    }

    @Test
    void exportInAFreshJvmAcceptsTheLoggedScoresOfARoutedF16Merge() throws Exception {
        Path run = search(DType.F16, "{space: ps+dfs, method: ties, groups: 1, search: {weight: [0.0, 1.0], density: [0.3, 1.0]}}");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "dev.evomerge.cli.Main", "export", run.toString(), "--pick", "best", "--out", dir.resolve("exported").toString())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, child.waitFor(), output);
        // the CLI prints the rescored objectives as Java writes doubles, which read back to the same bits
        var printed = java.util.regex.Pattern.compile("rescored: \\[([^]]*)], as archived").matcher(output);
        assertTrue(printed.find(), output);
        assertEquals(RunResults.read(run).pick("best").evaluation().objectives()[0], Double.parseDouble(printed.group(1)), output);
    }

    /** Runs the search to its end; returns its run directory. */
    private Path search(DType dtype, String genome) throws IOException {
        Path run = dir.resolve("run");
        try (Runner runner = Runner.start(ExperimentConfig.read(experiment(dtype, genome)), run)) {
            runner.run(false);
        }
        return run;
    }

    /** Runs the search to its end, exports its best point and checks every exported score against the log. */
    private void searchAndExport(DType dtype, String genome) throws IOException {
        RunResults results = RunResults.read(search(dtype, genome));
        LoggedEvaluation best = results.pick("best");
        Export.Result exported = Export.write(results, "best", dir.resolve("exported"), false, MergeEngine.Progress.NONE);
        assertEquals(best.number(), exported.chosen().number());
        double[] logged = best.evaluation().objectives();
        assertEquals(logged.length, exported.rescored().length);
        for (int i = 0; i < logged.length; i++) {
            // assertEquals on doubles without a delta compares their bits
            assertEquals(logged[i], exported.rescored()[i], "objective " + i + " of evaluation " + best.number());
        }
        try (ModelCheckpoint written = ModelCheckpoint.open(dir.resolve("exported"))) {
            assertTrue(written.weights().tensors().stream().allMatch(t -> t.dtype() == dtype), "written in the sources' dtype " + dtype);
        }
    }

    /** Base and two fine-tunes (the base plus noise) of a tiny Llama in {@code dtype}, a text task, a CMA-ES experiment. */
    private Path experiment(DType dtype, String genome) throws IOException {
        Path base = TinyCheckpoints.llama(dir.resolve("base"), 3, 16, VOCAB, dtype, 1, 0.3);
        TinyCheckpoints.perturbed(base, dir.resolve("a"), 2, 0.05);
        TinyCheckpoints.perturbed(base, dir.resolve("b"), 3, 0.05);
        for (String model : new String[] {"base", "a", "b"}) {
            TinyCheckpoints.wordTokenizer(dir.resolve(model), VOCAB);
        }
        Random random = new Random(4);
        StringBuilder texts = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            texts.append("{\"text\": \"").append(IntStream.range(0, 12).mapToObj(t -> "w" + random.nextInt(VOCAB))
                    .collect(Collectors.joining(" "))).append("\"}\n");
        }
        Files.writeString(dir.resolve("texts.jsonl"), texts);
        Files.writeString(dir.resolve("ppl.yaml"), "kind: perplexity\ndata: texts.jsonl\nbatch_size: 3\n");
        return Files.writeString(dir.resolve("experiment.yaml"), """
                name: half-precision-export
                seed: 9
                problem:
                  base: base
                  models: [a, b]
                  genome: %s
                  tasks: {ppl: ppl.yaml}
                  objectives: [{name: loss, task: ppl, direction: minimize}]
                strategy: {name: cmaes, population: 6}
                budget: {generations: 3}
                """.formatted(genome));
    }
}
