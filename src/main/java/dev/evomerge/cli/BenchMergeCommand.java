package dev.evomerge.cli;

import dev.evomerge.merge.MergeBenchmark;
import dev.evomerge.tensor.ComputeDevice;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "TIES of a base and 3 fine-tunes end to end beside the I/O floor; and one in-memory candidate.")
public final class BenchMergeCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--size-gb", defaultValue = "1.0", description = "Size of each of the 4 models in GB (default ${DEFAULT-VALUE}).")
    double sizeGb;

    @Option(names = "--device", defaultValue = "cpu", description = "auto, cpu, gpu or gpu:N (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--dir", description = "Where to write the models (default: a temporary directory, removed after).")
    Path dir;

    @Override
    public Integer call() throws IOException {
        var result = BenchDirectory.use("evomerge-bench-merge", dir,
                work -> MergeBenchmark.measure(work, (long) (sizeGb * 1e9), ComputeDevice.of(device).resolve()));
        MergeBenchmark.report(result, new PrintWriter(System.out, true));
        return 0;
    }
}
