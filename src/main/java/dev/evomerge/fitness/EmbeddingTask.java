package dev.evomerge.fitness;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.merge.Candidate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Tasks on a text encoder's embeddings (ONNX models, run through {@link OnnxEmbedder}):
 * <ul>
 *   <li>{@code embedding_classification}: labelled texts ({"text": "...", "label": k}); a datapoint scores 1
 *       when its text is closest (cosine) to the centroid of its own class, or when its k nearest labelled
 *       texts vote for its class ({@code classifier: knn}). The labelled texts are {@code support_per_class}
 *       per class from the support split, embedded by each candidate too.</li>
 *   <li>{@code retrieval}: pairs ({"query": "...", "document": "..."}); every query of the split is ranked
 *       against every document of the split by cosine similarity, and scores 1/rank of its own document (MRR)
 *       or 1 when that is in the top K (recall@K).</li>
 * </ul>
 * Texts are tokenized once, when the task opens, and embedded in fixed batches (texts of similar length
 * together): a text's embedding never depends on which datapoints are asked for, so racing's sample and the
 * rest score as the whole would. A candidate's embeddings are kept until the next candidate.
 */
public final class EmbeddingTask implements Task {
    private final String name;
    private final boolean retrieval;
    private final EmbeddingOptions options;
    private final OnnxEmbedder embedder;
    private final boolean ownsEmbedder;
    /** Every text the task embeds: classification's support then datapoints; retrieval's queries then documents. */
    private final List<int[]> sequences;
    /** The fixed batches, as indices into {@link #sequences}. */
    private final List<int[]> batches;
    private final int[] batchOf;
    private final int datapointCount;
    /** Classification: each datapoint's label, then the support's labels. */
    private final int[] labels;
    private final int[] supportLabels;
    private Candidate embeddedFor;
    private float[][] embedded;

