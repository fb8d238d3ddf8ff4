package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.TaskSpec;
import dev.evomerge.genome.Bounds;
import dev.evomerge.fitness.LlamaConfig;
import dev.evomerge.genome.GenomeSpace;
import dev.evomerge.genome.HybridSpace;
import dev.evomerge.genome.ParameterSpace;
import dev.evomerge.genome.RoutingSpace;
import dev.evomerge.merge.ParameterSetting;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.ComputeDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A merge search problem:
 * <pre>
 * problem:
 *   base: models/init                     # the common ancestor; task vectors are taken against it
 *   models: [models/low, models/high]     # the fine-tunes to merge
 *   genome:
 *     space: ps                           # ps: merge coefficients per model and layer group;
 *                                         # dfs: layer routing (Llama family); ps+dfs: a merge, then routing
 *     method: task_arithmetic             # ps: any merge method
 *     groups: 2                           # ps: layer groups
 *     search: {weight: [0.0, 1.5]}        # ps: searched parameters and their ranges
 *     fixed: {normalize: false}           # ps: parameters held fixed
 *     repeats: 2                          # dfs: how often the layers of all models may recur
 *     scales: [0.5, 2.0]                  # dfs: range of the hidden-state scales
 *   tasks: {low: fitness/tasks/digits-0-4.yaml, high: fitness/tasks/digits-5-9.yaml}
 *   objectives:
 *     - {name: accuracy_low, task: low}   # direction: maximize (default) or minimize; aggregate: mean
 *     - {name: accuracy_high, task: high}
 *   layer_pattern: '^blocks\.(\d+)\.'    # only for architectures not known by their tensor names
 * </pre>
 * Paths are relative to the working directory or, failing that, to the experiment file; they are stored
 * absolute, so a run resumes from anywhere.
 */
