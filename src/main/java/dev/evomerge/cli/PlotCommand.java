package dev.evomerge.cli;

import dev.evomerge.experiment.RunResults;
import dev.evomerge.report.RunPlots;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "plot", mixinStandardHelpOptions = true,
        description = {"Charts of one run (Pareto front, hypervolume, best so far, genome) as PNG and SVG;",
                "with several runs (same objectives), every run's front on one chart, and hypervolume (one common reference point)",
                "and best so far against evaluations: one line per run, or the median and min-max band of each strategy's seeds."})
public final class PlotCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Parameters(arity = "1..*", paramLabel = "RUN_DIR")
    List<Path> runs;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write (default: RUN_DIR/plots of the first run).")
    Path out;

    @Override
    public Integer call() {
        List<RunResults> results = runs.stream().map(RunResults::read).toList();
        Path dir = out != null ? out : runs.getFirst().resolve("plots");
        List<String> written = RunPlots.write(results, dir);
        System.out.println("wrote " + written.size() + " charts (PNG and SVG) to " + dir + ": " + String.join(", ", written));
        return 0;
    }
}