    private EmbeddingTask(String name, boolean retrieval, EmbeddingOptions options, OnnxEmbedder embedder, boolean ownsEmbedder,
                          List<int[]> sequences, int datapointCount, int[] labels, int[] supportLabels, int batchSize) {
        this.name = name;
        this.retrieval = retrieval;
        this.options = options;
        this.embedder = embedder;
        this.ownsEmbedder = ownsEmbedder;
        this.sequences = List.copyOf(sequences);
        this.datapointCount = datapointCount;
        this.labels = labels;
        this.supportLabels = supportLabels;
        // batches of similar lengths waste less on padding; the order is fixed by the texts alone
        Integer[] order = new Integer[sequences.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> sequences.get(i).length).thenComparingInt(i -> i));
        this.batches = new ArrayList<>();
        this.batchOf = new int[sequences.size()];
        for (int from = 0; from < order.length; from += batchSize) {
            int[] batch = new int[Math.min(batchSize, order.length - from)];
            for (int j = 0; j < batch.length; j++) {
                batch[j] = order[from + j];
                batchOf[batch[j]] = batches.size();
            }
            batches.add(batch);
        }
    }

    /**
     * Opens the task described by {@code spec} ({@code rows}: the datapoints' line numbers in the data file, in
     * order; {@code supportRows}: classification's labelled examples), tokenized with the embedder's model's
     * tokenizer. The task closes {@code embedder} when {@code ownsEmbedder}.
     */
    static EmbeddingTask open(String name, TaskSpec spec, Path data, OnnxEmbedder embedder, boolean ownsEmbedder) {
        EmbeddingOptions options = spec.embedding();
        boolean retrieval = spec.kind().equals("retrieval");
        List<JsonNode> lines = read(data, retrieval);
        int[] rows = spec.chosenRows(lines.size());
        try (Tokenizer tokenizer = Tokenizer.forEmbeddings(embedder.location(), options.maxLength())) {
            List<int[]> sequences = new ArrayList<>();
            if (retrieval) {
                for (int r : rows) {
                    sequences.add(tokenizer.encode(options.queryPrefix() + lines.get(r).get("query").asText()));
                }
                for (int r : rows) {
                    sequences.add(tokenizer.encode(options.documentPrefix() + lines.get(r).get("document").asText()));
                }
                return new EmbeddingTask(name, true, options, embedder, ownsEmbedder, sequences, rows.length, null, null, spec.batchSize());
            }
            int[] labels = Arrays.stream(rows).map(r -> lines.get(r).get("label").asInt()).toArray();
            // support: the first support_per_class texts of each class in the support split's seeded order
            Map<Integer, List<Integer>> byLabel = new TreeMap<>();
            Arrays.stream(labels).forEach(l -> byLabel.put(l, new ArrayList<>()));
            for (int r : options.supportSplit().select(lines.size(), spec.splitSeed())) {
                List<Integer> chosen = byLabel.get(lines.get(r).get("label").asInt());
                if (chosen != null && chosen.size() < options.supportPerClass()) {
                    chosen.add(r);
                }
            }
            List<Integer> support = new ArrayList<>();
            byLabel.forEach((label, chosen) -> {
                if (chosen.isEmpty()) {
                    throw new EvomergeException(data + ": class " + label + " has no labelled text in the " + options.supportSplit().label()
                            + " split to compare with");
                }
                support.addAll(chosen);
            });
            for (int r : rows) {
                sequences.add(tokenizer.encode(options.textPrefix() + lines.get(r).get("text").asText()));
            }
            for (int r : support) {
                sequences.add(tokenizer.encode(options.textPrefix() + lines.get(r).get("text").asText()));
            }
            int[] supportLabels = support.stream().mapToInt(r -> lines.get(r).get("label").asInt()).toArray();
            return new EmbeddingTask(name, false, options, embedder, ownsEmbedder, sequences, rows.length, labels, supportLabels, spec.batchSize());
        }
    }

    /** The data file's lines, each checked for the fields its kind needs. */
    static List<JsonNode> read(Path data, boolean retrieval) {
        List<JsonNode> lines = new ArrayList<>();
        for (JsonlFile.Line line : JsonlFile.read(data)) {
            JsonNode node = line.node();
            for (String f : retrieval ? List.of("query", "document") : List.of("text")) {
                if (!node.path(f).isTextual() || node.get(f).asText().isBlank()) {
                    throw new EvomergeException(line.where() + "missing or empty text field '" + f + "'");
                }
            }
            if (!retrieval && !(node.path("label").isIntegralNumber() && node.get("label").canConvertToInt())) {
                throw new EvomergeException(line.where() + "missing or non-integer field 'label'");
            }
            lines.add(node);
        }
        return lines;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return datapointCount;
    }

    @Override
    public boolean higherIsBetter() {
        return true;
    }

    @Override
    public int[] labels() {
        return labels == null ? null : labels.clone();
    }

    @Override
    public double[] score(Candidate candidate, NDManager scope, int[] datapoints) {
        OnnxEmbedder.Session session = embedder.session(candidate);
        if (candidate != embeddedFor) {
            embeddedFor = candidate;
            embedded = new float[sequences.size()][];
        }
        // what every datapoint is compared with (support or documents), then the datapoints asked for
        int others = sequences.size() - datapointCount;
        int[] needed = new int[others + datapoints.length];
        for (int i = 0; i < others; i++) {
            needed[i] = datapointCount + i;
        }
        for (int i = 0; i < datapoints.length; i++) {
            needed[others + i] = datapoints[i];
        }
        embed(session, needed);
        double[] scores = new double[datapoints.length];
        for (int i = 0; i < datapoints.length; i++) {
            scores[i] = retrieval ? rankScore(datapoints[i]) : classify(datapoints[i]);
        }
        return scores;
    }

    /** Runs every batch that holds a needed text not yet embedded for this candidate. */
    private void embed(OnnxEmbedder.Session session, int[] needed) {
        boolean[] run = new boolean[batches.size()];
        for (int i : needed) {
            if (embedded[i] == null) {
                run[batchOf[i]] = true;
            }
        }
        for (int b = 0; b < run.length; b++) {
            if (run[b]) {
                int[] batch = batches.get(b);
                float[][] out = session.embed(Arrays.stream(batch).mapToObj(sequences::get).toList(), options.pooling(), options.normalize());
                for (int j = 0; j < batch.length; j++) {
                    embedded[batch[j]] = out[j];
                }
            }
        }
    }

    /** 1 when the datapoint's text is classified as its label, else 0. */
    private double classify(int datapoint) {
        float[] x = embedded[datapoint];
        int support = supportLabels.length;
        int predicted;
        if (!options.knn()) {
            Map<Integer, float[]> centroids = new TreeMap<>(); // sums; cosine ignores the count
            for (int s = 0; s < support; s++) {
                float[] e = embedded[datapointCount + s];
                float[] c = centroids.computeIfAbsent(supportLabels[s], l -> new float[e.length]);
                for (int j = 0; j < e.length; j++) {
                    c[j] += e[j];
                }
            }
            predicted = -1;
            double best = Double.NEGATIVE_INFINITY;
            for (var c : centroids.entrySet()) { // ascending labels: a tie goes to the lower one
                double similarity = cosine(x, c.getValue());
                if (similarity > best) {
                    best = similarity;
                    predicted = c.getKey();
                }
            }
        } else {
            Integer[] order = new Integer[support];
            double[] similarity = new double[support];
            for (int s = 0; s < support; s++) {
                order[s] = s;
                similarity[s] = cosine(x, embedded[datapointCount + s]);
            }
            Arrays.sort(order, Comparator.comparingDouble((Integer s) -> -similarity[s]).thenComparingInt(s -> s));
            Map<Integer, double[]> votes = new TreeMap<>(); // label → {count, summed similarity}
            for (int n = 0; n < Math.min(options.k(), support); n++) {
                double[] v = votes.computeIfAbsent(supportLabels[order[n]], l -> new double[2]);
                v[0]++;
                v[1] += similarity[order[n]];
            }
            predicted = votes.entrySet().stream()
                    .max(Comparator.comparingDouble((Map.Entry<Integer, double[]> e) -> e.getValue()[0])
                            .thenComparingDouble(e -> e.getValue()[1]).thenComparing(e -> -e.getKey()))
                    .orElseThrow().getKey();
        }
        return predicted == labels[datapoint] ? 1 : 0;
    }

    /** The query's reciprocal rank of its own document (ties ranked pessimistically), or its hit at K. */
    private double rankScore(int query) {
        float[] q = embedded[query];
        double own = cosine(q, embedded[datapointCount + query]);
        int rank = 1;
        for (int d = 0; d < datapointCount; d++) {
            if (d != query && cosine(q, embedded[datapointCount + d]) >= own) {
                rank++;
            }
        }
        return options.recallAt() == 0 ? 1.0 / rank : rank <= options.recallAt() ? 1 : 0;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }

    /** The embedder's time so far, split by step. */
    public OnnxEmbedder.Timings timings() {
        return embedder.timings();
    }

    @Override
    public void close() {
        if (ownsEmbedder) {
            embedder.close();
        }
    }
}
