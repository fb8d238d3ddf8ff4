package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.evomerge.fitness.OnnxEmbedder;
import dev.evomerge.fitness.Pooling;
import dev.evomerge.fitness.ReferenceEmbeddings;
import dev.evomerge.fitness.Tokenizer;
import dev.evomerge.genome.Blueprint;
import dev.evomerge.merge.MergeEngine;
import dev.evomerge.merge.MergeSources;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.model.PretrainedEmbeddings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge search of two real pretrained encoders of one lineage (bge-small-en as the base, bge-small-en-v1.5's
 * task vector weighted per layer group) on real sentences, then its export: a merged model.onnx with the base's
 * tokenizer.json, re-scored before it is accepted, which a fresh ONNX Runtime session loads and which embeds
 * exactly as the search's in-memory candidate did.
 */
class EmbeddingMergeSearchTest {
    @TempDir
    Path dir;

    private static final List<String> TEXTS = List.of(
            "The striker scored twice in the second half to win the cup final.",
            "Whisk the eggs with sugar until pale, then fold in the sifted flour.",
            "The tennis champion lost the first set but came back to win in five.",
            "Simmer the onions slowly in butter until they turn sweet and golden.",
            "The marathon runner broke the course record by almost a minute.",
            "Season the lamb with rosemary and garlic before roasting it for an hour.",
            "Fans cheered as the home side equalised with a header from a corner.",
            "Knead the dough for ten minutes and leave it to rise in a warm place.",
            "The cyclist attacked on the final climb and won the mountain stage.",
            "Add a pinch of salt to the boiling water before you cook the pasta.");

    @Test
    void exportWritesAnOnnxModelThatAFreshSessionLoadsAndThatEmbedsAsTheSearchDid() throws Exception {
        List<String> labelled = new ArrayList<>();
        for (int i = 0; i < TEXTS.size(); i++) {
            labelled.add("{\"text\": \"" + TEXTS.get(i) + "\", \"label\": " + (i % 2) + "}");
        }
        Files.write(dir.resolve("topics.jsonl"), labelled);
        Files.writeString(dir.resolve("topics.yaml"), "kind: embedding_classification\ndata: topics.jsonl\nsplit: validation\n"
                + "heldout: test\npooling: cls\nsupport_per_class: 2\nmax_length: 32\n");
        Files.writeString(dir.resolve("halves.yaml"), "kind: retrieval\ndata: topics-halves.jsonl\nsplit: all\nheldout: none\npooling: cls\n"
                + "max_length: 32\nmetric: recall@1\n");
        List<String> halves = new ArrayList<>();
        for (String t : TEXTS.subList(0, 6)) {
            int cut = t.indexOf(' ', t.length() / 2);
            halves.add("{\"query\": \"" + t.substring(0, cut) + "\", \"document\": \"" + t.substring(cut + 1) + "\"}");
        }
        Files.write(dir.resolve("topics-halves.jsonl"), halves);
        Path v1 = PretrainedEmbeddings.BGE_SMALL_EN.directory();
        Path v15 = PretrainedEmbeddings.BGE_SMALL_EN_V15.directory();
        Path experiment = dir.resolve("experiment.yaml");
        Files.writeString(experiment, """
                name: bge-lineage
                seed: 3
                problem:
                  base: %s
                  models: [%s]
                  genome: {space: ps, method: task_arithmetic, groups: 2, search: {weight: [-0.5, 1.5]}}
                  tasks: {topics: topics.yaml, halves: halves.yaml}
                  objectives: [{name: accuracy, task: topics}, {name: recall_at_1, task: halves}]
                strategy: {name: nsga2, population: 4}
                budget: {generations: 1}
                reference: [0, 0]
                """.formatted(v1, v15));
        ExperimentConfig config = ExperimentConfig.read(experiment);
        Path run = dir.resolve("run");
        try (Runner runner = Runner.start(config, run)) {
            runner.run(false);
        }
        RunResults results = RunResults.read(run);
        LoggedEvaluation chosen = results.pick("best:accuracy");
        Path out = dir.resolve("merged");
        Export.Result exported = Export.write(results, "best:accuracy", out, false, MergeEngine.Progress.NONE);
        assertArrayEquals(chosen.evaluation().objectives(), exported.rescored(), 1e-12, "re-scored from the written model.onnx");
        assertTrue(Files.isRegularFile(out.resolve("model.onnx")) && Files.isRegularFile(out.resolve("tokenizer.json")));
        assertFalse(Files.exists(out.resolve("model.safetensors")), "the weights are the ONNX model's initializers");
        assertTrue(Files.readString(out.resolve("recipe.yaml")).contains("task_arithmetic"));

        // the search's candidate, materialized in memory as the search did, embeds the texts one at a time
        MergeProblemSpec spec = (MergeProblemSpec) config.problem();
        Blueprint blueprint = spec.genomeSpace().decode(chosen.genome());
        Map<String, ModelCheckpoint> models = new LinkedHashMap<>();
        models.put(spec.base().toString(), ModelCheckpoint.open(spec.base()));
        models.put(spec.models().getFirst().toString(), ModelCheckpoint.open(spec.models().getFirst()));
        float[][] searched = new float[TEXTS.size()][];
        try (MergeSources sources = MergeSources.load(models, spec.base().toString(), Device.cpu());
             NDManager scope = NDManager.newBaseManager(Device.cpu()); OnnxEmbedder embedder = OnnxEmbedder.open(v1);
             Tokenizer tokenizer = Tokenizer.forEmbeddings(v1, 128)) {
            var candidate = sources.materialize(blueprint.recipe(), scope);
            for (int i = 0; i < TEXTS.size(); i++) {
                searched[i] = embedder.session(candidate).embed(List.of(tokenizer.encode(TEXTS.get(i))), Pooling.CLS, true)[0];
            }
        }
        // a fresh ONNX Runtime session on the exported file: the same embeddings, bit for bit
        float[][] fresh = ReferenceEmbeddings.of(out.resolve("model.onnx"), out, TEXTS, Pooling.CLS);
        for (int i = 0; i < TEXTS.size(); i++) {
            assertArrayEquals(searched[i], fresh[i], 0f, "text " + i);
        }
        assertEquals(2, chosen.genome().size(), "one weight per layer group");
    }
}
