package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.tensor.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a run needs to continue exactly where it was, written atomically after every generation. The
 * archive and the evaluation cache are not in it: they are rebuilt from the first {@code logLines} lines
 * of evaluations.jsonl (the log is the record; the checkpoint says how much of it counts).
 *
 * @param generation     completed generations (the next ask is step {@code generation})
 * @param evaluated      fresh evaluations so far (the budget counts these; cached repeats cost nothing)
 * @param logLines       lines of evaluations.jsonl that belong to the checkpointed state
 * @param logBytes       their length in bytes (a resumed run truncates the log to it)
 * @param heldoutLines   lines of heldout.jsonl (held-out scores of front points) that belong to it
 * @param heldoutBytes   their length in bytes
 * @param elapsed        seconds of running so far, over every session of the run
 * @param reference      the oriented hypervolume reference point, or null before the first generation
 * @param hypervolume    per generation
 */
public record Checkpoint(int version, String strategy, JsonNode strategyState, long generation, long evaluated, long logLines,
                         long logBytes, long heldoutLines, long heldoutBytes, double elapsed, double[] reference, List<Double> hypervolume) {
    public static final String FILE = "checkpoint.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public Checkpoint {
        hypervolume = List.copyOf(hypervolume);
        reference = reference == null ? null : reference.clone();
    }

    public void write(Path runDir) {
        ObjectNode node = JSON.createObjectNode();
        node.put("version", version);
        node.put("strategy", strategy);
        node.set("strategy_state", strategyState);
        node.put("generation", generation);
        node.put("evaluated", evaluated);
        node.put("log_lines", logLines);
        node.put("log_bytes", logBytes);
        node.put("heldout_lines", heldoutLines);
        node.put("heldout_bytes", heldoutBytes);
        node.put("elapsed_seconds", elapsed);
        if (reference != null) {
            ArrayNode r = node.putArray("reference");
            for (double v : reference) {
                r.add(v);
            }
        }
        ArrayNode hv = node.putArray("hypervolume");
        hypervolume.forEach(hv::add);
        try {
            AtomicFiles.write(runDir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
        } catch (IOException e) {
            throw new EvomergeException(runDir.resolve(FILE) + ": cannot write: " + e.getMessage(), e);
        }
    }

    public static Checkpoint read(Path runDir) {
        Path file = runDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new EvomergeException(runDir + ": no " + FILE + " (not a run directory, or the run never started)");
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            double[] reference = null;
            if (n.has("reference")) {
                reference = new double[n.get("reference").size()];
                for (int i = 0; i < reference.length; i++) {
                    reference[i] = n.get("reference").get(i).asDouble();
                }
            }
            List<Double> hv = new ArrayList<>();
            n.get("hypervolume").forEach(v -> hv.add(v.asDouble()));
            if (n.get("version").asInt() != 1) {
                throw new EvomergeException(file + ": checkpoint version " + n.get("version").asInt() + " is not one this evomerge reads");
            }
            return new Checkpoint(1, n.get("strategy").asText(), n.get("strategy_state"), n.get("generation").asLong(),
                    n.get("evaluated").asLong(), n.get("log_lines").asLong(), n.get("log_bytes").asLong(),
                    n.path("heldout_lines").asLong(0), n.path("heldout_bytes").asLong(0),
                    n.get("elapsed_seconds").asDouble(), reference, hv);
        } catch (IOException | NullPointerException e) {
            String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new EvomergeException(file + ": corrupt checkpoint (" + why + "); the run cannot be resumed from it");
        }
    }
}
