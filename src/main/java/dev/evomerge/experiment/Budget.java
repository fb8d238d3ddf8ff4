package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a run stops: after a number of generations, of evaluations, or of seconds, whichever comes first
 * (each optional; at least one). A generation is never cut short, so a run may pass its evaluation budget
 * by less than one generation.
 */
public record Budget(Long generations, Long evaluations, Double seconds) {
    private static final Pattern TIME = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(s|m|h|d)?");

    public Budget {
        if (generations == null && evaluations == null && seconds == null) {
            throw new EvomergeException("budget needs generations, evaluations or time");
        }
        if (generations != null && generations < 1 || evaluations != null && evaluations < 1 || seconds != null && !(seconds > 0)) {
            throw new EvomergeException("budget values must be positive");
        }
    }

    static Budget parse(JsonNode node) {
        if (node.isMissingNode() || !node.isObject()) {
            throw new EvomergeException("budget is required: a mapping with generations, evaluations and/or time");
        }
        ExperimentConfig.known(node, Set.of("generations", "evaluations", "time"), "budget.");
        Long generations = node.has("generations") ? ExperimentConfig.integral(node.get("generations"), "budget.generations") : null;
        Long evaluations = node.has("evaluations") ? ExperimentConfig.integral(node.get("evaluations"), "budget.evaluations") : null;
        Double seconds = node.has("time") ? seconds(node.get("time").asText(), "budget.time") : null;
        return new Budget(generations, evaluations, seconds);
    }

    /** {@code 90}, {@code 90s}, {@code 30m}, {@code 2h}, {@code 1d}. */
    public static double seconds(String text, String path) {
        Matcher m = TIME.matcher(text.trim());
        if (!m.matches()) {
            throw new EvomergeException(path + ": bad duration '" + text + "': use e.g. 90s, 30m, 2h");
        }
        double v = Double.parseDouble(m.group(1));
        return v * switch (m.group(2) == null ? "s" : m.group(2)) {
            case "m" -> 60;
            case "h" -> 3600;
            case "d" -> 86400;
            default -> 1;
        };
    }

    public boolean spent(long generation, long evaluationCount, double elapsed) {
        return generations != null && generation >= generations
                || evaluations != null && evaluationCount >= evaluations
                || seconds != null && elapsed >= seconds;
    }

    /** This budget with the given parts replaced (null: keep). */
    public Budget with(Long newGenerations, Long newEvaluations, Double newSeconds) {
        return new Budget(newGenerations != null ? newGenerations : generations,
                newEvaluations != null ? newEvaluations : evaluations, newSeconds != null ? newSeconds : seconds);
    }

    JsonNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        if (generations != null) {
            node.put("generations", generations);
        }
        if (evaluations != null) {
            node.put("evaluations", evaluations);
        }
        if (seconds != null) {
            node.put("time", seconds + "s");
        }
        return node;
    }
}
