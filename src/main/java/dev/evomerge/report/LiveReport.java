package dev.evomerge.report;

import dev.evomerge.experiment.RunResults;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a running search's plots and report.html fresh, so an overnight run can be looked at while it runs:
 * redrawn after a checkpoint when {@code everySeconds} have passed since the last drawing, and always at
 * the end. A drawing that fails is logged and the search goes on.
 */
public final class LiveReport implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveReport.class);
    private final Path runDir;
    private final double everySeconds;
    private long last = Long.MIN_VALUE;

    public LiveReport(Path runDir, double everySeconds) {
        this.runDir = runDir;
        this.everySeconds = everySeconds;
    }

    @Override
    public void run() {
        long now = System.nanoTime();
        if (last == Long.MIN_VALUE || (now - last) / 1e9 >= everySeconds) {
            draw();
            last = System.nanoTime();
        }
    }

    /** Draws now, whatever the time. */
    public void draw() {
        try {
            RunResults results = RunResults.read(runDir);
            RunPlots.write(List.of(results), runDir.resolve("plots"));
            HtmlReport.write(results, runDir.resolve(HtmlReport.FILE));
        } catch (RuntimeException e) {
            LOG.warn("could not refresh the plots and report of {}: {}", runDir, e.getMessage());
        }
    }
}
