package dev.evomerge.cli;

import dev.evomerge.experiment.ProgressDisplay;
import dev.evomerge.experiment.Reproduction;
import dev.evomerge.experiment.ReproductionConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = {"Run a whole-weight strategy comparison (the M2N2 paper's digits experiments, experiments/m2n2-digits-*.yaml):",
                "every strategy on every seed, into OUTPUT/NAME/ (runs.jsonl, table.md). Run it again to resume: finished runs are kept."})
public final class ReproduceCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Parameters(index = "0", paramLabel = "EXPERIMENT", description = "The comparison YAML, e.g. experiments/m2n2-digits-scratch.yaml.")
    Path experiment;

    @Option(names = "--seeds", description = "Seeds per strategy (default: the file's).")
    Integer seeds;

    @Option(names = "--passes", description = "Forward passes per run (default: the file's).")
    Integer passes;

    @Option(names = "--strategies", split = ",", paramLabel = "LABEL", description = "Only these strategies (labels in the file).")
    List<String> strategies = List.of();

    @Option(names = "--out", paramLabel = "DIR", description = "The results directory (default: OUTPUT/NAME).")
    Path out;

    @Option(names = "--no-progress", description = "A line per finished run only (no progress bar, no progress lines).")
    boolean noProgress;

    @Override
    public Integer call() {
        if ((seeds != null && seeds < 1) || (passes != null && passes < 1)) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--seeds and --passes must be positive");
        }
        ReproductionConfig config = ReproductionConfig.read(experiment).with(seeds, passes);
        Reproduction reproduction = new Reproduction(config, out);
        System.out.println("results: " + reproduction.dir());
        reproduction.run(strategies, noProgress ? ProgressDisplay.NONE : logLevel.progress(), System.out);
        return 0;
    }
}
