package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.archive.ParetoArchive;
import dev.evomerge.genome.Genome;
import dev.evomerge.tensor.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * A run's directory and the files in it other than the two logs and the checkpoint: {@code config.yaml}
 * (what resume reads), {@code layout.json} ({@link RunLayout}), {@code references.json},
 * {@code pareto.json} and {@code run.log}. Every whole-file write is atomic (temp, fsync, rename).
 */
public final class RunDirectory {
    public static final String CONFIG = "config.yaml";
    public static final String LOG = "evaluations.jsonl";
    public static final String PARETO = "pareto.json";
    public static final String RUN_LOG = "run.log";
    public static final String REFERENCES = "references.json";
    public static final String HELDOUT = "heldout.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    /** Whether this session made the directory (so a run failing before its first generation may delete it). */
    private final boolean made;

    private RunDirectory(Path path, boolean made) {
        this.path = path;
        this.made = made;
    }

    /** Makes {@code output/NAME/RUN_ID} (or {@code out}) with the experiment's config.yaml and layout.json; refuses a directory holding a run. */
    static RunDirectory create(ExperimentConfig config, Path out) {
        Path dir = out != null ? out : config.output().resolve(config.name()).resolve(
                DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now()) + "-seed" + config.seed());
        if (Files.exists(dir.resolve(Checkpoint.FILE))) {
            throw new EvomergeException(dir + " already holds a run; continue it with: ./run.sh resume " + dir);
        }
        RunDirectory run = new RunDirectory(dir, !Files.exists(dir));
        try {
            Files.createDirectories(dir);
            AtomicFiles.write(dir.resolve(CONFIG), config.toYaml());
            Files.deleteIfExists(dir.resolve(LOG));
        } catch (IOException e) {
            throw new EvomergeException(dir + ": cannot create the run directory: " + e.getMessage(), e);
        }
        try {
            config.problem().layout().write(dir);
        } catch (RuntimeException e) {
            run.discard();
            throw e;
        }
        return run;
    }

    /** An existing run's directory (one holding a config.yaml). */
    static RunDirectory open(Path dir) {
        if (!Files.isRegularFile(dir.resolve(CONFIG))) {
            throw new EvomergeException(dir + ": no " + CONFIG + "; not a run directory");
        }
        return new RunDirectory(dir, false);
    }

    /**
     * The run's experiment, {@code budget} and {@code workers} replacing what config.yaml says when given
     * (and written back); refuses an experiment whose layout is not the one the run recorded.
     */
    ExperimentConfig config(Budget budget, Workers workers) {
        ExperimentConfig config = ExperimentConfig.read(path.resolve(CONFIG));
        if (budget != null || workers != null) {
            config = budget == null ? config : config.withBudget(budget);
            config = workers == null ? config : config.withWorkers(workers);
            try {
                AtomicFiles.write(path.resolve(CONFIG), config.toYaml());
            } catch (IOException e) {
                throw new EvomergeException(path.resolve(CONFIG) + ": cannot write: " + e.getMessage(), e);
            }
        }
        RunLayout.check(path, config.problem().layout());
        return config;
    }

    public Path path() {
        return path;
    }

    Path file(String name) {
        return path.resolve(name);
    }

    /** Deletes the directory if this session made it: a run that fails before its first generation leaves nothing behind. */
    void discard() {
        if (!made) {
            return;
        }
        try {
            AtomicFiles.deleteTree(path);
        } catch (IOException ignored) {
            // the error being reported matters more
        }
    }

    /** references.json: the problem's comparison points with their held-out scores. */
    void writeReferences(List<Problem.Reference> references, List<Objective> objectives) {
        ArrayNode array = JSON.createArrayNode();
        try {
            for (Problem.Reference r : references) {
                ObjectNode node = (ObjectNode) JSON.readTree(new LoggedEvaluation(-1, -1, Genome.of(), r.evaluation(), false, false, 0).toJson(objectives));
                node.remove(List.of("n", "generation", "genome", "cached", "seconds"));
                node.put("label", r.label());
                if (r.heldout() != null) {
                    ObjectNode h = (ObjectNode) JSON.readTree(new LoggedEvaluation(-1, -1, Genome.of(), r.heldout(), false, false, 0).toJson(objectives));
                    h.remove(List.of("n", "generation", "genome", "cached", "seconds", "recipe"));
                    node.set("heldout", h);
                }
                array.add(node);
            }
            AtomicFiles.write(path.resolve(REFERENCES), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(array));
        } catch (IOException e) {
            throw new EvomergeException(path.resolve(REFERENCES) + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** pareto.json: the front in the archive's order, each point's logged evaluation and its held-out objectives where scored. */
    void writePareto(List<Objective> objectives, List<ParetoArchive.Entry> front, Map<Long, LoggedEvaluation> records,
                     Map<Long, Evaluation> heldout) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode names = root.putArray("objectives");
        objectives.forEach(o -> names.addObject().put("name", o.name()).put("direction", o.maximize() ? "maximize" : "minimize"));
        ArrayNode points = root.putArray("front");
        for (ParetoArchive.Entry entry : front) {
            ObjectNode point = (ObjectNode) JSON.readTree(records.get(entry.evaluation()).toJson(objectives));
            Evaluation held = heldout.get(entry.evaluation());
            if (held != null) {
                ObjectNode h = point.putObject("heldout");
                double[] values = held.objectives();
                for (int i = 0; i < objectives.size(); i++) {
                    h.put(objectives.get(i).name(), values[i]);
                }
            }
            points.add(point);
        }
        AtomicFiles.write(path.resolve(PARETO), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    /** A timestamped line in run.log. */
    void log(String line) {
        try {
            Files.writeString(path.resolve(RUN_LOG), Instant.now() + " " + line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new EvomergeException(path.resolve(RUN_LOG) + ": cannot write: " + e.getMessage(), e);
        }
    }
}
