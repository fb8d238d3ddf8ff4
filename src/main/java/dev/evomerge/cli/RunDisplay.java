package dev.evomerge.cli;

import dev.evomerge.experiment.Runner;
import dev.evomerge.report.LiveReport;
import picocli.CommandLine.Option;

/**
 * What {@code run} and {@code resume} show while a search runs: a progress bar, and plots and report.html
 * redrawn as it goes; then the summary.
 */
public final class RunDisplay {
    @Option(names = "--refresh", defaultValue = "60", paramLabel = "SECONDS",
            description = "Redraw plots and report.html at most this often while running (default ${DEFAULT-VALUE}; 0: every generation).")
    double refresh;

    @Option(names = "--no-progress", description = "No progress bar (for logs and CI).")
    boolean noProgress;

    /** Runs {@code runner} to the end of its budget, keeping plots and report fresh, and prints the summary. */
    void run(Runner runner) {
        Runner.Summary summary;
        try (LiveReport live = new LiveReport(runner.runDir(), refresh)) {
            summary = runner.afterCheckpoint(live).run(!noProgress);
            live.finish();
        }
        Summaries.print(summary);
    }
}
