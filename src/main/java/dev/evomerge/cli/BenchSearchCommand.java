package dev.evomerge.cli;

import dev.evomerge.experiment.SearchBenchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "search", mixinStandardHelpOptions = true,
        description = "The search loop's own overhead per evaluation (ask, tell, archive, log, checkpoint) with a free objective.")
public final class BenchSearchCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--generations", defaultValue = "200", description = "Generations per strategy (default ${DEFAULT-VALUE}).")
    int generations;

    @Override
    public Integer call() throws IOException {
        var rows = BenchDirectory.use("evomerge-bench-search", null, dir -> SearchBenchmark.measure(dir, generations));
        SearchBenchmark.report(rows, new PrintWriter(System.out, true));
        return 0;
    }
}
