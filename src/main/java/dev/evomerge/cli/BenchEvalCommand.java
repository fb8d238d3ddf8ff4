package dev.evomerge.cli;

import dev.evomerge.fitness.EvalBenchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Batched log-likelihood tokens per second of a ~25M-parameter Llama, beside eager PyTorch on the same inputs.")
public final class BenchEvalCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--batch", defaultValue = "8", description = "Sequences per batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--tokens", defaultValue = "128", description = "Tokens per sequence (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--repeats", defaultValue = "10", description = "Timed batches (default ${DEFAULT-VALUE}).")
    int repeats;

    @Override
    public Integer call() throws IOException {
        var result = BenchDirectory.use("evomerge-bench-eval", null, dir -> EvalBenchmark.measure(dir, batch, tokens, repeats));
        EvalBenchmark.report(result, new PrintWriter(System.out, true));
        return 0;
    }
}
