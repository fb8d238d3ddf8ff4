package dev.evomerge.cli;

import dev.evomerge.experiment.RunDirectory;
import dev.evomerge.experiment.Budget;
import dev.evomerge.experiment.Checkpoint;
import dev.evomerge.experiment.ExperimentConfig;
import dev.evomerge.experiment.Runner;
import dev.evomerge.experiment.Workers;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "resume", mixinStandardHelpOptions = true,
        description = {"Continue a run from its last checkpoint (after a crash, a kill or a reboot), optionally with a larger budget.",
                "The continued run ends with exactly the evaluations an uninterrupted run would have made."})
public final class ResumeCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "The run directory (holding checkpoint.json).")
    Path runDir;

    @Option(names = "--generations", description = "New generation budget (total, not additional).")
    Long generations;

    @Option(names = "--evaluations", description = "New evaluation budget (total).")
    Long evaluations;

    @Option(names = "--time", description = "New time budget (total), e.g. 2h.")
    String time;

    @Option(names = "--workers", paramLabel = "N", description = "Evaluate N candidates at once in this JVM (results do not change).")
    Integer workers;

    @Mixin
    RunDisplay display;

    @Override
    public Integer call() {
        Budget budget = null;
        if (generations != null || evaluations != null || time != null) {
            Checkpoint.read(runDir); // a clear error first when this is not a run directory
            Budget old = ExperimentConfig.read(runDir.resolve(RunDirectory.CONFIG)).budget();
            budget = old.with(generations, evaluations, time == null ? null : Budget.seconds(time, "--time"));
        }
        Workers pool = null;
        if (workers != null) {
            pool = new Workers(workers, ExperimentConfig.read(runDir.resolve(RunDirectory.CONFIG)).workers().devices());
        }
        try (Runner runner = Runner.resume(runDir, budget, pool)) {
            display.run(runner, logLevel.progress());
        }
        return 0;
    }
}
