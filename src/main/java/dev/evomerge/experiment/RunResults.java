package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.EvomergeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run directory read back: its experiment, its Pareto front (as {@code front} lists it), the
 * hypervolume per generation and, on demand, every evaluation. What export, plots and reports work from.
 */
public record RunResults(Path runDir, ExperimentConfig config, List<Objective> objectives, List<LoggedEvaluation> front,
                         List<Double> hypervolume) {
    public RunResults {
        front = List.copyOf(front);
        hypervolume = List.copyOf(hypervolume);
        objectives = List.copyOf(objectives);
    }

    public static RunResults read(Path runDir) {
        if (!Files.isRegularFile(runDir.resolve(RunDirectory.CONFIG)) || !Files.isRegularFile(runDir.resolve(RunDirectory.PARETO))) {
            throw new EvomergeException(runDir + ": not a run directory with results (config.yaml and pareto.json; has a generation finished?)");
        }
        ExperimentConfig config = ExperimentConfig.read(runDir.resolve(RunDirectory.CONFIG));
        List<Objective> objectives = new ArrayList<>();
        List<LoggedEvaluation> front = new ArrayList<>();
        try {
            JsonNode pareto = new ObjectMapper().readTree(runDir.resolve(RunDirectory.PARETO).toFile());
            for (JsonNode o : pareto.get("objectives")) {
                objectives.add(new Objective(o.get("name").asText(), o.get("direction").asText().equals("maximize")));
            }
            for (JsonNode e : pareto.get("front")) {
                front.add(LoggedEvaluation.parse(e.toString(), objectives));
            }
        } catch (IOException | RuntimeException e) {
            throw new EvomergeException(runDir.resolve(RunDirectory.PARETO) + ": unreadable (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
        return new RunResults(runDir, config, objectives, front, Checkpoint.read(runDir).hypervolume());
    }

    /** The comparison points evaluated when the run started (sources, untuned merge); empty if none. */
    public List<Problem.Reference> references() {
        Path file = runDir.resolve(RunDirectory.REFERENCES);
        List<Problem.Reference> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        try {
            for (JsonNode r : new ObjectMapper().readTree(file.toFile())) {
                out.add(new Problem.Reference(r.get("label").asText(), LoggedEvaluation.evaluation(r, objectives),
                        r.has("heldout") ? LoggedEvaluation.evaluation(r.get("heldout"), objectives) : null));
            }
        } catch (IOException | RuntimeException e) {
            throw new EvomergeException(file + ": unreadable (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
        return out;
    }

    /**
     * The held-out evaluations of front points (heldout.jsonl), by evaluation number; empty when the run's
     * tasks have no held-out split.
     */
    public Map<Long, Evaluation> heldout() {
        Map<Long, Evaluation> out = new LinkedHashMap<>();
        for (String line : JsonLines.read(runDir.resolve(RunDirectory.HELDOUT))) {
            LoggedEvaluation e = LoggedEvaluation.parse(line, objectives);
            out.put(e.number(), e.evaluation());
        }
        return out;
    }

    /** Every evaluation of the run, in order. */
    public List<LoggedEvaluation> evaluations() {
        List<LoggedEvaluation> all = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(runDir.resolve(RunDirectory.LOG), StandardCharsets.UTF_8)) {
            for (String line; (line = reader.readLine()) != null; ) {
                all.add(LoggedEvaluation.parse(line, objectives));
            }
        } catch (IOException e) {
            throw new EvomergeException(runDir.resolve(RunDirectory.LOG) + ": cannot read: " + e.getMessage(), e);
        }
        return all;
    }

    /** The front point chosen by {@code pick}: see {@link FrontPick}. */
    public LoggedEvaluation pick(String pick) {
        return FrontPick.parse(pick, objectives).choose(front, objectives);
    }
}
