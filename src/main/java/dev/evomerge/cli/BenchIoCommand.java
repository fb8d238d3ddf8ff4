package dev.evomerge.cli;

import dev.evomerge.tensor.IoBenchmark;
import dev.evomerge.tensor.PageCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "io", mixinStandardHelpOptions = true,
        description = "Read + convert a bf16 checkpoint to f32, beside a plain sequential read of the same bytes.")
public final class BenchIoCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--size-gb", defaultValue = "1.0", description = "Checkpoint size in GB (default ${DEFAULT-VALUE}).")
    double sizeGb;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds; the best of each is kept (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--dir", description = "Where to write the checkpoint (default: a temporary directory, removed after).")
    Path dir;

    @Override
    public Integer call() throws IOException {
        BenchDirectory.use("evomerge-bench-io", dir, work -> {
            Path checkpoint = work.resolve("bf16-checkpoint");
            if (!Files.exists(checkpoint)) {
                IoBenchmark.writeCheckpoint(checkpoint, (long) (sizeGb * 1e9));
            }
            var out = new java.io.PrintWriter(System.out, true);
            if (PageCache.available()) {
                IoBenchmark.report(IoBenchmark.measure(checkpoint, rounds, true), out);
            } else {
                out.println("bench io: cannot evict files from the page cache here (no posix_fadvise); warm only");
            }
            IoBenchmark.report(IoBenchmark.measure(checkpoint, rounds, false), out);
            return null;
        });
        return 0;
    }
}
