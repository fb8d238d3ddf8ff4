package dev.evomerge.cli;

import dev.evomerge.EvomergeException;
import dev.evomerge.experiment.ComparedStrategy;
import dev.evomerge.experiment.Comparison;
import dev.evomerge.experiment.ExperimentConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Run one experiment under several strategies and seeds with the same evaluation budget, and tabulate",
                "the hypervolume (one reference point for all runs) into DIR/table.md; random search is always the baseline.",
                "DIR/runs.jsonl keeps finished runs: run it again to resume."})
public final class CompareCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Parameters(index = "0", paramLabel = "EXPERIMENT", description = "The experiment YAML, e.g. experiments/digits-halves-map.yaml.")
    Path experiment;

    @Option(names = "--strategies", paramLabel = "LIST",
            description = "Strategies, comma-separated, each NAME or NAME:{yaml overrides}, e.g. 'random,nsga2:{population: 14},map'. "
                    + "The experiment's own strategy keeps its hyperparameters. Default: the experiment's strategy.")
    String strategies;

    @Option(names = "--seeds", description = "Seeds per strategy (default: ${DEFAULT-VALUE}).", defaultValue = "10")
    int seeds;

    @Option(names = "--first-seed", description = "The first seed; the others follow it (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    long firstSeed;

    @Option(names = "--evaluations", paramLabel = "N", description = "Evaluations per run (default: the experiment's budget.evaluations).")
    Long evaluations;

    @Option(names = "--out", paramLabel = "DIR", description = "The comparison directory (default: OUTPUT/NAME-compare).")
    Path out;

    @Override
    public Integer call() {
        if (seeds < 1 || (evaluations != null && evaluations < 1)) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--seeds and --evaluations must be positive");
        }
        ExperimentConfig config = ExperimentConfig.read(experiment);
        long budget = evaluations != null ? evaluations : config.budget().evaluations() != null ? config.budget().evaluations() : -1;
        if (budget < 1) {
            throw new EvomergeException(experiment + ": its budget has no evaluations; give --evaluations N (the same for every strategy)");
        }
        String list = strategies != null ? strategies : config.strategy();
        List<ComparedStrategy> compared = ComparedStrategy.parseAll(list, config);
        Path dir = out != null ? out : config.output().resolve(config.name() + "-compare");
        String command = "./run.sh compare " + experiment + " --strategies '" + String.join(",", compared.stream().map(this::item).toList())
                + "' --seeds " + seeds + " --first-seed " + firstSeed + " --evaluations " + budget + " --out " + dir;
        System.out.println("comparison: " + dir);
        new Comparison(config, compared, firstSeed, seeds, budget, dir, command).run(System.out, logLevel.progress());
        return 0;
    }

    /** How the item is written on the command line: the label reads back as the same strategy. */
    private String item(ComparedStrategy s) {
        return s.label().equals(s.strategy()) ? s.strategy() : s.strategy() + ":" + s.label().substring(s.strategy().length());
    }
}
