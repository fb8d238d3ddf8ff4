package dev.evomerge.cli;

import dev.evomerge.experiment.ProgressDisplay;
import dev.evomerge.merge.MergeEngine;
import dev.evomerge.merge.MergeRecipe;
import dev.evomerge.tensor.ComputeDevice;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge models as a mergekit-format recipe says, streaming tensor by tensor, into a checkpoint directory."})
public final class MergeCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Parameters(index = "0", paramLabel = "RECIPE", description = "The recipe YAML (merge_method, base_model, models or slices, parameters).")
    Path recipe;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write the merged checkpoint (must not exist, or be empty).")
    Path out;

    @Option(names = "--device", defaultValue = "cpu", description = "auto, cpu, gpu or gpu:N (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--max-shard-size", defaultValue = "5GB", paramLabel = "SIZE", description = "Largest weight shard, e.g. 2GB or 500MB (default ${DEFAULT-VALUE}).")
    String maxShardSize;

    @Option(names = "--parallelism", description = "Tensors merged at once (default: the number of cores).")
    Integer parallelism;

    @Option(names = "--overwrite", description = "Replace DIR if it exists.")
    boolean overwrite;

    @Override
    public Integer call() {
        MergeRecipe parsed = MergeRecipe.read(recipe);
        var defaults = MergeEngine.Options.defaults();
        var options = new MergeEngine.Options(ComputeDevice.of(device).resolve(), ByteSize.parse(maxShardSize),
                parallelism != null ? parallelism : defaults.parallelism(), overwrite);
        Path recipeDir = recipe.toAbsolutePath().getParent();
        Path written;
        try (ProgressDisplay.Progress bar = logLevel.progress().start("merge", "tensors", 0, 0)) {
            written = MergeEngine.merge(parsed, recipeDir, out, options, new MergeEngine.Progress() {
                @Override
                public void planned(dev.evomerge.merge.MergePlan plan) {
                    bar.total(plan.tasks().size());
                }

                @Override
                public void written(dev.evomerge.merge.MergePlan.TensorTask task) {
                    bar.stepBy(1);
                }
            });
        }
        System.out.println("merged " + parsed.mergeMethod() + " of " + parsed.referencedModels().size() + " models into " + written);
        return 0;
    }
}
