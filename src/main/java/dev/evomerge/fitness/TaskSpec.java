package dev.evomerge.fitness;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A task definition (a YAML file under {@code fitness/tasks/}):
 * <pre>
 * kind: classification      # or multiple_choice, perplexity, generate (Llama-family models, JSONL data only)
 * dataset: digits        # a built-in data set (fetched and checked), or:
 * data: my-data.jsonl    # one {"inputs": [...], "label": k} per line, relative to this file
 * split: validation      # train, validation, test (a seeded 60/20/20 cut, see DataSplit) or all
 * split_seed: 0
 * heldout: test          # the split a run also scores its front on, for reporting (default: test when the
 *                        # task reads train or validation, else none); read whole, without subsample
 * labels: [0, 1, 2, 3, 4]   # keep only these classes
 * subsample: 200            # a seeded sample of the rows (after the split and the label filter)
 * normalize: true           # multiple_choice: divide each choice's log-likelihood by its token count
 * batch_size: 16            # text tasks: sequences per forward pass
 * stop: "\n"                # generate: where an answer ends
 * extract: "answer is (\d+)" # generate: a regex; its first group (else the match) is the answer
 * max_tokens: 32            # generate: the most tokens generated
 * </pre>
 * JSONL lines: classification {"inputs": [...], "label": k}; multiple_choice {"prompt": "...",
 * "choices": ["...", ...], "answer": k}; perplexity {"text": "..."}; generate {"prompt": "...", "answer": "..."};
 * embedding_classification {"text": "...", "label": k}; retrieval {"query": "...", "document": "..."}.
 * Embedding tasks (ONNX text encoders) take the keys of {@link EmbeddingOptions}, and their data from a file
 * or a fetched text data set ({@link TextDatasets}).
 */