public record MergeProblemSpec(String space, Path base, List<Path> models, String method, int groups, Map<String, double[]> search,
                               Map<String, ParameterSetting> fixed, int repeats, double[] scales, Map<String, Path> tasks,
                               List<ObjectiveSpec> objectives, long seed, String layerPattern) implements ProblemSpec {
    static final Set<String> KEYS = Set.of("base", "models", "genome", "tasks", "objectives", "layer_pattern");
    private static final Set<String> GENOME = Set.of("space", "method", "groups", "search", "fixed", "repeats", "scales");
    private static final List<String> SPACES = List.of("ps", "dfs", "ps+dfs");
    private static final Set<String> OBJECTIVE = Set.of("name", "task", "direction", "aggregate");

    /** One objective: the mean of a task's datapoint scores, maximized unless said otherwise. */
    public record ObjectiveSpec(String name, String task, boolean maximize) {
    }

    public MergeProblemSpec {
        scales = scales.clone();
        models = List.copyOf(models);
        // ordered copies: the order of search gives the genome layout, the order of tasks the datapoint order
        search = ordered(search);
        fixed = ordered(fixed);
        tasks = ordered(tasks);
        objectives = List.copyOf(objectives);
    }

    private static <V> Map<String, V> ordered(Map<String, V> map) {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }

    /** Parses {@code node}, resolving paths, and rewrites them absolute in it. */
    static MergeProblemSpec parse(ObjectNode node, Path experimentDir, long seed) {
        ExperimentConfig.known(node, KEYS, "problem.");
        String space = node.path("genome").path("space").asText("ps");
        if (!SPACES.contains(space)) {
            throw new EvomergeException("problem.genome.space: '" + space + "'" + DidYouMean.suggest(space, SPACES));
        }
        Path base = null;
        if (node.has("base") || !space.equals("dfs")) {
            base = path(node.path("base"), "problem.base", experimentDir);
            node.put("base", base.toString());
        }
        if (!node.path("models").isArray() || node.get("models").isEmpty()) {
            throw new EvomergeException("problem.models must list the checkpoints to merge");
        }
        List<Path> models = new ArrayList<>();
        var absoluteModels = node.putArray("models.tmp");
        for (JsonNode m : node.get("models")) {
            Path p = path(m, "problem.models[]", experimentDir);
            models.add(p);
            absoluteModels.add(p.toString());
        }
        node.set("models", absoluteModels);
        node.remove("models.tmp");
        JsonNode genome = node.path("genome");
        if (!genome.isObject()) {
            throw new EvomergeException("problem.genome is required (space, method, groups, search)");
        }
        ExperimentConfig.known(genome, GENOME, "problem.genome.");
        boolean merges = !space.equals("dfs");
        String method = genome.path("method").asText(merges ? "" : "passthrough");
        dev.evomerge.merge.MergeMethod.named(method);
        int groups = genome.path("groups").asInt(1);
        int repeats = genome.path("repeats").asInt(1);
        double[] scales = {0.5, 2.0};
        if (genome.has("scales")) {
            JsonNode r = genome.get("scales");
            if (!r.isArray() || r.size() != 2 || !r.get(0).isNumber() || !r.get(1).isNumber()) {
                throw new EvomergeException("problem.genome.scales must be [lower, upper] with lower ≤ 1 ≤ upper");
            }
            scales = new double[] {r.get(0).asDouble(), r.get(1).asDouble()};
        }
        Map<String, double[]> search = new LinkedHashMap<>();
        if (merges && (!genome.path("search").isObject() || genome.get("search").isEmpty())) {
            throw new EvomergeException("problem.genome.search: give the searched parameters and ranges, e.g. {weight: [0, 1]}");
        }
        genome.path("search").fields().forEachRemaining(f -> {
            JsonNode r = f.getValue();
            if (!r.isArray() || r.size() != 2 || !r.get(0).isNumber() || !r.get(1).isNumber()) {
                throw new EvomergeException("problem.genome.search." + f.getKey() + " must be [lower, upper]");
            }
            search.put(f.getKey(), new double[] {r.get(0).asDouble(), r.get(1).asDouble()});
        });
        Map<String, ParameterSetting> fixed = new LinkedHashMap<>();
        genome.path("fixed").fields().forEachRemaining(f -> fixed.put(f.getKey(), ParameterSetting.parse(f.getValue(), "problem.genome.fixed." + f.getKey())));
        Map<String, Path> tasks = new LinkedHashMap<>();
        if (!node.path("tasks").isObject() || node.get("tasks").isEmpty()) {
            throw new EvomergeException("problem.tasks must name task files, e.g. {low: fitness/tasks/digits-0-4.yaml}");
        }
        ObjectNode absoluteTasks = node.objectNode();
        node.get("tasks").fields().forEachRemaining(f -> {
            Path p = path(f.getValue(), "problem.tasks." + f.getKey(), experimentDir);
            TaskSpec.read(p); // errors now, with the file's name, not after the models are loaded
            tasks.put(f.getKey(), p);
            absoluteTasks.put(f.getKey(), p.toString());
        });
        node.set("tasks", absoluteTasks);
        List<ObjectiveSpec> objectives = new ArrayList<>();
        if (!node.path("objectives").isArray() || node.get("objectives").isEmpty()) {
            throw new EvomergeException("problem.objectives must list at least one {name, task}");
        }
        for (JsonNode o : node.get("objectives")) {
            ExperimentConfig.known(o, OBJECTIVE, "problem.objectives[].");
            String task = o.path("task").asText("");
            if (!tasks.containsKey(task)) {
                throw new EvomergeException("problem.objectives[].task: unknown task '" + task + "'" + DidYouMean.suggest(task, tasks.keySet()));
            }
            String direction = o.path("direction").asText("maximize");
            if (!direction.equals("maximize") && !direction.equals("minimize")) {
                throw new EvomergeException("problem.objectives[].direction must be maximize or minimize, got '" + direction + "'");
            }
            if (!o.path("aggregate").asText("mean").equals("mean")) {
                throw new EvomergeException("problem.objectives[].aggregate: only mean is available");
            }
            objectives.add(new ObjectiveSpec(o.path("name").asText(task), task, direction.equals("maximize")));
        }
        String layerPattern = node.hasNonNull("layer_pattern") ? node.get("layer_pattern").asText() : null;
        MergeProblemSpec spec = new MergeProblemSpec(space, base, models, method, groups, search, fixed, repeats, scales, tasks,
                objectives, seed, layerPattern);
        spec.genomeSpace(); // checks the models and the genome against each other, cheaply (headers only)
        return spec;
    }

    private static Path path(JsonNode node, String key, Path experimentDir) {
        if (!node.isTextual() || node.asText().isBlank()) {
            throw new EvomergeException(key + " must be a path");
        }
        Path given = Path.of(node.asText());
        Path found = Files.exists(given) ? given : experimentDir != null && Files.exists(experimentDir.resolve(given)) ? experimentDir.resolve(given) : null;
        if (found == null) {
            throw new EvomergeException(key + ": '" + node.asText() + "' not found (relative paths are taken from the working directory or the experiment's folder)");
        }
        return found.toAbsolutePath().normalize();
    }

    /** The model references recipes use: the paths as written in the (absolute) spec. */
    List<String> references() {
        return models.stream().map(Path::toString).toList();
    }

    /** The checkpoint whose config, layers and tokenizer describe the candidates: the base, else the first model. */
    Path reference() {
        return base != null ? base : models.getFirst();
    }

    /** The genome space the strategy searches. */
    public GenomeSpace genomeSpace() {
        try (ModelCheckpoint b = open(reference())) {
            if (!space.equals("ps") && !LlamaConfig.describes(b.config())) {
                throw new EvomergeException("problem.genome.space: " + space + " routes layers of Llama-family models; "
                        + reference() + " is model_type '" + b.config().path("model_type").asText() + "'");
            }
            int layers = b.architecture().layerCount();
            ParameterSpace ps = null;
            if (!space.equals("dfs")) {
                List<String> prefixes = b.architecture().layerPrefixes(b.weights().names());
                List<ParameterSpace.Range> ranges = new ArrayList<>();
                search.forEach((name, r) -> ranges.add(new ParameterSpace.Range(name, r[0], r[1])));
                ps = new ParameterSpace(method, base.toString(), references(), prefixes, groups, ranges, fixed, seed, layerPattern);
            }
            return switch (space) {
                case "ps" -> ps;
                case "dfs" -> routing(models.size(), layers);
                default -> new HybridSpace(ps, routing(1 + models.size(), layers));
            };
        }
    }

    private RoutingSpace routing(int count, int layers) {
        try {
            return new RoutingSpace(count, layers, repeats, scales[0], scales[1]);
        } catch (IllegalArgumentException e) {
            throw new EvomergeException("problem.genome: " + e.getMessage());
        }
    }

    @Override
    public RunLayout layout() {
        List<String> taskLines = new ArrayList<>();
        tasks.forEach((name, file) -> taskLines.add(name + " " + file + " sha256=" + TaskSpec.read(file).digest(file)));
        List<String> objectiveLines = objectives.stream()
                .map(o -> o.name() + " task=" + o.task() + (o.maximize() ? " maximize" : " minimize")).toList();
        return new RunLayout(genomeSpace().genes(), taskLines, objectiveLines);
    }

    /** Opens one of this problem's checkpoints with its layer pattern. */
    ModelCheckpoint open(Path checkpoint) {
        return ModelCheckpoint.open(checkpoint, layerPattern);
    }

    @Override
    public Bounds bounds() {
        return genomeSpace().bounds();
    }

    @Override
    public int objectiveCount() {
        return objectives.size();
    }

    @Override
    public Problem open(String device) {
        return MergeProblem.open(this, ComputeDevice.of(device).resolve());
    }
}
