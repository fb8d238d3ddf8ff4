package dev.evomerge.experiment;

import ai.djl.ndarray.NDManager;
import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.Task;
import dev.evomerge.fitness.TaskSpec;
import dev.evomerge.merge.Candidate;
import dev.evomerge.merge.MergeEngine;
import dev.evomerge.fitness.LayerProgramExport;
import dev.evomerge.genome.Blueprint;
import java.util.ArrayList;
import java.util.List;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.ComputeDevice;
import dev.evomerge.tensor.AtomicFiles;
import dev.evomerge.tensor.StagingDirectory;
import dev.evomerge.model.CheckpointWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Writes a chosen point of a run's front as a standard checkpoint (streamed through the merge engine) with
 * its recipe ({@code recipe.yaml}, which {@code merge} and mergekit read) and a model card, then scores the
 * written model again on the experiment's tasks: the checkpoint is moved into place only if every objective
 * equals the archived one exactly. The search scored the candidate as this checkpoint (the values it
 * stores, a routing folded as it is folded here), so any difference means the run, the experiment, the
 * sources or the code has changed; it is an error, and nothing is left under the output's name.
 */
public final class Export {
    private Export() {
    }

    public record Result(Path checkpoint, LoggedEvaluation chosen, double[] rescored) {
    }

    public static Result write(RunResults results, String pick, Path out, boolean overwrite, MergeEngine.Progress progress) {
        if (!(results.config().problem() instanceof MergeProblemSpec spec)) {
            throw new EvomergeException(results.runDir() + ": this run optimized a benchmark function; there is no model to export");
        }
        LoggedEvaluation chosen = results.pick(pick);
        RunLayout.check(results.runDir(), spec.layout());
        // decoding is pure and the layout is the recorded one: the genome gives back the blueprint that was
        // evaluated, and the recipe logged with the evaluation says so
        Blueprint blueprint = spec.genomeSpace().decode(chosen.genome());
        if (chosen.evaluation().description() != null && !chosen.evaluation().description().equals(blueprint.toYaml())) {
            throw new EvomergeException(results.runDir() + ": evaluation " + chosen.number() + " logged another recipe than its genome "
                    + "decodes to now; the experiment or the run directory has changed, nothing was exported");
        }
        if (Files.exists(out) && !overwrite) {
            throw new EvomergeException(out + " already exists; choose another --out or pass --overwrite");
        }
        CheckpointWriter.removeLeftovers(out);
        try (StagingDirectory staging = StagingDirectory.create(out, StagingDirectory.UNVERIFIED)) {
            writeBlueprint(spec, blueprint, out, staging.path(), progress, card(results, chosen));
            double[] rescored = rescore(spec, staging.path(), results.config().device(), results.config().racing(), results.config().seed());
            double[] archived = chosen.evaluation().objectives();
            for (int i = 0; i < archived.length; i++) {
                if (Double.compare(rescored[i], archived[i]) != 0) {
                    throw new EvomergeException("the exported model scores " + rescored[i] + " on " + results.objectives().get(i).name()
                            + " where the search recorded " + archived[i] + " (evaluation " + chosen.number() + "); nothing was exported");
                }
            }
            if (Files.exists(out)) {
                AtomicFiles.deleteTree(out);
            }
            Files.move(staging.path(), out, StandardCopyOption.ATOMIC_MOVE);
            return new Result(out, chosen, rescored);
        } catch (IOException e) {
            throw new EvomergeException(out + ": cannot write: " + e.getMessage(), e);
        }
    }

    /**
     * The blueprint as a checkpoint: a recipe through the merge engine; a layer program folded into a plain
     * Llama checkpoint (over the sources, or over the recipe's merge and the sources), into {@code staging}, a staging
     * directory of {@code out}.
     */
    private static void writeBlueprint(MergeProblemSpec spec, Blueprint blueprint, Path out, Path staging, MergeEngine.Progress progress,
                                       String card)
            throws IOException {
        if (blueprint.program() == null) {
            MergeEngine.merge(blueprint.recipe(), null, staging, MergeEngine.Options.defaults(), progress,
                    Map.of("recipe.yaml", blueprint.recipe().toYaml()), card);
            return;
        }
        List<ModelCheckpoint> models = new ArrayList<>();
        // the intermediate merge is another staging directory of the output, so a kill leaves nothing the next export misses
        StagingDirectory merged = StagingDirectory.create(out, StagingDirectory.UNVERIFIED);
        try (merged) {
            if (blueprint.recipe() != null) {
                MergeEngine.merge(blueprint.recipe(), null, merged.path(), MergeEngine.Options.defaults(), progress, Map.of(), "");
                models.add(spec.open(merged.path()));
            }
            for (Path m : spec.models()) {
                models.add(spec.open(m));
            }
            LayerProgramExport.write(models, blueprint.program(), staging, false);
            Files.writeString(staging.resolve("blueprint.yaml"), blueprint.toYaml());
            Files.writeString(staging.resolve("README.md"), "# Routed model\n\nA layer program over the sources"
                    + (blueprint.recipe() != null ? " and their merge" : "") + ", written by evomerge with the hidden-state scales folded "
                    + "into the weights (a standard checkpoint).\n\n```yaml\n" + blueprint.toYaml() + "```\n" + card);
        } finally {
            models.forEach(ModelCheckpoint::close);
        }
    }

    /**
     * The objectives of the checkpoint at {@code dir}, scored as the search scored candidates: the same tasks,
     * and under racing the same two passes (sample, then the rest).
     */
    static double[] rescore(MergeProblemSpec spec, Path dir, String device, Racing racing, long seed) {
        var d = ComputeDevice.of(device).resolve();
        try (ModelCheckpoint checkpoint = spec.open(dir); NDManager scope = NDManager.newBaseManager(d);
             TaskSuite tasks = TaskSuite.open(spec, d, checkpoint.config())) {
            Problem.Screen screen = racing == null ? null : new Problem.Screen(racing, seed, partial -> true);
            return tasks.score(Candidate.load(checkpoint, scope), scope, null, screen).objectives();
        }
    }

    private static String card(RunResults results, LoggedEvaluation chosen) {
        StringBuilder card = new StringBuilder("\n## Search\n\n");
        card.append("Chosen from the Pareto front of run `").append(results.runDir().toAbsolutePath()).append("` (experiment `")
                .append(results.config().name()).append("`, seed ").append(results.config().seed()).append(", strategy `")
                .append(results.config().strategy()).append("`): evaluation ").append(chosen.number()).append(", generation ")
                .append(chosen.generation()).append(".\n\n| objective | on the search split |\n|---|---|\n");
        double[] values = chosen.evaluation().objectives();
        for (int i = 0; i < values.length; i++) {
            Objective o = results.objectives().get(i);
            card.append("| ").append(o.name()).append(o.maximize() ? " (maximize)" : " (minimize)").append(" | ")
                    .append(String.format("%.6g", values[i])).append(" |\n");
        }
        card.append("\nGenome: `").append(chosen.genome()).append("`\n");
        HeldoutComparison heldout = HeldoutComparison.of(results);
        if (heldout != null) {
            heldout.rows().stream().filter(r -> r.searched().number() == chosen.number()).findFirst()
                    .ifPresent(r -> card.append(heldout.toMarkdown(r.position())));
        }
        return card.toString();
    }

}
