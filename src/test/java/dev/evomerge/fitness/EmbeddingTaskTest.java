package dev.evomerge.fitness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.evomerge.merge.Candidate;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.model.PretrainedEmbeddings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Embedding tasks on real pretrained encoders (BGE, E5) and real sentences. */
class EmbeddingTaskTest {
    @TempDir
    Path dir;

    static final List<String> SPORT = List.of(
            "The striker scored twice in the second half to win the cup final.",
            "Our goalkeeper saved a penalty in the last minute of the match.",
            "The tennis champion lost the first set but came back to win in five.",
            "The marathon runner broke the course record by almost a minute.",
            "The basketball team traded their best point guard before the playoffs.",
            "Fans cheered as the home side equalised with a header from a corner.",
            "The cyclist attacked on the final climb and won the mountain stage.",
            "The coach was fined after arguing with the referee about an offside call.",
            "She swam the fastest butterfly of the season at the national trials.",
            "The batsman hit a century as his team chased the target on the last day.");
    static final List<String> COOKING = List.of(
            "Whisk the eggs with sugar until pale, then fold in the sifted flour.",
            "Simmer the onions slowly in butter until they turn sweet and golden.",
            "Season the lamb with rosemary and garlic before roasting it for an hour.",
            "Knead the dough for ten minutes and leave it to rise in a warm place.",
            "Add a pinch of salt to the boiling water before you cook the pasta.",
            "Let the stew rest overnight so the spices soften and the flavours blend.",
            "Grate the lemon zest over the tart just before serving it with cream.",
            "Toast the cumin seeds in a dry pan until they smell nutty.",
            "Blanch the green beans, then plunge them into iced water to keep them bright.",
            "Reduce the red wine sauce until it coats the back of a spoon.");

    private static float[][] embed(OnnxEmbedder embedder, Candidate candidate, Path tokenizerDir, List<String> texts, Pooling pooling) {
        try (Tokenizer tokenizer = Tokenizer.forEmbeddings(tokenizerDir, 128)) {
            return embedder.session(candidate).embed(texts.stream().map(tokenizer::encode).toList(), pooling, true);
        }
    }

