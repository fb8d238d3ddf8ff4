package dev.evomerge.experiment;

import ai.djl.ndarray.NDManager;
import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.Task;
import dev.evomerge.fitness.TaskSpec;
import dev.evomerge.merge.Candidate;
import dev.evomerge.merge.MergeEngine;
import dev.evomerge.merge.MergeRecipe;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.ComputeDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a chosen point of a run's front as a standard checkpoint (streamed through the merge engine) with
 * its recipe ({@code recipe.yaml}, which {@code merge} and mergekit read) and a model card, then scores the
 * written model again on the experiment's tasks: the checkpoint is moved into place only if every objective
 * equals the archived one. A mismatch is an error, and nothing is left under the output's name.
 */
public final class Export {
    /** Objectives must agree this closely (the same arithmetic from disk and from memory). */
    static final double TOLERANCE = 1e-6;

    private Export() {
    }

    public record Result(Path checkpoint, LoggedEvaluation chosen, double[] rescored) {
    }

    public static Result write(RunResults results, String pick, Path out, boolean overwrite, MergeEngine.Progress progress) {
        if (!(results.config().problem() instanceof MergeProblemSpec spec)) {
            throw new EvomergeException(results.runDir() + ": this run optimized a benchmark function; there is no model to export");
        }
        LoggedEvaluation chosen = results.pick(pick);
        MergeRecipe recipe = MergeRecipe.parse(chosen.evaluation().description(), results.runDir() + " evaluation " + chosen.number());
        if (Files.exists(out) && !overwrite) {
            throw new EvomergeException(out + " already exists; choose another --out or pass --overwrite");
        }
        Path staging = out.toAbsolutePath().getParent().resolve("." + out.getFileName() + ".unverified-" + ProcessHandle.current().pid());
        try {
            MergeEngine.merge(recipe, null, staging, MergeEngine.Options.defaults(), progress,
                    Map.of("recipe.yaml", recipe.toYaml()), card(results, chosen));
            double[] rescored = rescore(spec, staging, results.config().device());
            double[] archived = chosen.evaluation().objectives();
            for (int i = 0; i < archived.length; i++) {
                if (Math.abs(rescored[i] - archived[i]) > TOLERANCE) {
                    throw new EvomergeException("the exported model scores " + rescored[i] + " on " + results.objectives().get(i).name()
                            + " where the search recorded " + archived[i] + " (evaluation " + chosen.number() + "); nothing was exported");
                }
            }
            if (Files.exists(out)) {
                deleteTree(out);
            }
            Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
            return new Result(out, chosen, rescored);
        } catch (IOException e) {
            throw new EvomergeException(out + ": cannot write: " + e.getMessage(), e);
        } finally {
            try {
                deleteTree(staging);
            } catch (IOException ignored) {
                // a hidden .unverified folder is never mistaken for an export
            }
        }
    }

    /** The objectives of the checkpoint at {@code dir}, evaluated as the search evaluates candidates. */
    static double[] rescore(MergeProblemSpec spec, Path dir, String device) {
        var d = ComputeDevice.of(device).resolve();
        try (ModelCheckpoint checkpoint = spec.open(dir); NDManager scope = NDManager.newBaseManager(d)) {
            Candidate candidate = Candidate.load(checkpoint, scope);
            double[] values = new double[spec.objectives().size()];
            for (int i = 0; i < values.length; i++) {
                var objective = spec.objectives().get(i);
                try (Task task = TaskSpec.read(spec.tasks().get(objective.task())).open(objective.task(), d, spec.base())) {
                    values[i] = java.util.Arrays.stream(task.score(candidate, scope)).average().orElse(Double.NaN);
                }
            }
            return values;
        }
    }

    private static String card(RunResults results, LoggedEvaluation chosen) {
        StringBuilder card = new StringBuilder("\n## Search\n\n");
        card.append("Chosen from the Pareto front of run `").append(results.runDir().toAbsolutePath()).append("` (experiment `")
                .append(results.config().name()).append("`, seed ").append(results.config().seed()).append(", strategy `")
                .append(results.config().strategy()).append("`): evaluation ").append(chosen.number()).append(", generation ")
                .append(chosen.generation()).append(".\n\n| objective | value |\n|---|---|\n");
        double[] values = chosen.evaluation().objectives();
        for (int i = 0; i < values.length; i++) {
            Objective o = results.objectives().get(i);
            card.append("| ").append(o.name()).append(o.maximize() ? " (maximize)" : " (minimize)").append(" | ")
                    .append(String.format("%.6g", values[i])).append(" |\n");
        }
        card.append("\nGenome: `").append(chosen.genome()).append("`\n");
        return card.toString();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
