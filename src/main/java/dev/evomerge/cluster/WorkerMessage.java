package dev.evomerge.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.experiment.Objective;
import dev.evomerge.experiment.ParetoFinish;
import dev.evomerge.experiment.Problem;
import dev.evomerge.experiment.Racing;
import dev.evomerge.genome.Genome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a driver and a worker say to each other, as JSON text (signed by {@link SharedSecret} on the way):
 * plain values only, so nothing but strings and bytes is ever deserialized from the network. The driver
 * greets a member ({@link Hello}) and gives work only to one that answers under the secret ({@link Welcome});
 * then it sends candidates ({@link Candidate}) and gets evaluations back ({@link Evaluated}).
 */
sealed interface WorkerMessage {
    /** Thread-safe; package-private with the interface. */
    ObjectMapper JSON = new ObjectMapper();

    /** Driver to worker: prove that you hold the secret, by answering this nonce. */
    record Hello(String nonce, String from) implements WorkerMessage {
    }

    /** Worker to driver: the nonce answered, and the device the worker evaluates on. */
    record Welcome(String nonce, String device) implements WorkerMessage {
    }

    /**
     * Driver to worker: evaluate {@code genome} in {@code experiment} (the experiment's YAML, model paths
     * absolute; the worker opens its problem once and keeps it while the text stays the same), under racing's
     * screen when {@code racing} is not null: the sample seeded from {@code seed}, finished unless the oriented
     * {@code front} beats it by more than the margin.
     *
     * @param id   unique in the driver's session; the answer must carry it
     * @param from the driver's address, for the worker's log
     */
    record Candidate(String id, String from, String experiment, Genome genome, Racing racing, long seed, List<double[]> front)
            implements WorkerMessage {
        public Candidate {
            front = front.stream().map(double[]::clone).toList();
        }

        /** The message for {@code genome} under {@code screen} (null: no racing). */
        public static Candidate of(String id, String from, String experiment, Genome genome, Problem.Screen screen) {
            if (screen == null) {
                return new Candidate(id, from, experiment, genome, null, 0, List.of());
            }
            if (!(screen.finish() instanceof ParetoFinish finish)) {
                throw new IllegalArgumentException("a cluster worker can rebuild only racing's Pareto screen, not " + screen.finish());
            }
            return new Candidate(id, from, experiment, genome, screen.racing(), screen.seed(), finish.front());
        }

        /** The screen the driver built, rebuilt for a problem with these {@code objectives}; null without racing. */
        public Problem.Screen screen(List<Objective> objectives) {
            return racing == null ? null : new Problem.Screen(racing, seed, new ParetoFinish(objectives, front, racing.margin()));
        }

        @Override
        public List<double[]> front() {
            return front.stream().map(double[]::clone).toList();
        }
    }

    /**
     * Worker to driver: the candidate's evaluation as a line of evaluations.jsonl ({@link
     * dev.evomerge.experiment.LoggedEvaluation}), or why it failed ({@code userError}: something the user can fix,
     * such as a model path this worker cannot read).
     */
    record Evaluated(String id, String evaluation, String error, boolean userError) implements WorkerMessage {
        public static Evaluated of(String id, String evaluation) {
            return new Evaluated(id, evaluation, null, false);
        }

        public static Evaluated failed(String id, String error, boolean userError) {
            return new Evaluated(id, null, error, userError);
        }
    }

    default byte[] toBytes() {
        ObjectNode node = JSON.createObjectNode();
        switch (this) {
            case Hello h -> node.put("kind", "hello").put("nonce", h.nonce()).put("from", h.from());
            case Welcome w -> node.put("kind", "welcome").put("nonce", w.nonce()).put("device", w.device());
            case Candidate c -> {
                node.put("kind", "candidate").put("id", c.id()).put("from", c.from()).put("experiment", c.experiment());
                ArrayNode genome = node.putArray("genome");
                for (double v : c.genome().toArray()) {
                    genome.add(v);
                }
                if (c.racing() != null) {
                    ObjectNode screen = node.putObject("screen");
                    screen.put("fraction", c.racing().fraction()).put("margin", c.racing().margin()).put("seed", c.seed());
                    ArrayNode front = screen.putArray("front");
                    for (double[] point : c.front) {
                        ArrayNode p = front.addArray();
                        for (double v : point) {
                            p.add(v);
                        }
                    }
                }
            }
            case Evaluated e -> {
                node.put("kind", "evaluated").put("id", e.id());
                if (e.evaluation() != null) {
                    node.put("evaluation", e.evaluation());
                } else {
                    node.put("error", e.error()).put("user_error", e.userError());
                }
            }
        }
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Reads a message; {@link IllegalArgumentException} for anything else (only verified bytes come here). */
    static WorkerMessage parse(byte[] bytes) {
        try {
            JsonNode node = JSON.readTree(bytes);
            String kind = text(node, "kind");
            return switch (kind) {
                case "hello" -> new Hello(text(node, "nonce"), text(node, "from"));
                case "welcome" -> new Welcome(text(node, "nonce"), text(node, "device"));
                case "candidate" -> {
                    JsonNode screen = node.get("screen");
                    Racing racing = null;
                    long seed = 0;
                    List<double[]> front = new ArrayList<>();
                    if (screen != null) {
                        racing = new Racing(screen.get("fraction").asDouble(), screen.get("margin").asDouble());
                        seed = screen.get("seed").asLong();
                        screen.get("front").forEach(p -> front.add(doubles(p)));
                    }
                    yield new Candidate(text(node, "id"), text(node, "from"), text(node, "experiment"), Genome.of(doubles(node.get("genome"))),
                            racing, seed, front);
                }
                case "evaluated" -> node.hasNonNull("evaluation") ? Evaluated.of(text(node, "id"), text(node, "evaluation"))
                        : Evaluated.failed(text(node, "id"), text(node, "error"), node.path("user_error").asBoolean());
                default -> throw new IllegalArgumentException("unknown message kind '" + kind + "'");
            };
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a worker message: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("no text '" + key + "'");
        }
        return v.asText();
    }

    private static double[] doubles(JsonNode array) {
        double[] v = new double[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = array.get(i).asDouble();
        }
        return v;
    }
}
