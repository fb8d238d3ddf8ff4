package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.model.CheckpointWriter;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.SafetensorsWriter;
import dev.evomerge.tensor.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge search over Llama-family checkpoints scored on text: the golden test model as the base, two
 * fine-tunes made by perturbing it, a perplexity objective and a multiple-choice one.
 */
class LlamaMergeSearchTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/llama-untied-gqa");

    @TempDir
    Path dir;

    private Path model(String name, long seed, double noise) throws IOException {
        Path out = dir.resolve(name);
        try (ModelCheckpoint base = ModelCheckpoint.open(GOLDEN); CheckpointWriter writer = CheckpointWriter.create(out)) {
            Random random = new Random(seed);
            try (SafetensorsWriter w = writer.weights(base.weights().tensors(), Long.MAX_VALUE, Map.of())) {
                for (TensorInfo t : base.weights().tensors()) {
                    float[] v = base.weights().readFloats(t.name());
                    for (int i = 0; i < v.length; i++) {
                        v[i] += (float) (random.nextGaussian() * noise);
                    }
                    w.write(t.name(), v);
                }
                w.commit();
            }
            writer.copyFile(GOLDEN.resolve("config.json"));
            String vocab = IntStream.range(0, 97).mapToObj(i -> "\"w" + i + "\": " + i).collect(Collectors.joining(", "));
            writer.writeFile("tokenizer.json", """
                    {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
                     "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
                     "model": {"type": "WordLevel", "vocab": {%s}, "unk_token": "w0"}}
                    """.formatted(vocab));
            return writer.commit();
        }
    }

    @Test
    void searchesMergeWeightsOfLlamaModelsOnTextTasks() throws IOException {
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
        Files.writeString(dir.resolve("experiment.yaml"), """
                name: llama-ties
                seed: 5
                problem:
                  base: base
                  models: [a, b]
                  genome: {space: ps, method: ties, groups: 3, search: {weight: [0.0, 1.0], density: [0.2, 1.0]}}
                  tasks: {ppl: ppl.yaml, mc: mc.yaml}
                  objectives: [{name: loss, task: ppl, direction: minimize}, {name: accuracy, task: mc}]
                strategy: {name: nsga2, population: 6}
                budget: {generations: 2}
                """);
        ExperimentConfig config = ExperimentConfig.read(dir.resolve("experiment.yaml"));
        Runner.Summary s;
        try (Runner runner = Runner.start(config, dir.resolve("run"))) {
            s = runner.run(false);
        }
        assertEquals(2, s.generations());
        assertTrue(s.frontSize() >= 1);
        RunResults results = RunResults.read(dir.resolve("run"));
        // 3 layers in 3 groups, 2 models, 2 parameters
        assertEquals(12, results.front().getFirst().genome().size());
        double loss = results.front().getFirst().evaluation().objectives()[0];
        assertTrue(loss > 0 && loss < 10, "a loss per token over a 97-word vocabulary: " + loss);
        // the chosen merge exports and scores the same from disk
        Export.Result exported = Export.write(results, "best:loss", dir.resolve("merged"), false, dev.evomerge.merge.MergeEngine.Progress.NONE);
        assertEquals(loss, exported.rescored()[0], 1e-6);
        assertTrue(Files.exists(dir.resolve("merged/tokenizer.json")), "the base's tokenizer is carried along");
    }
}
