package dev.evomerge.experiment;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.ClassificationTask;
import dev.evomerge.fitness.MlpClassifier;
import dev.evomerge.fitness.OnnxEmbedder;
import dev.evomerge.fitness.Task;
import dev.evomerge.fitness.TaskSpec;
import dev.evomerge.merge.Candidate;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A merge problem's tasks, opened once, in the experiment's order, on one split (the search's, or the
 * held-out one), and how a candidate is scored on them: every task's datapoint scores, then each
 * objective as the mean of its task's. With racing, a candidate is scored on each task's sample first and
 * on the rest only if the screen lets it finish; the search, a resumed run and an export all score this
 * way, so a finished candidate's scores do not depend on where it was scored.
 */
final class TaskSuite implements AutoCloseable {
    private final MergeProblemSpec spec;
    private final Map<String, Task> tasks;
    /** The embedding tasks' shared encoder (null without them): one session per candidate for all of them. */
    private final OnnxEmbedder embedder;

    private TaskSuite(MergeProblemSpec spec, Map<String, Task> tasks, OnnxEmbedder embedder) {
        this.spec = spec;
        this.tasks = tasks;
        this.embedder = embedder;
    }

    /** The search's tasks. */
    static TaskSuite open(MergeProblemSpec spec, Device device, JsonNode modelConfig) {
        return open(spec, device, modelConfig, false);
    }

    /** The tasks on their held-out splits, or null when some task has none (then nothing is reported). */
    static TaskSuite openHeldout(MergeProblemSpec spec, Device device, JsonNode modelConfig) {
        for (Path file : spec.tasks().values()) {
            if (TaskSpec.read(file).heldoutTask() == null) {
                return null;
            }
        }
        return open(spec, device, modelConfig, true);
    }

    private static TaskSuite open(MergeProblemSpec spec, Device device, JsonNode modelConfig, boolean heldout) {
        Map<String, Task> tasks = new LinkedHashMap<>();
        OnnxEmbedder embedder = null;
        try {
            for (var t : spec.tasks().entrySet()) {
                TaskSpec taskSpec = TaskSpec.read(t.getValue());
                if (taskSpec.embeds() && embedder == null) {
                    embedder = OnnxEmbedder.open(spec.reference());
                }
                Task task = (heldout ? taskSpec.heldoutTask() : taskSpec).open(t.getKey(), device, spec.reference(), embedder);
                tasks.put(t.getKey(), task);
                if (task instanceof ClassificationTask c) {
                    MlpClassifier mlp = MlpClassifier.fromConfig(modelConfig);
                    for (int label : c.data().labels()) {
                        if (label < 0 || label >= mlp.classes()) {
                            throw new EvomergeException(t.getValue() + ": label " + label + " is outside the model's " + mlp.classes() + " classes");
                        }
                    }
                }
            }
            return new TaskSuite(spec, tasks, embedder);
        } catch (RuntimeException e) {
            tasks.values().forEach(Task::close);
            if (embedder != null) {
                embedder.close();
            }
            throw e;
        }
    }

    boolean higherIsBetter(String task) {
        return tasks.get(task).higherIsBetter();
    }

    /** {@code candidate} scored on every task (two passes under a screen; the sample alone if it stops there). */
    Evaluation score(Candidate candidate, NDManager scope, String description, Problem.Screen screen) {
        Map<String, double[]> scores = new LinkedHashMap<>();
        if (screen == null) {
            tasks.forEach((name, task) -> scores.put(name, task.score(candidate, scope)));
            return evaluation(scores, description, false);
        }
        Map<String, int[]> samples = new LinkedHashMap<>();
        int index = 0;
        for (var t : tasks.entrySet()) {
            int[] sample = screen.racing().sample(t.getValue().size(), t.getValue().labels(), screen.sampleSeed(index++));
            samples.put(t.getKey(), sample);
            scores.put(t.getKey(), t.getValue().score(candidate, scope, sample));
        }
        Evaluation partial = evaluation(scores, description, true);
        if (!screen.finish().test(partial)) {
            return partial;
        }
        Map<String, double[]> full = new LinkedHashMap<>();
        tasks.forEach((name, task) -> {
            int[] sample = samples.get(name);
            int[] rest = Racing.rest(task.size(), sample);
            double[] restScores = task.score(candidate, scope, rest);
            double[] all = new double[task.size()];
            double[] first = scores.get(name);
            for (int i = 0; i < sample.length; i++) {
                all[sample[i]] = first[i];
            }
            for (int i = 0; i < rest.length; i++) {
                all[rest[i]] = restScores[i];
            }
            full.put(name, all);
        });
        return evaluation(full, description, false);
    }

    private Evaluation evaluation(Map<String, double[]> scores, String description, boolean partial) {
        List<MergeProblemSpec.ObjectiveSpec> objectives = spec.objectives();
        double[] values = new double[objectives.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = Arrays.stream(scores.get(objectives.get(i).task())).average().orElse(Double.NaN);
        }
        return new Evaluation(values, scores, description, partial);
    }

    /** The embedding tasks' time by step (patching, session, inference), or null when the suite has none. */
    OnnxEmbedder.Timings embeddingTimings() {
        return embedder == null ? null : embedder.timings();
    }

    @Override
    public void close() {
        tasks.values().forEach(Task::close);
        if (embedder != null) {
            embedder.close();
        }
    }
}
