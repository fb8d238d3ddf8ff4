package dev.evomerge.experiment;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.ClassificationTask;
import dev.evomerge.fitness.MlpClassifier;
import dev.evomerge.fitness.Task;
import dev.evomerge.fitness.TaskSpec;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import dev.evomerge.genome.ParameterSpace;
import dev.evomerge.merge.Candidate;
import dev.evomerge.merge.MergeRecipe;
import dev.evomerge.merge.MergeSources;
import dev.evomerge.model.ModelCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A merge search's evaluation: decode the genome to a recipe, materialize the candidate in memory from the
 * resident task vectors, score it on every task, aggregate the objectives. Each candidate lives in its own
 * scope, closed as soon as it is scored, so memory does not grow over a run.
 */
final class MergeProblem implements Problem {
    private final MergeProblemSpec spec;
    private final ParameterSpace space;
    private final MergeSources sources;
    private final Map<String, Task> tasks;
    private final List<Objective> objectives;
    private final NDManager candidates;

    private MergeProblem(MergeProblemSpec spec, ParameterSpace space, MergeSources sources, Map<String, Task> tasks, Device device) {
        this.spec = spec;
        this.space = space;
        this.sources = sources;
        this.tasks = tasks;
        this.objectives = spec.objectives().stream().map(o -> new Objective(o.name(), o.maximize())).toList();
        this.candidates = NDManager.newBaseManager(device);
    }

    static MergeProblem open(MergeProblemSpec spec, Device device) {
        ParameterSpace space = spec.space();
        Map<String, ModelCheckpoint> opened = new LinkedHashMap<>();
        Map<String, Task> tasks = new LinkedHashMap<>();
        try {
            opened.put(spec.base().toString(), spec.open(spec.base()));
            for (Path m : spec.models()) {
                opened.putIfAbsent(m.toString(), spec.open(m));
            }
            for (var t : spec.tasks().entrySet()) {
                Task task = TaskSpec.read(t.getValue()).open(t.getKey(), device, spec.base());
                tasks.put(t.getKey(), task);
                if (task instanceof ClassificationTask c) {
                    MlpClassifier mlp = MlpClassifier.fromConfig(opened.get(spec.base().toString()).config());
                    for (int label : c.data().labels()) {
                        if (label < 0 || label >= mlp.classes()) {
                            throw new EvomergeException(t.getValue() + ": label " + label + " is outside the model's " + mlp.classes() + " classes");
                        }
                    }
                }
            }
            MergeSources sources = MergeSources.load(opened, spec.base().toString(), device);
            return new MergeProblem(spec, space, sources, tasks, device);
        } catch (RuntimeException e) {
            tasks.values().forEach(Task::close);
            opened.values().forEach(ModelCheckpoint::close);
            throw e;
        }
    }

    @Override
    public Bounds bounds() {
        return space.bounds();
    }

    @Override
    public List<Objective> objectives() {
        return objectives;
    }

    @Override
    public List<Evaluation> evaluate(List<Genome> genomes) {
        List<Evaluation> out = new ArrayList<>(genomes.size());
        for (Genome genome : genomes) {
            MergeRecipe recipe = space.recipe(genome);
            try (NDManager scope = candidates.newSubManager()) {
                out.add(score(sources.materialize(recipe, scope), scope, recipe));
            }
        }
        return out;
    }

    /** Each source alone (the base too), and the untuned merge: every searched parameter mid-range. */
    @Override
    public List<Reference> references() {
        List<Reference> out = new ArrayList<>();
        List<Path> sources = new ArrayList<>();
        sources.add(spec.base());
        sources.addAll(spec.models());
        for (Path source : sources) {
            try (ModelCheckpoint checkpoint = spec.open(source); NDManager scope = candidates.newSubManager()) {
                out.add(new Reference(source.getFileName().toString() + (source.equals(spec.base()) ? " (base)" : ""),
                        score(Candidate.load(checkpoint, scope), scope, null)));
            }
        }
        Bounds b = space.bounds();
        double[] middle = new double[b.dimension()];
        for (int i = 0; i < middle.length; i++) {
            middle[i] = (b.lower(i) + b.upper(i)) / 2;
        }
        out.add(new Reference("untuned " + spec.method(), evaluate(List.of(Genome.of(middle))).getFirst()));
        return out;
    }

    private Evaluation score(Candidate candidate, NDManager scope, MergeRecipe recipe) {
        Map<String, double[]> scores = new LinkedHashMap<>();
        tasks.forEach((name, task) -> scores.put(name, task.score(candidate, scope)));
        double[] values = new double[spec.objectives().size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = java.util.Arrays.stream(scores.get(spec.objectives().get(i).task())).average().orElse(Double.NaN);
        }
        return new Evaluation(values, scores, recipe == null ? null : recipe.toYaml());
    }

    @Override
    public void close() {
        candidates.close();
        tasks.values().forEach(Task::close);
        sources.close();
    }
}
