package dev.evomerge.cli;

import dev.evomerge.cluster.SharedSecret;
import dev.evomerge.experiment.ClusterSettings;
import dev.evomerge.experiment.WorkersBenchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "workers", mixinStandardHelpOptions = true,
        description = {"Candidates per second with 1, 2 and 4 local evaluators on a compute-bound merge problem, against the ideal.",
                "With --cluster, also two cluster worker processes on loopback and a failover (one SIGKILLed mid-candidate); "
                        + "their secret is read from EVOMERGE_SECRET."})
public final class BenchWorkersCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--hidden", defaultValue = "1024", description = "Width of the MLPs' two hidden layers (default ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--evaluations", defaultValue = "48", description = "Evaluations per run (default ${DEFAULT-VALUE}).")
    long evaluations;

    @Option(names = "--cluster", description = "Add two cluster workers (child processes on loopback) and a failover.")
    boolean cluster;

    @Override
    public Integer call() throws IOException, InterruptedException {
        String secretEnv = cluster ? ClusterSettings.DEFAULT_SECRET_ENV : null;
        if (secretEnv != null) {
            SharedSecret.fromEnvironment(secretEnv); // said now, not after the local runs
        }
        var result = BenchDirectory.use("evomerge-bench-workers", null,
                dir -> {
                    try {
                        return WorkersBenchmark.measure(dir, hidden, evaluations, List.of(1, 2, 4), secretEnv);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted", e);
                    }
                });
        WorkersBenchmark.report(result, hidden, new PrintWriter(System.out, true));
        return 0;
    }
}
