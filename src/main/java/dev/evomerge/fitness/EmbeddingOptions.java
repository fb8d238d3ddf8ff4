package dev.evomerge.fitness;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.EvomergeException;
import java.util.List;

/**
 * How an embedding task runs its model and reads its embeddings (the {@code embedding_classification} and
 * {@code retrieval} keys of a task file):
 * <pre>
 * pooling: cls                 # cls (BGE) or mean (E5), as the model's card says; required
 * normalize_embeddings: true   # L2-normalize each embedding (both cards do)
 * max_length: 128              # tokens per text, [CLS] and [SEP] included; longer texts are cut
 * classifier: centroid         # embedding_classification: centroid (nearest class mean) or knn
 * k: 5                         # knn: neighbours that vote
 * support_per_class: 16        # embedding_classification: labelled texts per class from the support split
 * support_split: train         # where those come from (never the task's own split)
 * metric: mrr                  # retrieval: mrr (1/rank of the right document) or recall@K (1 when in the top K)
 * text_prefix: ""              # put before every text (E5 wants "query: ")
 * query_prefix: ""             # retrieval: before queries
 * document_prefix: ""          # retrieval: before documents (E5: "passage: ")
 * </pre>
 *
 * @param recallAt 0 for MRR, else K of recall@K
 */
public record EmbeddingOptions(Pooling pooling, boolean normalize, int maxLength, boolean knn, int k, int supportPerClass,
                               DataSplit supportSplit, int recallAt, String textPrefix, String queryPrefix, String documentPrefix) {
    static final List<String> KEYS = List.of("pooling", "normalize_embeddings", "max_length", "classifier", "k", "support_per_class",
            "support_split", "metric", "text_prefix", "query_prefix", "document_prefix");

    public EmbeddingOptions {
        if (maxLength < 3 || maxLength > 512) {
            throw new EvomergeException("max_length must be between 3 and 512 tokens, got " + maxLength);
        }
        if (k < 1 || supportPerClass < 1 || recallAt < 0) {
            throw new EvomergeException("k, support_per_class and recall@K must be at least 1");
        }
    }

    static EmbeddingOptions parse(JsonNode root, String kind, DataSplit split) {
        if (!root.path("pooling").isTextual()) {
            throw new EvomergeException("pooling: say how the model's card pools (cls for BGE, mean for E5)");
        }
        String classifier = root.path("classifier").asText("centroid");
        if (!classifier.equals("centroid") && !classifier.equals("knn")) {
            throw new EvomergeException("classifier must be centroid or knn, got '" + classifier + "'");
        }
        String metric = root.path("metric").asText("mrr");
        int recallAt;
        if (metric.equals("mrr")) {
            recallAt = 0;
        } else if (metric.matches("recall@[1-9][0-9]*")) {
            recallAt = Integer.parseInt(metric.substring("recall@".length()));
        } else {
            throw new EvomergeException("metric must be mrr or recall@K (e.g. recall@5), got '" + metric + "'");
        }
        if (kind.equals("retrieval") && (root.has("classifier") || root.has("support_per_class") || root.has("k"))) {
            throw new EvomergeException("classifier, k and support_per_class belong to embedding_classification, not retrieval");
        }
        if (kind.equals("embedding_classification") && root.has("metric")) {
            throw new EvomergeException("metric belongs to retrieval; embedding_classification scores accuracy");
        }
        DataSplit support = DataSplit.named(root.path("support_split").asText("train"));
        if (kind.equals("embedding_classification") && (support == split || support == DataSplit.ALL || split == DataSplit.ALL)) {
            throw new EvomergeException("support_split: '" + support.label() + "' overlaps the task's split '" + split.label()
                    + "'; the labelled examples must come from another part (e.g. support_split: train, split: validation)");
        }
        return new EmbeddingOptions(Pooling.named(root.get("pooling").asText()), root.path("normalize_embeddings").asBoolean(true),
                root.path("max_length").asInt(128), classifier.equals("knn"), root.path("k").asInt(5), root.path("support_per_class").asInt(16),
                support, recallAt, root.path("text_prefix").asText(""), root.path("query_prefix").asText(""),
                root.path("document_prefix").asText(""));
    }
}
