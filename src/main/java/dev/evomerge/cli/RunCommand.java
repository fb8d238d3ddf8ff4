package dev.evomerge.cli;

import dev.evomerge.experiment.ExperimentConfig;
import dev.evomerge.experiment.Runner;
import dev.evomerge.experiment.Workers;
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

    @Option(names = "--workers", paramLabel = "N", description = "Evaluate N candidates at once in this JVM, each evaluator with the problem "
            + "opened for it (overrides workers.local; results do not change).")
    Integer workers;

    @Mixin
    RunDisplay display;

    @Override
    public Integer call() {
        ExperimentConfig config = ExperimentConfig.read(experiment);
        if (seed != null) {
            config = config.withSeed(seed);
        }
        if (workers != null) {
            config = config.withWorkers(new Workers(workers, config.workers().devices()));
        }
        try (Runner runner = Runner.start(config, out)) {
            System.out.println("run directory: " + runner.runDir());
            display.run(runner, logLevel.progress());
        }
        return 0;
    }
}
