package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import dev.evomerge.search.Strategies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;

/**
 * An experiment file ({@code experiments/NAME.yaml}), validated: every unknown key and bad value is
 * refused with its path ({@code strategy.population}) and, for names, the closest known one.
 *
 * <pre>
 * name: zdt1-nsga2
 * seed: 1
 * problem: {benchmark: zdt1, dimension: 30}      # or a merge problem: see MergeProblemSpec
 * strategy: {name: nsga2, population: 40}       # the rest of the mapping: the strategy's hyperparameters
 * budget: {generations: 100, evaluations: 4000, time: 2h}   # whichever comes first
 * reference: [1.1, 1.1]                          # hypervolume reference, in objective units (optional)
 * racing: {fraction: 0.25, margin: 0.02}         # score on a quarter of the data first (optional)
 * workers: {local: 2}                           # evaluate 2 candidates at once (see Workers; optional)
 *                                                #   or {cluster: {members: [10.0.0.5:5701]}}: worker processes (ClusterSettings)
 * device: cpu
 * output: results
 * </pre>
 *
 * @param tree the validated YAML, written into the run directory as config.yaml (what resume reads)
 */
public record ExperimentConfig(String name, long seed, ProblemSpec problem, String strategy,
                               JsonNode hyperparameters, Budget budget, double[] reference, String device, Path output,
                               Racing racing, Workers workers, JsonNode tree) {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Set<String> TOP = Set.of("name", "seed", "problem", "strategy", "budget", "reference", "device", "output", "racing", "workers");
    private static final Set<String> PROBLEM = Set.of("benchmark", "dimension");

    public ExperimentConfig {
        tree = tree.deepCopy();
        reference = reference == null ? null : reference.clone();
    }

    public static ExperimentConfig read(Path file) {
        try {
            return parse(Files.readString(file), file.toString(), file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    public static ExperimentConfig parse(String yaml, String source) {
        return parse(yaml, source, null);
    }

    /** Parses experiment YAML; relative paths in it are looked up in the working directory, then {@code directory}. */
    public static ExperimentConfig parse(String yaml, String source, Path directory) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new EvomergeException(source + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw new EvomergeException(source + ": an experiment is a YAML mapping (name, problem, strategy, budget, …)");
        }
        try {
            return of((ObjectNode) root, directory);
        } catch (EvomergeException e) {
            throw new EvomergeException(source + ": " + e.getMessage(), e);
        }
    }

    private static ExperimentConfig of(ObjectNode root, Path directory) {
        if (root.has("strategies") && !root.has("strategy")) {
            throw new EvomergeException("a comparison of strategies (strategies:), not one search: run it with ./run.sh reproduce");
        }
        known(root, TOP, "");
        String name = text(root, "name");
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new EvomergeException("name: '" + name + "' must be letters, digits, '.', '_' or '-' (it names the results folder)");
        }
        long seed = root.has("seed") ? integral(root.get("seed"), "seed") : 0;
        ObjectNode problemNode = (ObjectNode) object(root, "problem");
        ProblemSpec problem;
        if (problemNode.has("benchmark")) {
            known(problemNode, PROBLEM, "problem.");
            int dimension = problemNode.has("dimension") ? (int) integral(problemNode.get("dimension"), "problem.dimension") : 10;
            problem = new BenchmarkProblem(text(problemNode, "benchmark", "problem.benchmark"), dimension);
        } else {
            problem = MergeProblemSpec.parse(problemNode, directory, seed);
        }
        JsonNode strategyNode = object(root, "strategy");
        String strategy = text(strategyNode, "name", "strategy.name");
        if (!Strategies.NAMES.contains(strategy)) {
            throw new EvomergeException("strategy.name: unknown strategy '" + strategy + "'" + DidYouMean.suggest(strategy, Strategies.NAMES));
        }
        ObjectNode hyper = ((ObjectNode) strategyNode).deepCopy();
        hyper.remove("name");
        Budget budget = Budget.parse(root.path("budget"));
        double[] reference = null;
        if (root.has("reference")) {
            JsonNode r = root.get("reference");
            if (!r.isArray() || r.isEmpty()) {
                throw new EvomergeException("reference must be a list of numbers, one per objective");
            }
            reference = new double[r.size()];
            for (int i = 0; i < r.size(); i++) {
                if (!r.get(i).isNumber()) {
                    throw new EvomergeException("reference[" + i + "] must be a number, got " + r.get(i));
                }
                reference[i] = r.get(i).asDouble();
            }
        }
        String device = root.has("device") ? root.get("device").asText() : "cpu";
        dev.evomerge.tensor.ComputeDevice.of(device);
        Path output = Path.of(root.has("output") ? root.get("output").asText() : "results");
        // build the strategy once now, so that bad hyperparameters fail before a run directory is made
        Strategies.create(strategy, hyper, problem.bounds(), problem.objectiveCount());
        if (reference != null && reference.length != problem.objectiveCount()) {
            throw new EvomergeException("reference has " + reference.length + " values for " + problem.objectiveCount() + " objectives");
        }
        Racing racing = root.has("racing") ? Racing.parse(root.get("racing")) : null;
        Workers workers = root.has("workers") ? Workers.parse(root.get("workers")) : Workers.ONE;
        return new ExperimentConfig(name, seed, problem, strategy, hyper, budget, reference, device, output, racing, workers, root);
    }

    /** The same experiment with another seed (and its tree updated, so config.yaml says so). */
    public ExperimentConfig withSeed(long newSeed) {
        ObjectNode t = tree.deepCopy();
        t.put("seed", newSeed);
        ProblemSpec p = problem instanceof MergeProblemSpec m ? new MergeProblemSpec(m.space(), m.base(), m.models(), m.method(), m.groups(),
                m.search(), m.fixed(), m.repeats(), m.scales(), m.tasks(), m.objectives(), newSeed, m.layerPattern()) : problem;
        return new ExperimentConfig(name, newSeed, p, strategy, hyperparameters, budget, reference, device, output, racing, workers, t);
    }

    /** The same experiment writing its runs under {@code newOutput}. */
    public ExperimentConfig withOutput(Path newOutput) {
        ObjectNode t = tree.deepCopy();
        t.put("output", newOutput.toString());
        return new ExperimentConfig(name, seed, problem, strategy, hyperparameters, budget, reference, device, newOutput, racing, workers, t);
    }

    /** The same experiment searched by another strategy; bad names and hyperparameters are refused here, before any run. */
    public ExperimentConfig withStrategy(String newStrategy, JsonNode newHyperparameters) {
        if (!Strategies.NAMES.contains(newStrategy)) {
            throw new EvomergeException("unknown strategy '" + newStrategy + "'" + DidYouMean.suggest(newStrategy, Strategies.NAMES));
        }
        ObjectNode hyper = newHyperparameters == null ? YAML.createObjectNode() : newHyperparameters.deepCopy();
        Strategies.create(newStrategy, hyper, problem.bounds(), problem.objectiveCount());
        ObjectNode t = tree.deepCopy();
        ObjectNode s = t.putObject("strategy");
        s.put("name", newStrategy);
        s.setAll(hyper);
        return new ExperimentConfig(name, seed, problem, newStrategy, hyper, budget, reference, device, output, racing, workers, t);
    }

    /** The same experiment evaluated by {@code newWorkers} (results do not depend on them). */
    public ExperimentConfig withWorkers(Workers newWorkers) {
        ObjectNode t = tree.deepCopy();
        ObjectNode w = t.putObject("workers");
        if (newWorkers.cluster() != null) {
            w.set("cluster", newWorkers.cluster().toJson());
        } else {
            w.put("local", newWorkers.local());
            if (!newWorkers.devices().isEmpty()) {
                newWorkers.devices().forEach(w.putArray("devices")::add);
            }
        }
        return new ExperimentConfig(name, seed, problem, strategy, hyperparameters, budget, reference, device, output, racing, newWorkers, t);
    }

    public ExperimentConfig withBudget(Budget newBudget) {
        ObjectNode t = tree.deepCopy();
        t.set("budget", newBudget.toJson());
        return new ExperimentConfig(name, seed, problem, strategy, hyperparameters, newBudget, reference, device, output, racing, workers, t);
    }

    public String toYaml() {
        try {
            return YAML.writeValueAsString(tree);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- strict reading

    static void known(JsonNode node, Set<String> keys, String prefix) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) {
                throw new EvomergeException(prefix + k + ": unknown key" + DidYouMean.suggest(k, keys));
            }
        }
    }

    private static String text(JsonNode node, String key) {
        return text(node, key, key);
    }

    private static String text(JsonNode node, String key, String path) {
        JsonNode v = node.get(key);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new EvomergeException(path + " is required (a text)");
        }
        return v.asText();
    }

    private static JsonNode object(JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || !v.isObject()) {
            throw new EvomergeException(key + " is required (a mapping)");
        }
        return v;
    }

    static long integral(JsonNode v, String path) {
        if (!v.isIntegralNumber()) {
            throw new EvomergeException(path + " must be an integer, got " + v);
        }
        return v.asLong();
    }
}