public record TaskSpec(String kind, String dataset, Path data, DataSplit split, DataSplit heldout, long splitSeed, Set<Integer> labels,
                       Integer subsample, long subsampleSeed, boolean normalize, int batchSize, String stop, String extract, int maxTokens,
                       EmbeddingOptions embedding) {
    private static final Set<String> KEYS = keys();
    private static final List<String> KINDS = List.of("classification", "multiple_choice", "perplexity", "generate",
            "embedding_classification", "retrieval");

    private static Set<String> keys() {
        Set<String> keys = new java.util.LinkedHashSet<>(List.of("kind", "dataset", "data", "split", "heldout", "split_seed", "labels",
                "subsample", "subsample_seed", "normalize", "batch_size", "stop", "extract", "max_tokens"));
        keys.addAll(EmbeddingOptions.KEYS);
        return java.util.Collections.unmodifiableSet(keys);
    }

    public static TaskSpec read(Path file) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new EvomergeException(file + ": not a readable YAML task: " + e.getMessage().lines().findFirst().orElse(""));
        }
        try {
            return of(root, file.toAbsolutePath().getParent());
        } catch (EvomergeException e) {
            throw new EvomergeException(file + ": " + e.getMessage(), e);
        }
    }

    static TaskSpec of(JsonNode root, Path directory) {
        if (root == null || !root.isObject()) {
            throw new EvomergeException("a task is a YAML mapping with kind and data");
        }
        root.fieldNames().forEachRemaining(k -> {
            if (!KEYS.contains(k)) {
                throw new EvomergeException(k + ": unknown key" + DidYouMean.suggest(k, KEYS));
            }
        });
        String kind = root.path("kind").asText("");
        if (!KINDS.contains(kind)) {
            throw new EvomergeException("kind: '" + kind + "' is not a task kind here" + DidYouMean.suggest(kind, KINDS));
        }
        String dataset = root.hasNonNull("dataset") ? root.get("dataset").asText() : null;
        Path data = root.hasNonNull("data") ? directory.resolve(root.get("data").asText()) : null;
        if ((dataset == null) == (data == null)) {
            throw new EvomergeException("give exactly one of dataset (built in: digits) or data (a JSONL file)");
        }
        boolean embedding = kind.equals("embedding_classification") || kind.equals("retrieval");
        if (!kind.equals("classification") && !embedding && data == null) {
            throw new EvomergeException(kind + " tasks read their data from a JSONL file (data: …)");
        }
        List<String> datasets = !embedding ? List.of("digits") : kind.equals("retrieval") ? TextDatasets.RETRIEVAL : TextDatasets.CLASSIFICATION;
        if (dataset != null && !datasets.contains(dataset)) {
            throw new EvomergeException("dataset: no built-in " + kind + " data set '" + dataset + "'" + DidYouMean.suggest(dataset, datasets));
        }
        if (!embedding) {
            for (String key : EmbeddingOptions.KEYS) {
                if (root.has(key)) {
                    throw new EvomergeException(key + ": applies to embedding_classification and retrieval tasks only");
                }
            }
        }
        DataSplit split = DataSplit.named(root.path("split").asText("all"));
        DataSplit heldout = null;
        String heldoutName = root.path("heldout").asText(split == DataSplit.TRAIN || split == DataSplit.VALIDATION ? "test" : "none");
        if (!heldoutName.equals("none")) {
            heldout = DataSplit.named(heldoutName);
            if (heldout == split || heldout == DataSplit.ALL || split == DataSplit.ALL) {
                throw new EvomergeException("heldout: '" + heldoutName + "' overlaps the task's split '" + split.label()
                        + "'; a held-out split must be another part (e.g. split: validation, heldout: test)");
            }
        }
        Set<Integer> labels = null;
        if (root.has("labels")) {
            labels = new HashSet<>();
            for (JsonNode l : root.get("labels")) {
                if (!l.canConvertToInt()) {
                    throw new EvomergeException("labels must be integers, got " + l);
                }
                labels.add(l.asInt());
            }
        }
        Integer subsample = root.has("subsample") ? root.get("subsample").asInt() : null;
        if (subsample != null && subsample < 1) {
            throw new EvomergeException("subsample must be at least 1");
        }
        String extract = root.hasNonNull("extract") ? root.get("extract").asText() : null;
        if (extract != null) {
            try {
                java.util.regex.Pattern.compile(extract);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new EvomergeException("extract: '" + extract + "' is not a valid regex: " + e.getDescription());
            }
        }
        return new TaskSpec(kind, dataset, data, split, heldout, root.path("split_seed").asLong(0), labels, subsample,
                root.path("subsample_seed").asLong(0), root.path("normalize").asBoolean(true), Math.max(1, root.path("batch_size").asInt(16)),
                root.path("stop").asText("\n"), extract, Math.max(1, root.path("max_tokens").asInt(32)),
                embedding ? EmbeddingOptions.parse(root, kind, split) : null);
    }

    /**
     * A digest of what decides the task's datapoints and their order: the task file itself and its data file
     * (built-in data sets are checksum-checked when fetched).
     */
    public String digest(Path taskFile) {
        try {
            var sha = java.security.MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(taskFile));
            if (data != null) {
                try (var in = Files.newInputStream(data)) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        sha.update(buffer, 0, n);
                    }
                }
            }
            return java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (IOException e) {
            throw new EvomergeException(taskFile + ": cannot read: " + e.getMessage(), e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Datapoint scores of this kind are better when higher (accuracies), or lower (perplexity's loss per token). */
    public boolean higherIsBetter() {
        return !kind.equals("perplexity");
    }

    /** The same task on its held-out split, read whole; null when it has none. */
    public TaskSpec heldoutTask() {
        return heldout == null ? null : new TaskSpec(kind, dataset, data, heldout, null, splitSeed, labels, null, subsampleSeed, normalize,
                batchSize, stop, extract, maxTokens, embedding);
    }

    /** The task's rows: loaded, split, filtered and sub-sampled as the spec says. */
    public LabelledData rows() {
        if (!kind.equals("classification")) {
            throw new IllegalStateException(kind + " tasks have no numeric rows");
        }
        LabelledData all = dataset != null ? Digits.load() : readJsonl(data);
        LabelledData chosen = all.rows(split.select(all.size(), splitSeed));
        if (labels != null) {
            chosen = chosen.withLabels(labels);
        }
        if (subsample != null && subsample < chosen.size()) {
            chosen = chosen.split(subsampleSeed, (double) subsample / chosen.size())[0];
        }
        if (chosen.size() == 0) {
            throw new EvomergeException("the task has no datapoints after its split and label filter");
        }
        return chosen;
    }

    /** Whether the task scores a text encoder's embeddings (an ONNX model, run by an {@link OnnxEmbedder}). */
    public boolean embeds() {
        return embedding != null;
    }

    /** Opens the task on {@code device}; text tasks tokenize with {@code modelDir}'s tokenizer.json. */
    public Task open(String name, Device device, Path modelDir) {
        if (embeds()) {
            OnnxEmbedder embedder = OnnxEmbedder.open(modelDir);
            try {
                return EmbeddingTask.open(name, this, dataFile(), embedder, true);
            } catch (RuntimeException e) {
                embedder.close();
                throw e;
            }
        }
        return open(name, device, modelDir, null);
    }

    /**
     * Opens the task; an embedding task runs candidates through {@code embedder}, which the tasks of a suite
     * share (a candidate's session is then built once) and which the caller closes.
     */
    public Task open(String name, Device device, Path modelDir, OnnxEmbedder embedder) {
        if (embeds()) {
            if (embedder == null) {
                return open(name, device, modelDir);
            }
            return EmbeddingTask.open(name, this, dataFile(), embedder, false);
        }
        if (kind.equals("classification")) {
            return new ClassificationTask(name, rows(), device);
        }
        Tokenizer tokenizer = Tokenizer.of(modelDir);
        try {
            List<LanguageTask.Item> items = readText(tokenizer);
            if (kind.equals("generate")) {
                // the task keeps the tokenizer to read what the model generates
                return new LanguageTask(name, false, normalize, items, batchSize, new LanguageTask.Generation(stop,
                        extract == null ? null : java.util.regex.Pattern.compile(extract), maxTokens), tokenizer);
            }
            tokenizer.close();
            return new LanguageTask(name, kind.equals("multiple_choice"), normalize, items, batchSize, null, null);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /** The data file: {@code data}, or the fetched built-in text data set. */
    private Path dataFile() {
        return data != null ? data : TextDatasets.fetch(dataset);
    }

    /**
     * The line numbers (among {@code size} datapoints in file order) the task reads: its split, sub-sampled with
     * {@code subsample_seed}, in file order.
     */
    int[] chosenRows(int size) {
        List<Integer> chosen = java.util.Arrays.stream(split.select(size, splitSeed)).boxed().sorted().toList();
        if (subsample != null && subsample < chosen.size()) {
            List<Integer> sample = new ArrayList<>(chosen);
            java.util.Collections.shuffle(sample, new java.util.Random(subsampleSeed));
            chosen = sample.subList(0, subsample).stream().sorted().toList();
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The JSONL of a text task, tokenized, split and sub-sampled as the spec says. */
    private List<LanguageTask.Item> readText(Tokenizer tokenizer) {
        List<LanguageTask.Item> items = new ArrayList<>();
        for (JsonlFile.Line line : JsonlFile.read(data)) {
            String where = line.where();
            JsonNode node = line.node();
            if (kind.equals("perplexity")) {
                if (!node.path("text").isTextual()) {
                    throw new EvomergeException(where + "missing field 'text'");
                }
                items.add(LanguageTask.text(tokenizer.encode(node.get("text").asText()), where));
                continue;
            }
            if (!node.path("prompt").isTextual()) {
                throw new EvomergeException(where + "missing field 'prompt'");
            }
            if (kind.equals("generate")) {
                if (!node.path("answer").isValueNode() || node.path("answer").isNull()) {
                    throw new EvomergeException(where + "missing field 'answer' (the expected text)");
                }
                items.add(LanguageTask.prompt(tokenizer.encode(node.get("prompt").asText()), node.get("answer").asText(), where));
                continue;
            }
            if (!node.path("choices").isArray() || node.get("choices").isEmpty()) {
                throw new EvomergeException(where + "missing or empty 'choices'");
            }
            if (!node.path("answer").isIntegralNumber() || node.get("answer").asInt() < 0 || node.get("answer").asInt() >= node.get("choices").size()) {
                throw new EvomergeException(where + "'answer' must be the index of one of the " + node.get("choices").size() + " choices");
            }
            List<int[]> choices = new ArrayList<>();
            for (JsonNode c : node.get("choices")) {
                choices.add(tokenizer.encode(c.asText()));
            }
            items.add(LanguageTask.question(tokenizer.encode(node.get("prompt").asText()), choices, node.get("answer").asInt(), where));
        }
        List<LanguageTask.Item> out = new ArrayList<>();
        for (int i : chosenRows(items.size())) {
            out.add(items.get(i));
        }
        return out;
    }

    static LabelledData readJsonl(Path file) {
        List<float[]> rows = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        int features = -1;
        for (JsonlFile.Line line : JsonlFile.read(file)) {
            String where = line.where();
            JsonNode node = line.node();
            if (!node.path("inputs").isArray() || node.path("inputs").isEmpty()) {
                throw new EvomergeException(where + "missing field 'inputs' (a non-empty list of numbers)");
            }
            if (!node.path("label").canConvertToInt() || !node.path("label").isIntegralNumber()) {
                throw new EvomergeException(where + "missing or non-integer field 'label'");
            }
            float[] x = new float[node.get("inputs").size()];
            for (int i = 0; i < x.length; i++) {
                if (!node.get("inputs").get(i).isNumber()) {
                    throw new EvomergeException(where + "inputs[" + i + "] is not a number");
                }
                x[i] = (float) node.get("inputs").get(i).asDouble();
            }
            if (features >= 0 && x.length != features) {
                throw new EvomergeException(where + x.length + " inputs where earlier lines have " + features);
            }
            features = x.length;
            rows.add(x);
            labels.add(node.get("label").asInt());
        }
        float[] flat = new float[rows.size() * features];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, flat, i * features, features);
        }
        return new LabelledData(flat, labels.stream().mapToInt(Integer::intValue).toArray(), features);
    }
}
