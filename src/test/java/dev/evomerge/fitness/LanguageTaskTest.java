package dev.evomerge.fitness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.evomerge.EvomergeException;
import dev.evomerge.merge.Candidate;
import dev.evomerge.merge.LayerProgram;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text tasks on the golden Llama, with a word-level tokenizer whose word "wK" is token K. */
class LanguageTaskTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/llama-untied-gqa");
    private static final int VOCAB = 97;

    @TempDir
    Path dir;
    private Path model;
    private long[] ids;
    private float[] logits;

    @BeforeEach
    void model() throws IOException {
        model = Files.createDirectories(dir.resolve("model"));
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(GOLDEN.resolve(f), model.resolve(f));
        }
        TestTokenizers.wordLevel(model, VOCAB);
        try (SafetensorsCheckpoint golden = SafetensorsCheckpoint.open(GOLDEN.resolve("golden.safetensors"))) {
            ids = golden.raw("input_ids").toArray(java.lang.foreign.ValueLayout.JAVA_LONG);
            logits = golden.readFloats("logits");
        }
    }

    /** log p(ids[row][t + 1] | ids[row][..t]) from PyTorch's logits, in double. */
    private double goldenLogProbability(int row, int t) {
        int tokens = ids.length / 2;
        int base = (row * tokens + t) * VOCAB;
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < VOCAB; v++) {
            max = Math.max(max, logits[base + v]);
        }
        double sum = 0;
        for (int v = 0; v < VOCAB; v++) {
            sum += Math.exp(logits[base + v] - max);
        }
        return logits[base + (int) ids[row * tokens + t + 1]] - max - Math.log(sum);
    }

    private String words(int row, int from, int to) {
        int tokens = ids.length / 2;
        return IntStream.range(from, to).mapToObj(t -> "w" + ids[row * tokens + t]).collect(Collectors.joining(" "));
    }

    @Test
    void tokenLogProbabilitiesOfARaggedBatchMatchPyTorch() {
        try (ModelCheckpoint checkpoint = ModelCheckpoint.open(model); NDManager m = NDManager.newBaseManager()) {
            LlamaModel llama = new LlamaModel(LlamaConfig.of(checkpoint.config()));
            int tokens = ids.length / 2;
            int[] row0 = IntStream.range(0, tokens).map(t -> (int) ids[t]).toArray();
            int[] row1 = IntStream.range(0, 6).map(t -> (int) ids[tokens + t]).toArray(); // the golden mask's 6 tokens
            List<double[]> lp = llama.tokenLogProbabilities(List.of(Candidate.load(checkpoint, m).tensors()),
                    LayerProgram.identity(0, 3), List.of(row0, row1), m);
            for (int t = 0; t < tokens - 1; t++) {
                assertEquals(goldenLogProbability(0, t), lp.get(0)[t], 1e-4);
            }
            assertEquals(5, lp.get(1).length);
            for (int t = 0; t < 5; t++) {
                assertEquals(goldenLogProbability(1, t), lp.get(1)[t], 1e-4);
            }
        }
    }

    private Task open(String yaml, String jsonl) throws IOException {
        Files.writeString(dir.resolve("data.jsonl"), jsonl);
        Files.writeString(dir.resolve("task.yaml"), yaml);
        return TaskSpec.read(dir.resolve("task.yaml")).open("t", ai.djl.Device.cpu(), model);
    }

    @Test
    void perplexityIsTheLossPerTokenPyTorchGives() throws IOException {
        try (Task task = open("kind: perplexity\ndata: data.jsonl\n", "{\"text\": \"" + words(0, 0, 9) + "\"}\n");
             ModelCheckpoint checkpoint = ModelCheckpoint.open(model); NDManager m = NDManager.newBaseManager()) {
            double expected = -IntStream.range(0, 8).mapToDouble(t -> goldenLogProbability(0, t)).average().orElseThrow();
            assertArrayEquals(new double[] {expected}, task.score(Candidate.load(checkpoint, m), m), 1e-4);
        }
    }

    @Test
    void multipleChoicePicksTheChoiceWithTheHighestNormalizedLikelihood() throws IOException {
        try (ModelCheckpoint checkpoint = ModelCheckpoint.open(model); NDManager m = NDManager.newBaseManager()) {
            Candidate candidate = Candidate.load(checkpoint, m);
            // the golden continuation of row 0, against two other continuations; which wins is read off the
            // log-likelihoods (checked against PyTorch above), then the task must agree for either answer
            String prompt = words(0, 0, 5);
            List<String> choices = List.of(words(0, 5, 9), "w1 w2 w3 w4", "w50");
            LlamaModel llama = new LlamaModel(LlamaConfig.of(checkpoint.config()));
            List<int[]> sequences = new ArrayList<>();
            try (Tokenizer tokenizer = Tokenizer.of(model)) {
                for (String c : choices) {
                    sequences.add(tokenizer.encode(prompt + " " + c));
                }
            }
            List<double[]> lp = llama.tokenLogProbabilities(List.of(candidate.tensors()), LayerProgram.identity(0, 3), sequences, m);
            double[] normalized = new double[3];
            double[] total = new double[3];
            for (int c = 0; c < 3; c++) {
                int n = choices.get(c).split(" ").length;
                for (int t = lp.get(c).length - n; t < lp.get(c).length; t++) {
                    total[c] += lp.get(c)[t];
                }
                normalized[c] = total[c] / n;
            }
            // the first choice's likelihood is PyTorch's too
            assertEquals(IntStream.range(4, 8).mapToDouble(t -> goldenLogProbability(0, t)).sum(), total[0], 1e-4);
            int bestNormalized = argmax(normalized);
            int bestTotal = argmax(total);
            String question = "{\"prompt\": \"" + prompt + "\", \"choices\": [\"" + String.join("\", \"", choices) + "\"], \"answer\": %d}\n";
            String data = question.formatted(bestNormalized) + question.formatted((bestNormalized + 1) % 3);
            try (Task normalizedTask = open("kind: multiple_choice\ndata: data.jsonl\n", data)) {
                assertArrayEquals(new double[] {1, 0}, normalizedTask.score(candidate, m));
            }
            try (Task rawTask = open("kind: multiple_choice\ndata: data.jsonl\nnormalize: false\n", question.formatted(bestTotal))) {
                assertArrayEquals(new double[] {1}, rawTask.score(candidate, m));
            }
        }
    }

    @Test
    void generateDecodesGreedilyAndComparesTheExtractedAnswer() throws IOException {
        try (ModelCheckpoint checkpoint = ModelCheckpoint.open(model); NDManager m = NDManager.newBaseManager()) {
            Candidate candidate = Candidate.load(checkpoint, m);
            LlamaModel llama = new LlamaModel(LlamaConfig.of(checkpoint.config()));
            int[] greedy = llama.generate(List.of(candidate.tensors()), LayerProgram.identity(0, 3), new int[] {7, 8, 9}, 3, t -> false, m);
            String text = IntStream.of(greedy).mapToObj(t -> "w" + t).collect(Collectors.joining(" "));
            String data = "{\"prompt\": \"w7 w8 w9\", \"answer\": \"" + text + "\"}\n{\"prompt\": \"w7 w8 w9\", \"answer\": \"w0 w0 w0\"}\n";
            try (Task task = open("kind: generate\ndata: data.jsonl\nmax_tokens: 3\nstop: \"|\"\n", data)) {
                assertArrayEquals(new double[] {1, 0}, task.score(candidate, m));
            }
            String first = "{\"prompt\": \"w7 w8 w9\", \"answer\": \"w" + greedy[0] + "\"}\n";
            try (Task task = open("kind: generate\ndata: data.jsonl\nmax_tokens: 3\nextract: '^(\\S+)'\n", first)) {
                assertArrayEquals(new double[] {1}, task.score(candidate, m), "the first word, by the extract regex");
            }
            // a stop string ends the answer: stopping at the second token leaves only the first
            try (Task task = open("kind: generate\ndata: data.jsonl\nmax_tokens: 3\nstop: \" w" + greedy[1] + "\"\n", first)) {
                assertArrayEquals(new double[] {1}, task.score(candidate, m));
            }
        }
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void badTextDataIsRefusedWithFileAndLine() {
        String yaml = "kind: multiple_choice\ndata: data.jsonl\n";
        assertTrue(assertThrows(EvomergeException.class, () -> open(yaml, "{\"prompt\": \"w1\", \"choices\": [], \"answer\": 0}\n"))
                .getMessage().endsWith("data.jsonl:1: missing or empty 'choices'"));
        assertTrue(assertThrows(EvomergeException.class, () -> open(yaml, "{\"prompt\": \"w1\", \"choices\": [\"w2\"], \"answer\": 0}\n{\"choices\": [\"w2\"], \"answer\": 0}\n"))
                .getMessage().endsWith("data.jsonl:2: missing field 'prompt'"));
        assertTrue(assertThrows(EvomergeException.class, () -> open(yaml, "{\"prompt\": \"w1\", \"choices\": [\"w2\", \"w3\"], \"answer\": 2}\n"))
                .getMessage().contains("'answer' must be the index of one of the 2 choices"));
        assertTrue(assertThrows(EvomergeException.class, () -> open("kind: perplexity\ndata: data.jsonl\n", "{\"text\": \"w5\"}\n"))
                .getMessage().contains("fewer than 2 tokens"));
    }
}
