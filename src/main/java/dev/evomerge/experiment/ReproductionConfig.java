package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A whole-weight comparison of strategies on the M2N2 paper's digits experiments
 * (experiments/m2n2-digits-*.yaml): which strategies (each a label → strategy name and hyperparameters),
 * how many seeds and forward passes each, and where the search starts (from scratch, or from two MLPs
 * trained on digits 0–4 and 5–9).
 *
 * @param splitSeed  the seed of the 80/20 shuffle split; null: the paper's code's unshuffled split
 * @param start      {@code scratch} or {@code halves}
 * @param halves     training of the two starting MLPs: epochs, learning_rate, init_std, seed (halves only)
 * @param strategies label → {strategy: name, paper: the paper's test accuracy in % (optional), hyperparameters…},
 *                   in the file's order
 */
public record ReproductionConfig(String name, Long splitSeed, boolean rawPixels, String start, JsonNode halves, int passes,
                                 int seeds, double bound, Path output, Map<String, ObjectNode> strategies, String yaml) {
    private static final Set<String> TOP = Set.of("name", "split", "split_seed", "pixels", "start", "halves", "passes", "seeds", "bound", "output", "strategies");
    private static final Set<String> HALVES = Set.of("epochs", "learning_rate", "init_std", "seed");

    public static ReproductionConfig read(Path file) {
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (IOException e) {
            throw new EvomergeException(file + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        try {
            if (root == null || !root.isObject()) {
                throw new EvomergeException("a reproduction is a YAML mapping (name, start, passes, seeds, strategies, …)");
            }
            return of(root, yaml);
        } catch (EvomergeException e) {
            throw new EvomergeException(file + ": " + e.getMessage(), e);
        }
    }

    private static ReproductionConfig of(JsonNode root, String yaml) {
        ExperimentConfig.known(root, TOP, "");
        String name = root.path("name").asText("");
        if (name.isBlank() || !name.matches("[A-Za-z0-9._-]+")) {
            throw new EvomergeException("name is required (letters, digits, '.', '_', '-')");
        }
        String pixels = root.path("pixels").asText("raw");
        if (!pixels.equals("raw") && !pixels.equals("unit")) {
            throw new EvomergeException("pixels must be raw (0–16, as the paper's code) or unit (scaled to [0, 1]), not " + pixels);
        }
        String start = root.path("start").asText("scratch");
        if (!start.equals("scratch") && !start.equals("halves")) {
            throw new EvomergeException("start must be scratch or halves, not " + start);
        }
        JsonNode halves = root.path("halves");
        if (!halves.isMissingNode()) {
            if (!start.equals("halves")) {
                throw new EvomergeException("halves: only with start: halves");
            }
            ExperimentConfig.known(halves, HALVES, "halves.");
        }
        JsonNode strategies = root.path("strategies");
        if (!strategies.isObject() || strategies.isEmpty()) {
            throw new EvomergeException("strategies is required: label → {strategy: m2n2|cmaes|ga|map_elites|…, hyperparameters}");
        }
        Map<String, ObjectNode> byLabel = new LinkedHashMap<>();
        strategies.properties().forEach(e -> {
            if (!e.getValue().isObject() || !e.getValue().path("strategy").isTextual()) {
                throw new EvomergeException("strategies." + e.getKey() + ".strategy is required (a strategy name)");
            }
            byLabel.put(e.getKey(), (ObjectNode) e.getValue());
        });
        double bound = root.path("bound").asDouble(10);
        if (!(bound > 0)) {
            throw new EvomergeException("bound must be positive, got " + root.path("bound"));
        }
        String split = root.path("split").asText("seeded");
        if (!split.equals("seeded") && !split.equals("ordered")) {
            throw new EvomergeException("split must be seeded (a shuffle by split_seed) or ordered (the paper's code: first 80 % train), not " + split);
        }
        if (split.equals("ordered") && root.has("split_seed")) {
            throw new EvomergeException("split_seed: only with split: seeded");
        }
        Long splitSeed = split.equals("ordered") ? null : root.has("split_seed") ? ExperimentConfig.integral(root.get("split_seed"), "split_seed") : 0L;
        return new ReproductionConfig(name, splitSeed,
                pixels.equals("raw"), start, halves, positive(root, "passes", 50_000), positive(root, "seeds", 10), bound,
                Path.of(root.path("output").asText("results")), byLabel, yaml);
    }

    private static int positive(JsonNode root, String key, int defaultValue) {
        if (!root.has(key)) {
            return defaultValue;
        }
        long v = ExperimentConfig.integral(root.get(key), key);
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new EvomergeException(key + " must be a positive integer, got " + v);
        }
        return (int) v;
    }

    /** The strategy name of a label and its hyperparameters without the {@code strategy} key. */
    public String strategyOf(String label) {
        return strategies.get(label).get("strategy").asText();
    }

    public ObjectNode hyperparametersOf(String label) {
        ObjectNode h = strategies.get(label).deepCopy();
        h.remove("strategy");
        h.remove("paper");
        return h;
    }

    /** The paper's figure for a label (test accuracy in %, read off its plot), or NaN. */
    public double paperFigure(String label) {
        return strategies.get(label).path("paper").asDouble(Double.NaN);
    }

    public ReproductionConfig with(Integer seeds, Integer passes) {
        return new ReproductionConfig(name, splitSeed, rawPixels, start, halves, passes == null ? this.passes : passes,
                seeds == null ? this.seeds : seeds, bound, output, strategies, yaml);
    }
}
