package dev.evomerge.cli;

import dev.evomerge.experiment.Export;
import dev.evomerge.experiment.RunResults;
import dev.evomerge.merge.MergeEngine;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a point of a run's Pareto front as a standard checkpoint, with its recipe and a model card.",
                "The written model is scored again on the experiment's tasks and must match the archived scores."})
public final class ExportCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Parameters(index = "0", paramLabel = "RUN_DIR")
    Path runDir;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The checkpoint directory to write.")
    Path out;

    @Option(names = "--pick", defaultValue = "best", paramLabel = "PICK",
            description = "best (one objective), best:OBJECTIVE, front:K (as ./run.sh front numbers them) or weights:w1,w2,… (default ${DEFAULT-VALUE}).")
    String pick;

    @Option(names = "--overwrite", description = "Replace DIR if it exists.")
    boolean overwrite;

    @Override
    public Integer call() {
        Export.Result r = Export.write(RunResults.read(runDir), pick, out, overwrite, MergeEngine.Progress.NONE);
        System.out.printf("exported evaluation %d (generation %d) to %s; rescored: %s, as archived%n", r.chosen().number(),
                r.chosen().generation(), r.checkpoint(), java.util.Arrays.toString(r.rescored()));
        return 0;
    }
}
