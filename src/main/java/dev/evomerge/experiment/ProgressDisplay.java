package dev.evomerge.experiment;

import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * How long-running work (a search, a merge, a reproduction) shows how far it got. A command chooses the
 * display once, from where its output goes:
 * <ul>
 *   <li>{@link Mode#BAR} on a terminal: a bar redrawn in place (with {@code '\r'});</li>
 *   <li>{@link Mode#LINES} anywhere else (a pipe, a log file, CI): a plain line at most every
 *       {@link #LINE_INTERVAL} — done of total, the caller's message, elapsed time and an estimate of the time
 *       left — so that a log holds a readable history, not kilobytes of carriage returns;</li>
 *   <li>{@link Mode#NONE} under {@code -q} or {@code --no-progress}.</li>
 * </ul>
 *
 * @implNote A display is immutable and holds no resource; each {@link #start} makes one {@link Progress}, which
 *     its caller closes. A {@code Progress} may be stepped from several threads.
 */
public final class ProgressDisplay {
    /** The longest a non-terminal display stays silent while its work moves. */
    public static final Duration LINE_INTERVAL = Duration.ofSeconds(10);

    /** Shows nothing. */
    public static final ProgressDisplay NONE = new ProgressDisplay(Mode.NONE, null, System::nanoTime, -1, null);

    public enum Mode { BAR, LINES, NONE }

    private final Mode mode;
    private final PrintStream out;
    private final LongSupplier nanoTime;
    private final int width;
    private final String name;

    private ProgressDisplay(Mode mode, PrintStream out, LongSupplier nanoTime, int width, String name) {
        if (mode != Mode.NONE && out == null) {
            throw new IllegalArgumentException("a " + mode + " display needs somewhere to write");
        }
        this.mode = mode;
        this.out = out;
        this.nanoTime = nanoTime;
        this.width = width;
        this.name = name;
    }

    /** The display for standard error: nothing when {@code quiet}, a bar on a terminal, lines otherwise. */
    public static ProgressDisplay onStandardError(boolean quiet) {
        if (quiet) {
            return NONE;
        }
        return new ProgressDisplay(standardErrorIsTerminal() ? Mode.BAR : Mode.LINES, System.err, System::nanoTime, -1, null);
    }

    /**
     * A display of the given mode writing to {@code out}, timed by {@code nanoTime} (as {@link System#nanoTime};
     * lines only: a bar keeps its own clock), a bar trimmed to {@code width} columns ({@code <= 0}: the terminal's).
     */
    public static ProgressDisplay of(Mode mode, PrintStream out, LongSupplier nanoTime, int width) {
        return mode == Mode.NONE ? NONE : new ProgressDisplay(mode, out, nanoTime, width, null);
    }

    /** This display, its progress named {@code name} whatever name the work gives it (one run among many, say). */
    public ProgressDisplay named(String name) {
        return mode == Mode.NONE ? this : new ProgressDisplay(mode, out, nanoTime, width, name);
    }

    public Mode mode() {
        return mode;
    }

    /**
     * Starts showing work named {@code task} that counts {@code unit} (a plural noun) from {@code done} to
     * {@code total} ({@code <= 0}: not known).
     */
    public Progress start(String task, String unit, long done, long total) {
        String shown = name != null ? name : task;
        return switch (mode) {
            case NONE -> Silent.INSTANCE;
            case LINES -> new Lines(out, nanoTime, shown, unit, done, total);
            case BAR -> {
                Line line = new Line(out, width);
                yield new Bar(new ProgressBarBuilder().setTaskName(shown).setStyle(ProgressBarStyle.ASCII).setUnit(" " + unit, 1)
                        .setInitialMax(total > 0 ? total : -1).startsFrom(done, Duration.ZERO).setUpdateIntervalMillis(500)
                        .continuousUpdate().setConsumer(line).build(), line);
            }
        };
    }

    /** Work under way; closing it ends the display (a bar finishes its line). */
    public sealed interface Progress extends AutoCloseable permits Silent, Lines, Bar {
        void stepTo(long done);

        void stepBy(long n);

        /** The total, once it is known. */
        void total(long total);

        /** What to show beside the count from the next step on (scores so far, the run under way). */
        void message(String message);

        @Override
        void close();
    }

    private enum Silent implements Progress {
        INSTANCE;

        @Override
        public void stepTo(long done) {
        }

        @Override
        public void stepBy(long n) {
        }

        @Override
        public void total(long total) {
        }

        @Override
        public void message(String message) {
        }

        @Override
        public void close() {
        }
    }

    /** progressbar's bar, drawn on {@code line}. */
    private record Bar(ProgressBar bar, Line line) implements Progress {
        @Override
        public void stepTo(long done) {
            bar.stepTo(done);
        }

        @Override
        public void stepBy(long n) {
            bar.stepBy(n);
        }

        @Override
        public void total(long total) {
            bar.maxHint(total);
        }

        @Override
        public void message(String message) {
            bar.setExtraMessage(" " + message);
        }

        @Override
        public void close() {
            bar.close();
            // progressbar 0.10.1 ends the line only when its closing redraw is not also its first: a bar closed
            // before its first tick would leave the next output on the bar's line
            line.close();
        }
    }

    /**
     * Writes {@code '\r'} and the bar (trimmed to the width); ends the line once, when closed, and draws nothing after:
     * progressbar 0.10.1 may close a bar twice (its last tick and {@code close()} both see it stopped) and redraws
     * before each, which would put a second bar, unended, under the first.
     */
    private static final class Line extends ConsoleProgressBarConsumer {
        private boolean closed;

        Line(PrintStream out, int width) {
            super(out, width);
        }

        @Override
        public synchronized void accept(String rendered) {
            if (!closed) {
                super.accept(rendered);
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                super.close();
            }
        }
    }

    /** A line when a step lands at least {@link #LINE_INTERVAL} after the last line (or the start); nothing when closed. */
    private static final class Lines implements Progress {
        private final PrintStream out;
        private final LongSupplier nanoTime;
        private final String task;
        private final String unit;
        private final long started;
        private final long initial;
        private long done;
        private long total;
        private String message = "";
        private long lastLine;

        Lines(PrintStream out, LongSupplier nanoTime, String task, String unit, long done, long total) {
            this.out = out;
            this.nanoTime = nanoTime;
            this.task = task;
            this.unit = unit;
            this.started = nanoTime.getAsLong();
            this.lastLine = started;
            this.initial = done;
            this.done = done;
            this.total = total;
        }

        @Override
        public synchronized void stepTo(long done) {
            this.done = done;
            maybePrint();
        }

        @Override
        public synchronized void stepBy(long n) {
            this.done += n;
            maybePrint();
        }

        @Override
        public synchronized void total(long total) {
            this.total = total;
        }

        @Override
        public synchronized void message(String message) {
            this.message = message;
        }

        @Override
        public void close() {
        }

        private void maybePrint() {
            long now = nanoTime.getAsLong();
            if (now - lastLine < LINE_INTERVAL.toNanos()) {
                return;
            }
            lastLine = now;
            out.println(line(now));
            out.flush();
        }

        private String line(long now) {
            StringBuilder s = new StringBuilder(task).append(": ").append(done);
            if (total > 0) {
                s.append('/').append(total);
            }
            s.append(' ').append(unit);
            if (total > 0) {
                s.append(String.format(Locale.ROOT, " (%d %%)", Math.min(100, 100 * done / total)));
            }
            if (!message.isBlank()) {
                s.append(" · ").append(message.strip());
            }
            long elapsed = now - started;
            s.append(" · ").append(duration(elapsed)).append(" elapsed");
            if (total > 0 && done > initial && done < total) {
                double perStep = (double) elapsed / (done - initial);
                s.append(", about ").append(duration((long) (perStep * (total - done)))).append(" left");
            }
            return s.toString();
        }
    }

    /** 45 s, 3 min 05 s, 2 h 07 min. */
    static String duration(long nanos) {
        long s = Math.round(nanos / 1e9);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, s % 3600 / 60);
    }

    /**
     * Whether standard error is a terminal. {@link Console#isTerminal} asks about standard input and output; where
     * the system says what file descriptor 2 is (Linux's /proc), a redirected standard error ({@code 2>log}) is
     * caught as well.
     */
    private static boolean standardErrorIsTerminal() {
        Console console = System.console();
        if (console == null || !console.isTerminal()) {
            return false;
        }
        Path fd = Path.of("/proc/self/fd/2");
        try {
            if (Files.isSymbolicLink(fd)) {
                String target = Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            }
        } catch (IOException | SecurityException e) {
            // cannot tell: trust the console
        }
        return true;
    }
}
