package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.merge.MergeEngine;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.model.TinyCheckpoints;
import dev.evomerge.tensor.NormalPermissions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Searches over Llama-family checkpoints scored on text: the golden test model as the base, two fine-tunes
 * made by perturbing it, a perplexity objective (minimized) and a multiple-choice one; merged (ps), routed
 * (dfs) and both (ps+dfs), each exported and scored again from disk.
 */
class LlamaMergeSearchTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/llama-untied-gqa");

    @TempDir
    Path dir;

    private void model(String name, long seed, double noise) {
        TinyCheckpoints.perturbed(GOLDEN, dir.resolve(name), seed, noise);
        TinyCheckpoints.wordTokenizer(dir.resolve(name), 97);
    }

    private ExperimentConfig experiment(String genome) throws IOException {
        return experiment(genome, "[{name: loss, task: ppl, direction: minimize}, {name: accuracy, task: mc}]", "{name: nsga2, population: 6}", 2);
    }

    private ExperimentConfig experiment(String genome, String objectives, String strategy, int generations) throws IOException {
        if (!Files.exists(dir.resolve("base"))) {
            model("base", 0, 0);
            model("a", 1, 0.02);
            model("b", 2, 0.02);
            Random random = new Random(3);
            StringBuilder texts = new StringBuilder();
            StringBuilder questions = new StringBuilder();
            for (int i = 0; i < 6; i++) {
                texts.append("{\"text\": \"").append(IntStream.range(0, 8).mapToObj(t -> "w" + random.nextInt(97)).collect(Collectors.joining(" "))).append("\"}\n");
                questions.append("{\"prompt\": \"w").append(random.nextInt(97)).append(" w").append(random.nextInt(97))
                        .append("\", \"choices\": [\"w").append(random.nextInt(97)).append("\", \"w").append(random.nextInt(97))
                        .append("\"], \"answer\": ").append(random.nextInt(2)).append("}\n");
            }
            Files.writeString(dir.resolve("texts.jsonl"), texts);
            Files.writeString(dir.resolve("questions.jsonl"), questions);
            Files.writeString(dir.resolve("ppl.yaml"), "kind: perplexity\ndata: texts.jsonl\n");
            Files.writeString(dir.resolve("mc.yaml"), "kind: multiple_choice\ndata: questions.jsonl\n");
        }
        Files.writeString(dir.resolve("experiment.yaml"), """
                name: llama
                seed: 5
                problem:
                  base: base
                  models: [a, b]
                  genome: %s
                  tasks: {ppl: ppl.yaml, mc: mc.yaml}
                  objectives: %s
                strategy: %s
                budget: {generations: %d}
                """.formatted(genome, objectives, strategy, generations));
        return ExperimentConfig.read(dir.resolve("experiment.yaml"));
    }

    private RunResults run(ExperimentConfig config, String name) {
        try (Runner runner = Runner.start(config, dir.resolve(name))) {
            assertEquals(2, runner.run(false).generations());
        }
        return RunResults.read(dir.resolve(name));
    }

    @Test
    void searchesMergeWeightsOfLlamaModelsOnTextTasks() throws IOException {
        RunResults results = run(experiment("{space: ps, method: ties, groups: 3, search: {weight: [0.0, 1.0], density: [0.2, 1.0]}}"), "ps");
        // 3 layers in 3 groups, 2 models, 2 parameters
        assertEquals(12, results.front().getFirst().genome().size());
        double loss = results.pick("best:loss").evaluation().objectives()[0];
        assertTrue(loss > 0 && loss < 10, "a loss per token over a 97-word vocabulary: " + loss);
        Export.Result exported = Export.write(results, "best:loss", dir.resolve("merged"), false, MergeEngine.Progress.NONE);
        assertEquals(loss, exported.rescored()[0], "scored as the search scored it: the same double");
        assertTrue(Files.exists(dir.resolve("merged/tokenizer.json")), "the base's tokenizer is carried along");
        NormalPermissions.assertThroughout(dir.resolve("merged"));
        assertNoStagingBeside(dir.resolve("merged"));
    }

    /** An export leaves nothing beside its output: no staging directory, no lock file. */
    private static void assertNoStagingBeside(Path out) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.list(out.getParent())) {
            assertEquals(java.util.List.of(), s.map(p -> p.getFileName().toString()).filter(n -> n.contains("." + out.getFileName() + ".")).toList());
        }
    }

    @Test
    void m2n2ReadsLossesOrientedAndLowersThePerplexity() throws IOException {
        // M2N2 reads per-datapoint scores; a loss per token must reach it negated, or it would breed toward higher loss
        experiment("{space: ps, method: task_arithmetic, groups: 1, search: {weight: [0.0, 1.0]}}");
        model("far-a", 11, 0.3); // fine-tunes far from the base, so that the loss depends strongly on their weights
        model("far-b", 12, 0.3);
        ExperimentConfig config = experiment("{space: ps, method: task_arithmetic, groups: 1, search: {weight: [0.0, 1.0]}}",
                "[{name: loss, task: ppl, direction: minimize}]", "{name: m2n2, population: 6}", 36);
        Files.writeString(dir.resolve("experiment.yaml"), Files.readString(dir.resolve("experiment.yaml")).replace("models: [a, b]", "models: [far-a, far-b]"));
        config = ExperimentConfig.read(dir.resolve("experiment.yaml"));
        try (Runner runner = Runner.start(config, dir.resolve("m2n2"))) {
            runner.run(false);
        }
        java.util.List<Double> losses = RunResults.read(dir.resolve("m2n2")).evaluations().stream()
                .filter(e -> !e.cached()).map(e -> e.evaluation().objectives()[0]).toList();
        double first = losses.subList(0, 6).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = losses.subList(losses.size() - 6, losses.size()).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < first - 0.05, "the last children's mean loss " + last + " below the random starts' " + first + " " + losses);
    }

    @Test
    void routesLayersThroughTheSourcesAndExportsTheRoutingAsAPlainCheckpoint() throws IOException {
        String[] genomes = {"{space: dfs, repeats: 2, scales: [0.5, 2.0]}",
                "{space: ps+dfs, method: task_arithmetic, groups: 1, search: {weight: [0.0, 1.0]}}"};
        for (int g = 0; g < genomes.length; g++) {
            RunResults results = run(experiment(genomes[g]), "routed-run-" + g);
            LoggedEvaluation best = results.pick("best:loss");
            assertTrue(best.evaluation().description().contains("layer_program:"), best.evaluation().description());
            Path out = dir.resolve("routed-" + g);
            Export.Result exported = Export.write(results, "best:loss", out, false, MergeEngine.Progress.NONE);
            assertEquals(best.evaluation().objectives()[0], exported.rescored()[0], "the folded model, as the search scored it");
            try (ModelCheckpoint routed = ModelCheckpoint.open(out)) {
                assertTrue(routed.config().get("num_hidden_layers").asInt() >= 2, "a standard config with the program's length");
                assertTrue(Files.exists(out.resolve("blueprint.yaml")));
            }
            NormalPermissions.assertThroughout(out);
            assertNoStagingBeside(out);
            // the report draws the chosen routing as a strip of (model, layer) blocks
            dev.evomerge.report.RunPlots.write(java.util.List.of(results), dir.resolve("plots-" + g));
            assertTrue(Files.size(dir.resolve("plots-" + g).resolve("genome.png")) > 1000);
        }
    }
}
