package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.genome.Genome;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of {@code evaluations.jsonl}: the evaluation's number in the run, its generation, the genome,
 * what the problem said of it, whether it came from the cache, whether racing stopped it after a subset
 * of the datapoints (its scores are then those of the subset, and it is kept out of the archive), and how
 * long it took.
 */
public record LoggedEvaluation(long number, long generation, Genome genome, Evaluation evaluation, boolean cached, boolean raced,
                               double seconds) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public String toJson(List<Objective> objectives) {
        ObjectNode node = JSON.createObjectNode();
        node.put("n", number);
        node.put("generation", generation);
        ArrayNode g = node.putArray("genome");
        for (int i = 0; i < genome.size(); i++) {
            g.add(genome.get(i));
        }
        ObjectNode o = node.putObject("objectives");
        double[] values = evaluation.objectives();
        for (int i = 0; i < objectives.size(); i++) {
            o.put(objectives.get(i).name(), values[i]);
        }
        if (!evaluation.scores().isEmpty()) {
            ObjectNode scores = node.putObject("scores");
            evaluation.scores().forEach((task, v) -> {
                ArrayNode a = scores.putArray(task);
                for (double x : v) {
                    a.add(x);
                }
            });
        }
        if (evaluation.description() != null) {
            node.put("recipe", evaluation.description());
        }
        node.put("cached", cached);
        if (raced) {
            node.put("raced", true);
        }
        node.put("seconds", seconds);
        return node.toString();
    }

    /** The objectives, datapoint scores and recipe of a logged line (or of a reference's node). */
    static Evaluation evaluation(JsonNode node, List<Objective> objectives) {
        double[] values = new double[objectives.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = node.get("objectives").get(objectives.get(i).name()).asDouble();
        }
        Map<String, double[]> scores = new LinkedHashMap<>();
        node.path("scores").fields().forEachRemaining(f -> {
            double[] v = new double[f.getValue().size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = f.getValue().get(i).asDouble();
            }
            scores.put(f.getKey(), v);
        });
        return new Evaluation(values, scores, node.hasNonNull("recipe") ? node.get("recipe").asText() : null);
    }

    public static LoggedEvaluation parse(String line, List<Objective> objectives) {
        try {
            JsonNode node = JSON.readTree(line);
            double[] genome = new double[node.get("genome").size()];
            for (int i = 0; i < genome.length; i++) {
                genome[i] = node.get("genome").get(i).asDouble();
            }
            Evaluation e = evaluation(node, objectives);
            boolean raced = node.path("raced").asBoolean(false);
            return new LoggedEvaluation(node.get("n").asLong(), node.get("generation").asLong(), Genome.of(genome),
                    new Evaluation(e.objectives(), e.scores(), e.description(), raced), node.get("cached").asBoolean(), raced,
                    node.get("seconds").asDouble());
        } catch (Exception e) {
            String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new dev.evomerge.EvomergeException("evaluations.jsonl: unreadable line (" + why + "): the run directory is damaged");
        }
    }
}
