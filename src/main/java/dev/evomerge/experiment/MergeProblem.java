package dev.evomerge.experiment;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.ClassificationTask;
import dev.evomerge.fitness.MlpClassifier;
import dev.evomerge.fitness.Task;
import dev.evomerge.fitness.TaskSpec;
import dev.evomerge.genome.Blueprint;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import dev.evomerge.genome.GenomeSpace;
import dev.evomerge.merge.Candidate;
import dev.evomerge.merge.LayerProgramFold;
import dev.evomerge.merge.MergePlan;
import dev.evomerge.merge.MergeSources;
import dev.evomerge.model.ModelCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A merge search's evaluation: decode the genome to a blueprint; materialize its merge in memory from the
 * resident sources (parameter space), fold its routing over the sources into a plain model (data-flow
 * space), or both; score the candidate on every task; aggregate the objectives. A candidate is scored as the
 * checkpoint {@link Export} writes for it: merged tensors rounded to the dtype they are written in, a
 * routing folded as the export folds it. Each candidate lives in its own scope, closed as soon as it is
 * scored, so memory does not grow over a run.
 */
final class MergeProblem implements Problem {
    private final MergeProblemSpec spec;
    private final GenomeSpace space;
    private final MergeSources sources;
    /** The sources a routing reads (data-flow spaces): their tensors as stored, in f32, and their layouts. */
    private final List<Map<String, NDArray>> routed;
    private final List<LayerProgramFold.Model> routedLayouts;
    private final ModelCheckpoint reference;
    private final List<ModelCheckpoint> opened;
    private final NDManager resident;
    private final TaskSuite tasks;
    private final TaskSuite heldout;
    private final List<Objective> objectives;
    private final NDManager candidates;
    /** Time spent merging candidates (materializing them), for benchmarks. */
    private final java.util.concurrent.atomic.AtomicLong mergeNanos = new java.util.concurrent.atomic.AtomicLong();

    private MergeProblem(MergeProblemSpec spec, GenomeSpace space, MergeSources sources, List<Map<String, NDArray>> routed,
                         List<LayerProgramFold.Model> routedLayouts, ModelCheckpoint reference, List<ModelCheckpoint> opened,
                         NDManager resident, TaskSuite tasks, TaskSuite heldout, Device device) {
        this.opened = List.copyOf(opened);
        this.spec = spec;
        this.space = space;
        this.sources = sources;
        this.routed = List.copyOf(routed);
        this.routedLayouts = List.copyOf(routedLayouts);
        this.reference = reference;
        this.resident = resident;
        this.tasks = tasks;
        this.heldout = heldout;
        this.objectives = spec.objectives().stream().map(o -> new Objective(o.name(), o.maximize())).toList();
        this.candidates = NDManager.newBaseManager(device);
    }

