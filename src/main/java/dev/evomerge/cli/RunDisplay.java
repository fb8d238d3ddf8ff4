package dev.evomerge.cli;

import dev.evomerge.experiment.ProgressDisplay;
import dev.evomerge.experiment.Runner;
import dev.evomerge.report.LiveReport;
import picocli.CommandLine.Option;

/**
 * What {@code run} and {@code resume} show while a search runs: its progress (see {@link ProgressDisplay}), and plots
 * and report.html redrawn as it goes; then the summary.
 */
public final class RunDisplay {
    @Option(names = "--refresh", defaultValue = "60", paramLabel = "SECONDS",
            description = "Redraw plots and report.html at most this often while running (default ${DEFAULT-VALUE}; 0: every generation).")
    double refresh;

    @Option(names = "--no-progress", description = "No progress bar or progress lines (a terminal gets a bar, anything else a line every 10 s).")
    boolean noProgress;

    /**
     * Runs {@code runner} to the end of its budget, showing its progress on {@code progress} (unless
     * {@code --no-progress}), keeping plots and report fresh, and prints the summary.
     */
    void run(Runner runner, ProgressDisplay progress) {
        Runner.Summary summary;
        try (LiveReport live = new LiveReport(runner.runDir(), refresh)) {
            summary = runner.afterCheckpoint(live).run(noProgress ? ProgressDisplay.NONE : progress);
            live.finish();
        }
        Summaries.print(summary);
    }
}
