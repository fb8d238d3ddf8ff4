package dev.evomerge.cli;

import dev.evomerge.fitness.GenerateBenchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Greedy generation tokens per second of a ~25M-parameter Llama: the cache in place and incremental decoding, "
                + "beside the concatenated cache and whole-answer decoding they replaced, measured alternately.")
public final class BenchGenerateCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--prompt", defaultValue = "32", description = "Prompt tokens (default ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = "--tokens", defaultValue = "200", description = "New tokens per answer (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds, each one answer both ways (default ${DEFAULT-VALUE}).")
    int rounds;

    @Override
    public Integer call() throws IOException {
        if (prompt < 1 || tokens < 1 || rounds < 1) {
            throw new dev.evomerge.EvomergeException("--prompt, --tokens and --rounds must be at least 1");
        }
        var result = BenchDirectory.use("evomerge-bench-generate", null, dir -> GenerateBenchmark.measure(dir, prompt, tokens, rounds));
        GenerateBenchmark.report(result, new PrintWriter(System.out, true));
        return 0;
    }
}