    static MergeProblem open(MergeProblemSpec spec, Device device) {
        GenomeSpace space = spec.genomeSpace();
        Map<String, ModelCheckpoint> opened = new LinkedHashMap<>();
        NDManager resident = NDManager.newBaseManager(device);
        TaskSuite tasks = null;
        TaskSuite heldout = null;
        try {
            if (spec.base() != null) {
                opened.put(spec.base().toString(), spec.open(spec.base()));
            }
            for (Path m : spec.models()) {
                opened.putIfAbsent(m.toString(), spec.open(m));
            }
            ModelCheckpoint reference = opened.get(spec.reference().toString());
            tasks = TaskSuite.open(spec, device, reference.config());
            heldout = TaskSuite.openHeldout(spec, device, reference.config());
            // routing reads every source whole (as stored); merging reads them through MergeSources
            List<Map<String, NDArray>> routed = new ArrayList<>();
            List<LayerProgramFold.Model> routedLayouts = new ArrayList<>();
            if (!spec.space().equals("ps")) {
                for (Path m : spec.models()) {
                    ModelCheckpoint source = opened.get(m.toString());
                    routed.add(Candidate.load(source, resident).tensors());
                    routedLayouts.add(new LayerProgramFold.Model(source.weights().tensors(), source.architecture(), source.config()));
                }
            }
            resident.cap();
            MergeSources sources = spec.space().equals("dfs") ? null : MergeSources.load(opened, spec.base().toString(), device);
            return new MergeProblem(spec, space, sources, routed, routedLayouts, reference, new ArrayList<>(opened.values()), resident, tasks, heldout, device);
        } catch (RuntimeException e) {
            if (tasks != null) {
                tasks.close();
            }
            if (heldout != null) {
                heldout.close();
            }
            opened.values().forEach(ModelCheckpoint::close);
            resident.close();
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
        return evaluate(genomes, tasks, null);
    }

    @Override
    public List<Evaluation> evaluate(List<Genome> genomes, Screen screen) {
        return evaluate(genomes, tasks, screen);
    }

    @Override
    public List<Evaluation> evaluateHeldout(List<Genome> genomes) {
        return heldout == null ? null : evaluate(genomes, heldout, null);
    }

    @Override
    public boolean higherIsBetter(String task) {
        return tasks.higherIsBetter(task);
    }

    private List<Evaluation> evaluate(List<Genome> genomes, TaskSuite suite, Screen screen) {
        List<Evaluation> out = new ArrayList<>(genomes.size());
        for (Genome genome : genomes) {
            Blueprint blueprint = space.decode(genome);
            try (NDManager scope = candidates.newSubManager()) {
                out.add(suite.score(candidate(blueprint, scope), scope, blueprint.toYaml(), screen));
            }
        }
        return out;
    }

    /**
     * The blueprint built as it will be exported: merged in {@code scope}; a routing folded into a plain model
     * over the merge (model 0, with ps+dfs) and the resident sources, divided tensors made in {@code scope}.
     */
    private Candidate candidate(Blueprint blueprint, NDManager scope) {
        if (blueprint.program() == null) {
            long start = System.nanoTime();
            Candidate merged = sources.materialize(blueprint.recipe(), scope);
            mergeNanos.addAndGet(System.nanoTime() - start);
            return merged;
        }
        List<Map<String, NDArray>> models = new ArrayList<>();
        List<LayerProgramFold.Model> layouts = new ArrayList<>();
        if (blueprint.recipe() != null) {
            Candidate merged = sources.materialize(blueprint.recipe(), scope);
            models.add(merged.tensors());
            // the dtypes the merge is written in, which the fold divides and rounds to
            layouts.add(new LayerProgramFold.Model(MergePlan.of(blueprint.recipe(), sources.checkpoints()).outputs(),
                    merged.architecture(), merged.config()));
        }
        models.addAll(routed);
        layouts.addAll(routedLayouts);
        return LayerProgramFold.of(layouts, blueprint.program()).candidate(models, scope);
    }

    /** Each source alone (the base too), and for merges the untuned merge: every searched value mid-range. */
    @Override
    public List<Reference> references() {
        List<Reference> out = new ArrayList<>();
        List<Path> all = new ArrayList<>();
        if (spec.base() != null) {
            all.add(spec.base());
        }
        all.addAll(spec.models());
        for (Path source : all) {
            try (ModelCheckpoint checkpoint = spec.open(source); NDManager scope = candidates.newSubManager()) {
                Candidate candidate = Candidate.load(checkpoint, scope);
                out.add(new Reference(source.getFileName().toString() + (source.equals(spec.base()) ? " (base)" : ""),
                        tasks.score(candidate, scope, null, null), heldout == null ? null : heldout.score(candidate, scope, null, null)));
            }
        }
        if (spec.space().equals("ps")) {
            Bounds b = space.bounds();
            double[] middle = new double[b.dimension()];
            for (int i = 0; i < middle.length; i++) {
                middle[i] = (b.lower(i) + b.upper(i)) / 2;
            }
            List<Genome> untuned = List.of(Genome.of(middle));
            List<Evaluation> held = evaluateHeldout(untuned);
            out.add(new Reference("untuned " + spec.method(), evaluate(untuned).getFirst(), held == null ? null : held.getFirst()));
        }
        return out;
    }

    /** The embedding tasks' time by step (null without embedding tasks). */
    dev.evomerge.fitness.OnnxEmbedder.Timings embeddingTimings() {
        return tasks.embeddingTimings();
    }

    /** Nanoseconds spent merging candidates so far. */
    long mergeNanos() {
        return mergeNanos.get();
    }

    @Override
    public void close() {
        candidates.close();
        tasks.close();
        if (heldout != null) {
            heldout.close();
        }
        resident.close();
        if (sources != null) {
            sources.close(); // closes the checkpoints it was given
        } else {
            opened.forEach(ModelCheckpoint::close);
        }
    }
}