    private static double dot(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d += a[i] * b[i];
        }
        return d;
    }

    @Test
    void aPatchedSessionEmbedsAsTheModelFileDoesAndAnotherModelsWeightsMakeThatModel() throws Exception {
        Path bge = PretrainedEmbeddings.BGE_SMALL_EN_V15.directory();
        Path e5 = PretrainedEmbeddings.E5_SMALL_V2.directory();
        List<String> texts = List.of("The cat sat on the mat.", "A cat is sitting on a rug.", "Stock markets fell sharply on Monday.");
        try (OnnxEmbedder embedder = OnnxEmbedder.open(bge); NDManager scope = NDManager.newBaseManager(Device.cpu());
             ModelCheckpoint bgeModel = ModelCheckpoint.open(bge); ModelCheckpoint e5Model = ModelCheckpoint.open(e5)) {
            float[][] own = embed(embedder, Candidate.load(bgeModel, scope), bge, texts, Pooling.CLS);
            float[][] expected = ReferenceEmbeddings.of(bge.resolve("model.onnx"), bge, texts, Pooling.CLS);
            for (int i = 0; i < texts.size(); i++) {
                // the patched bytes are the file's bytes; batching pads, so equal up to float rounding
                assertArrayEquals(expected[i], own[i], 1e-5f);
            }
            assertTrue(dot(own[0], own[1]) > dot(own[0], own[2]) + 0.1, "bge knows cats from stock markets");
            // e5's weights patched into bge's graph: e5's embeddings (mean pooling), not bge's
            float[][] asE5 = embed(embedder, Candidate.load(e5Model, scope), bge, texts, Pooling.MEAN);
            float[][] e5Expected = ReferenceEmbeddings.of(e5.resolve("model.onnx"), e5, texts, Pooling.MEAN);
            for (int i = 0; i < texts.size(); i++) {
                assertArrayEquals(e5Expected[i], asE5[i], 1e-4f);
            }
            assertEquals(2, embedder.timings().sessions());
        }
    }

    private Path task(String yaml, String dataName, List<String> lines) throws IOException {
        Files.write(dir.resolve(dataName), lines);
        Path file = dir.resolve(dataName + ".yaml");
        Files.writeString(file, yaml + "data: " + dataName + "\n");
        return file;
    }

    @Test
    void classifiesRealTextByNearestCentroidAndKnnWithRacingSubsetsScoredAsTheWhole() throws IOException {
        java.util.ArrayList<String> lines = new java.util.ArrayList<>();
        for (int i = 0; i < SPORT.size(); i++) {
            lines.add("{\"text\": \"" + SPORT.get(i) + "\", \"label\": 0}");
            lines.add("{\"text\": \"" + COOKING.get(i) + "\", \"label\": 1}");
        }
        Path bge = PretrainedEmbeddings.BGE_SMALL_EN_V15.directory();
        // both classifiers share one encoder, as a suite's tasks do: one session for the candidate
        try (OnnxEmbedder embedder = OnnxEmbedder.open(bge); ModelCheckpoint model = ModelCheckpoint.open(bge);
             NDManager scope = NDManager.newBaseManager(Device.cpu())) {
            Candidate candidate = Candidate.load(model, scope);
            for (String classifier : List.of("centroid", "knn")) {
                Path file = task("kind: embedding_classification\nsplit: validation\nsplit_seed: 3\npooling: cls\nsupport_per_class: 4\n"
                        + "batch_size: 3\nk: 3\nclassifier: " + classifier + "\n", "topics-" + classifier + ".jsonl", lines);
                try (Task task = TaskSpec.read(file).open("topics", Device.cpu(), bge, embedder)) {
                    assertEquals(4, task.size(), "the validation fifth of 20");
                    double[] all = task.score(candidate, scope);
                    assertEquals(1.0, java.util.Arrays.stream(all).average().orElseThrow(), classifier + ": " + java.util.Arrays.toString(all));
                    // racing's parts: a later call for some datapoints scores them as the whole did
                    assertArrayEquals(new double[] {all[2], all[0]}, task.score(candidate, scope, new int[] {2, 0}));
                    assertEquals(4, task.labels().length);
                }
            }
            assertEquals(1, embedder.timings().sessions());
        }
    }

    @Test
    void ranksEachPassagesContinuationAmongTheOthers() throws IOException {
        List<String> lines = new java.util.ArrayList<>();
        for (int i = 0; i < SPORT.size(); i++) {
            // a text's two halves: query and document
            for (String text : List.of(SPORT.get(i), COOKING.get(i))) {
                String[] words = text.split(" ");
                int half = words.length / 2;
                lines.add("{\"query\": \"" + String.join(" ", java.util.Arrays.asList(words).subList(0, half)) + "\", \"document\": \""
                        + String.join(" ", java.util.Arrays.asList(words).subList(half, words.length)) + "\"}");
            }
        }
        Path bge = PretrainedEmbeddings.BGE_SMALL_EN_V15.directory();
        Path mrrFile = task("kind: retrieval\nsplit: all\npooling: cls\nbatch_size: 8\n", "halves.jsonl", lines);
        try (Task mrr = TaskSpec.read(mrrFile).open("halves", Device.cpu(), bge);
             ModelCheckpoint model = ModelCheckpoint.open(bge); NDManager scope = NDManager.newBaseManager(Device.cpu())) {
            Candidate candidate = Candidate.load(model, scope);
            double[] reciprocalRanks = mrr.score(candidate, scope);
            assertEquals(20, reciprocalRanks.length);
            double meanReciprocalRank = java.util.Arrays.stream(reciprocalRanks).average().orElseThrow();
            // one-sentence halves with nine siblings on the same topic are hard: chance is an MRR of 0.18 (measured here 0.45)
            assertTrue(meanReciprocalRank > 0.3 && meanReciprocalRank <= 1, "MRR " + meanReciprocalRank);
            for (double r : reciprocalRanks) {
                assertEquals(1.0 / Math.round(1 / r), r, 1e-12, "a reciprocal of a whole rank");
            }
            assertArrayEquals(new double[] {reciprocalRanks[7]}, mrr.score(candidate, scope, new int[] {7}));
        }
    }
}
