package dev.evomerge.cli;

import dev.evomerge.experiment.ExperimentConfig;
import dev.evomerge.experiment.Runner;
import dev.evomerge.report.LiveReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run a search experiment from its YAML file, checkpointing after every generation.",
                "Results go to OUTPUT/NAME/RUN_ID/ (config.yaml, checkpoint.json, evaluations.jsonl, pareto.json, run.log)."})
public final class RunCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Parameters(index = "0", paramLabel = "EXPERIMENT", description = "The experiment YAML, e.g. experiments/zdt1-nsga2.yaml.")
    Path experiment;

    @Option(names = "--seed", description = "Override the experiment's seed.")
    Long seed;

    @Option(names = "--out", paramLabel = "DIR", description = "The run directory (default: OUTPUT/NAME/RUN_ID).")
    Path out;

    @Option(names = "--refresh", defaultValue = "60", paramLabel = "SECONDS",
            description = "Redraw plots and report.html at most this often while running (default ${DEFAULT-VALUE}; 0: every generation).")
    double refresh;

    @Option(names = "--no-progress", description = "No progress bar (for logs and CI).")
    boolean noProgress;

    @Override
    public Integer call() {
        ExperimentConfig config = ExperimentConfig.read(experiment);
        if (seed != null) {
            config = config.withSeed(seed);
        }
        try (Runner runner = Runner.start(config, out)) {
            System.out.println("run directory: " + runner.runDir());
            LiveReport live = new LiveReport(runner.runDir(), refresh);
            Runner.Summary s = runner.afterCheckpoint(live).run(!noProgress);
            live.draw();
            Summaries.print(s);
        }
        return 0;
    }
}
