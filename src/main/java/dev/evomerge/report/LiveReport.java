package dev.evomerge.report;

import dev.evomerge.experiment.Checkpoint;
import dev.evomerge.experiment.RunResults;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a running search's plots and report.html fresh, so an overnight run can be looked at while it runs.
 * Given to {@code Runner.afterCheckpoint}, it is signalled after every checkpoint and, when
 * {@code everySeconds} have passed since the last signal it acted on, asks its one background thread to
 * redraw; the search thread only signals. Signals that come while a redraw is waiting to start add
 * nothing to it. Each redraw reads only the lines of the evaluation log added since the last one
 * ({@link RunHistory}). {@link #finish} draws once more and waits for it. A drawing that fails is logged
 * and the search goes on.
 *
 * @implNote {@link #run} is meant for one thread (the search's); drawing happens on the background thread,
 *     or on the caller's in {@link #draw}, one at a time.
 */
public final class LiveReport implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveReport.class);
    private final Path runDir;
    private final double everySeconds;
    private final ExecutorService drawer;
    private final AtomicBoolean queued = new AtomicBoolean();
    private long last = Long.MIN_VALUE;
    private Future<?> pending;
    private RunResults run;
    private RunHistory history;
    private int draws;

    public LiveReport(Path runDir, double everySeconds) {
        this.runDir = runDir;
        this.everySeconds = everySeconds;
        this.drawer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "live-report");
            t.setDaemon(true);  // a run stopped by Ctrl-C does not wait for a chart
            return t;
        });
    }

    /** The search thread's signal: queues a redraw if one is due and none is waiting. */
    @Override
    public void run() {
        long now = System.nanoTime();
        if (last == Long.MIN_VALUE || (now - last) / 1e9 >= everySeconds) {
            last = now;
            signal();
        }
    }

    private void signal() {
        if (queued.compareAndSet(false, true)) {
            pending = drawer.submit(() -> {
                queued.set(false);  // from here a new signal queues the next redraw, which will see newer lines
                draw();
            });
        }
    }

    /**
     * Draws once more and waits until it is written; then stops the background thread. Called on the thread
     * that signals, after the last signal: a redraw still waiting to start will see everything, and is the last.
     */
    public void finish() {
        signal();
        drawer.shutdown();
        try {
            pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.warn("could not refresh the plots and report of {}: {}", runDir, e.getCause().getMessage());
        }
    }

    /** Stops the background thread without waiting for a redraw (after {@link #finish}, nothing is left). */
    @Override
    public void close() {
        drawer.shutdownNow();
        try {
            drawer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Draws now, on the caller's thread, whatever the time. */
    public synchronized void draw() {
        draws++;
        try {
            Checkpoint checkpoint = Checkpoint.read(runDir);
            if (checkpoint.reference() == null) {
                return;  // no generation has finished: nothing to draw yet
            }
            if (history == null) {
                run = RunResults.read(runDir);
                history = RunHistory.of(run, checkpoint.reference());
            }
            history.read(checkpoint.logBytes());
            RunResults current = new RunResults(runDir, run.config(), run.objectives(), history.front(), checkpoint.hypervolume());
            List<RunPlots.Rendered> charts = RunPlots.render(RunPlots.charts(List.of(history)), runDir.resolve("plots"));
            HtmlReport.write(current, history, charts, runDir.resolve(HtmlReport.FILE));
        } catch (RuntimeException e) {
            LOG.warn("could not refresh the plots and report of {}: {}", runDir, e.getMessage());
        }
    }

    /** Redraws begun so far (for tests). */
    synchronized int draws() {
        return draws;
    }

    /** Whether a redraw waits to start (for tests). */
    boolean queued() {
        return queued.get();
    }

    /** Lines of the evaluation log read so far (for tests and the benchmark). */
    synchronized int linesRead() {
        return history == null ? 0 : history.lines();
    }
}
