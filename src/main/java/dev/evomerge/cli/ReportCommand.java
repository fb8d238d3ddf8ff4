package dev.evomerge.cli;

import dev.evomerge.experiment.RunResults;
import dev.evomerge.report.HtmlReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "One self-contained HTML report of a run: the front with export commands, charts, configuration, timings.")
public final class ReportCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Parameters(index = "0", paramLabel = "RUN_DIR")
    Path runDir;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write (default: RUN_DIR/report.html).")
    Path out;

    @Override
    public Integer call() {
        Path file = HtmlReport.write(RunResults.read(runDir), out != null ? out : runDir.resolve(HtmlReport.FILE));
        System.out.println("wrote " + file);
        return 0;
    }
}
