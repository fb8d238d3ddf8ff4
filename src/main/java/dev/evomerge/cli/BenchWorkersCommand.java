package dev.evomerge.cli;

import dev.evomerge.experiment.WorkersBenchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "workers", mixinStandardHelpOptions = true,
        description = "Candidates per second with 1, 2 and 4 local evaluators on a compute-bound merge problem, against the ideal.")
public final class BenchWorkersCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--hidden", defaultValue = "1024", description = "Width of the MLPs' two hidden layers (default ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--evaluations", defaultValue = "48", description = "Evaluations per run (default ${DEFAULT-VALUE}).")
    long evaluations;

    @Override
    public Integer call() throws IOException {
        var rows = BenchDirectory.use("evomerge-bench-workers", null,
                dir -> WorkersBenchmark.measure(dir, hidden, evaluations, List.of(1, 2, 4)));
        WorkersBenchmark.report(rows, hidden, new PrintWriter(System.out, true));
        return 0;
    }
}
