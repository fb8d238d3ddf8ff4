package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import dev.evomerge.search.Strategies;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One strategy of a {@link Comparison}: its name and hyperparameters, and the label its rows and run
 * directories go by ({@code nsga2}, or {@code nsga2{population:14}} with overrides).
 *
 * @param hyperparameters in key order as given; the label is made from them, so it never depends on a hash
 */
public record ComparedStrategy(String label, String strategy, ObjectNode hyperparameters) {
    private static final YAMLMapper YAML = new YAMLMapper();

    public ComparedStrategy {
        hyperparameters = hyperparameters.deepCopy();
    }

    @Override
    public ObjectNode hyperparameters() {
        return hyperparameters.deepCopy();
    }

    /** The label as a file name: run directories are {@code runs/NAME-eN-seedS}. */
    public String fileName() {
        return label.replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^_+|_+$", "");
    }

    /**
     * Parses {@code random,nsga2:{population: 14},map}: names, each optionally followed by {@code :} and a YAML
     * flow mapping of hyperparameters (commas inside braces do not split). A name equal to the experiment's
     * strategy starts from the experiment's hyperparameters, the overrides replacing keys of theirs; any other
     * starts from the strategy's defaults. Random search is added first when not listed: it is the baseline.
     */
    public static List<ComparedStrategy> parseAll(String text, ExperimentConfig experiment) {
        List<ComparedStrategy> out = new ArrayList<>();
        for (String item : split(text)) {
            ComparedStrategy s = parse(item, experiment);
            if (out.stream().anyMatch(o -> o.label.equals(s.label))) {
                throw new EvomergeException("--strategies lists " + s.label + " twice");
            }
            out.add(s);
        }
        if (out.isEmpty()) {
            throw new EvomergeException("--strategies is empty: give names, e.g. random,nsga2,map");
        }
        if (out.stream().noneMatch(s -> s.strategy.equals("random"))) {
            out.addFirst(parse("random", experiment));
        }
        return List.copyOf(out);
    }

    static ComparedStrategy parse(String item, ExperimentConfig experiment) {
        int colon = item.indexOf(':');
        String name = (colon < 0 ? item : item.substring(0, colon)).trim();
        if (!Strategies.NAMES.contains(name)) {
            throw new EvomergeException("--strategies: unknown strategy '" + name + "'" + DidYouMean.suggest(name, Strategies.NAMES));
        }
        ObjectNode hyper = name.equals(experiment.strategy()) ? experiment.hyperparameters().deepCopy() : YAML.createObjectNode();
        String label = name;
        if (colon >= 0) {
            String overrides = item.substring(colon + 1).trim();
            JsonNode given;
            try {
                given = YAML.readTree(overrides);
            } catch (IOException e) {
                throw new EvomergeException("--strategies: " + name + ": not a YAML mapping: " + overrides);
            }
            if (given == null || !given.isObject()) {
                throw new EvomergeException("--strategies: " + name + ": hyperparameters must be a mapping, e.g. " + name + ":{population: 14}");
            }
            hyper.setAll((ObjectNode) given);
            List<String> parts = new ArrayList<>();
            given.properties().forEach(e -> parts.add(e.getKey() + ": " + e.getValue().toString().replace("\"", "")));
            // written as YAML reads it back (a flow mapping needs ': '), so the table's command line reruns it
            label = name + "{" + String.join(", ", parts) + "}";
        }
        try {
            experiment.withStrategy(name, hyper); // bad keys and values fail now, not after the first runs
        } catch (EvomergeException e) {
            throw new EvomergeException("--strategies: " + label + ": " + e.getMessage(), e);
        }
        return new ComparedStrategy(label, name, hyper);
    }

    /** Splits on commas outside braces and brackets. */
    private static List<String> split(String text) {
        List<String> items = new ArrayList<>();
        int depth = 0;
        StringBuilder current = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
            }
            if (c == ',' && depth == 0) {
                items.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (depth != 0) {
            throw new EvomergeException("--strategies: unbalanced braces in '" + text + "'");
        }
        items.add(current.toString());
        List<String> out = new ArrayList<>();
        for (String item : items) {
            if (!item.isBlank()) {
                out.add(item.trim());
            }
        }
        return out;
    }
}
