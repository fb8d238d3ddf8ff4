package dev.evomerge.cli;

import dev.evomerge.fitness.DigitsReproduction;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "m2n2", mixinStandardHelpOptions = true,
        description = {"MLP 64-256-10 forward passes per second over the digits training split (the unit of the M2N2",
                "experiments' budget) beside the machine's float32 matmul rate. The comparison itself: ./run.sh reproduce."})
public final class BenchM2n2Command implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--repeats", defaultValue = "1000", description = "Timed passes (default ${DEFAULT-VALUE}).")
    int repeats;

    @Override
    public Integer call() {
        DigitsReproduction.ofDigits(0L, true).reportThroughput(new PrintWriter(System.out, true), repeats);
        return 0;
    }
}
