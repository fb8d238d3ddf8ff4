package dev.evomerge.cli;

import dev.evomerge.report.ReportBenchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"A live report's redraw from scratch against one after 100 more evaluations, on a 20,000-evaluation run",
                "(ZDT1 and DTLZ2), and the search thread's time per redraw signal."})
public final class BenchReportCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--evaluations", defaultValue = "20000", description = "Evaluations in the run redrawn (default ${DEFAULT-VALUE}).")
    long evaluations;

    @Option(names = "--dir", paramLabel = "DIR", description = "Keep the run directories here (default: a temporary folder, removed).")
    Path dir;

    @Override
    public Integer call() throws IOException {
        var rows = BenchDirectory.use("evomerge-bench-report", dir, d -> ReportBenchmark.measure(d, evaluations));
        ReportBenchmark.report(rows, new PrintWriter(System.out, true));
        return 0;
    }
}
