package dev.evomerge.report;

import dev.evomerge.experiment.RunDirectory;
import dev.evomerge.EvomergeException;
import dev.evomerge.archive.ParetoArchive;
import dev.evomerge.experiment.Checkpoint;
import dev.evomerge.experiment.ExperimentConfig;
import dev.evomerge.experiment.FrontPick;
import dev.evomerge.experiment.LoggedEvaluation;
import dev.evomerge.experiment.Objective;
import dev.evomerge.experiment.RunResults;
import dev.evomerge.experiment.Runner;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the charts of a run are drawn from, kept up to date by reading only the lines of
 * {@code evaluations.jsonl} added since the last {@link #read}: every evaluation's objectives and generation,
 * the Pareto front (the same archive, in the same order, as the Runner's), the hypervolume after each
 * generation and the best value of each objective after each evaluation, both against the number of
 * evaluations made (cached lines cost nothing and do not count, as in the budget).
 *
 * <p>A log that no longer holds what was read (truncated by a resume, then perhaps grown again) is read
 * again from the start. Raced evaluations (scored on a subset of the data) stay out of the front and the
 * best so far, as they stay out of the Runner's archive.
 *
 * @implNote not thread-safe: one thread reads and draws.
 */
public final class RunHistory {
    /** A step function of the number of evaluations: {@code y[i]} holds from {@code x[i]} to the next x. */
    public record Steps(double[] x, double[] y) {
        public Steps {
            if (x.length != y.length) {
                throw new IllegalArgumentException(x.length + " x values, " + y.length + " y values");
            }
            x = x.clone();
            y = y.clone();
        }

        @Override
        public double[] x() {
            return x.clone();
        }

        @Override
        public double[] y() {
            return y.clone();
        }

        public int size() {
            return x.length;
        }

        /** The value at {@code evaluations}: that of the last step at or before it; NaN before the first. */
        public double at(double evaluations) {
            int i = Arrays.binarySearch(x, evaluations);
            if (i < 0) {
                i = -i - 2;
            } else {
                while (i + 1 < x.length && x[i + 1] == evaluations) {
                    i++;
                }
            }
            return i < 0 ? Double.NaN : y[i];
        }
    }

    private final RunResults run;
    private final Path log;
    private final List<Objective> objectives;
    private final double[] referencePoint;
    private final int m;

    private long offset;
    private byte[] lastLine = new byte[0];
    private int lines;
    private long evaluated;
    private double seconds;
    private long[] generation;
    private double[] values;
    private ParetoArchive archive = new ParetoArchive();
    private final Map<Long, LoggedEvaluation> frontRecords = new TreeMap<>();
    private boolean archiveChanged;
    private final StepList hypervolume = new StepList();
    private long hypervolumeGeneration = -1;
    private StepList[] best;

    private RunHistory(RunResults run, double[] referencePoint) {
        this.run = run;
        this.log = run.runDir().resolve(RunDirectory.LOG);
        this.objectives = run.objectives();
        this.m = objectives.size();
        if (referencePoint.length != m) {
            throw new IllegalArgumentException("reference point of " + referencePoint.length + " values for " + m + " objectives");
        }
        this.referencePoint = referencePoint.clone();
        reset();
    }

    /**
     * An empty history of {@code run}; {@code referencePoint} bounds its hypervolume, in oriented units
     * (larger is better, as the Runner's checkpoint records it).
     */
    public static RunHistory of(RunResults run, double[] referencePoint) {
        return new RunHistory(run, referencePoint);
    }

    private void reset() {
        offset = 0;
        lastLine = new byte[0];
        lines = 0;
        evaluated = 0;
        seconds = 0;
        generation = new long[1024];
        values = new double[1024 * m];
        archive = new ParetoArchive();
        frontRecords.clear();
        archiveChanged = false;
        hypervolume.clear();
        hypervolumeGeneration = -1;
        best = new StepList[m];
        for (int i = 0; i < m; i++) {
            best[i] = new StepList();
        }
    }

    /**
     * Reads the complete lines added to the log since the last call, up to byte {@code limit} (a checkpoint's
     * {@code logBytes}, so that what is drawn is what a resume would keep; {@code Long.MAX_VALUE}: to the end).
     * A partial last line is left for the next call. Returns the number of lines read.
     */
    public int read(long limit) {
        try (FileChannel channel = FileChannel.open(log, StandardOpenOption.READ)) {
            long size = Math.min(limit, channel.size());
            if (size < offset || !stillHoldsLastLine(channel)) {
                reset();
            }
            if (size == offset) {
                return 0;
            }
            ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(size - offset));
            while (buffer.hasRemaining() && channel.read(buffer, offset + buffer.position()) >= 0) {
                // reads until the buffer is full or the file ends
            }
            byte[] bytes = Arrays.copyOf(buffer.array(), buffer.position());
            int before = lines;
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    add(LoggedEvaluation.parse(new String(bytes, start, i - start, StandardCharsets.UTF_8), objectives));
                    lastLine = Arrays.copyOfRange(bytes, start, i + 1);
                    start = i + 1;
                }
            }
            offset += start;
            closeGeneration();
            return lines - before;
        } catch (IOException e) {
            throw new EvomergeException(log + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Whether the bytes just before the offset are still the last line read (a resume may have rewritten them). */
    private boolean stillHoldsLastLine(FileChannel channel) throws IOException {
        if (lastLine.length == 0) {
            return true;
        }
        ByteBuffer there = ByteBuffer.allocate(lastLine.length);
        long at = offset - lastLine.length;
        while (there.hasRemaining() && channel.read(there, at + there.position()) >= 0) {
            // reads the whole line back
        }
        return !there.hasRemaining() && Arrays.equals(there.array(), lastLine);
    }

    private void add(LoggedEvaluation e) {
        if (e.number() != lines) {
            throw new EvomergeException(log + ": line " + (lines + 1) + " holds evaluation " + e.number() + "; the run directory is damaged");
        }
        if (lines > 0 && e.generation() != generation[lines - 1]) {
            closeGeneration();
        }
        if (lines == generation.length) {
            generation = Arrays.copyOf(generation, 2 * lines);
            values = Arrays.copyOf(values, 2 * lines * m);
        }
        generation[lines] = e.generation();
        double[] raw = e.evaluation().objectives();
        System.arraycopy(raw, 0, values, lines * m, m);
        lines++;
        if (!e.cached()) {
            evaluated++;
        }
        seconds += e.seconds();
        if (e.raced()) {
            return;
        }
        double[] oriented = new double[m];
        for (int i = 0; i < m; i++) {
            oriented[i] = objectives.get(i).orient(raw[i]);
            if (best[i].isEmpty() || oriented[i] > objectives.get(i).orient(best[i].lastY())) {
                best[i].put(evaluated, raw[i]);
            }
        }
        if (archive.add(e.number(), oriented)) {
            frontRecords.put(e.number(), e);
            archiveChanged = true;
        }
    }

    /**
     * The hypervolume once the last generation read is complete (or as far as it was read; a later read
     * replaces that point). Per generation, not per evaluation: the exact volume of a front of thousands of
     * points in three objectives would cost more at every improvement than the search does.
     */
    private void closeGeneration() {
        if (lines == 0) {
            return;
        }
        long g = generation[lines - 1];
        double volume = archiveChanged || hypervolume.isEmpty() ? archive.hypervolume(referencePoint) : hypervolume.lastY();
        if (g == hypervolumeGeneration) {
            hypervolume.removeLast();
        }
        hypervolume.put(evaluated, volume);
        hypervolumeGeneration = g;
        archiveChanged = false;
    }

    public RunResults run() {
        return run;
    }

    public ExperimentConfig config() {
        return run.config();
    }

    public List<Objective> objectives() {
        return objectives;
    }

    public double[] referencePoint() {
        return referencePoint.clone();
    }

    /** Lines read (cached ones included). */
    public int lines() {
        return lines;
    }

    /** Evaluations made (cached lines excluded): the budget's unit. */
    public long evaluations() {
        return evaluated;
    }

    /** Generations read (the last one possibly incomplete). */
    public long generations() {
        return lines == 0 ? 0 : generation[lines - 1] + 1;
    }

    /** Seconds spent evaluating, summed over the lines read. */
    public double seconds() {
        return seconds;
    }

    public long generation(int line) {
        return generation[line];
    }

    /** The objective's value (as logged, not oriented) on each line read. */
    public double[] values(int objective) {
        double[] v = new double[lines];
        for (int i = 0; i < lines; i++) {
            v[i] = values[i * m + objective];
        }
        return v;
    }

    /** The objective's values on the lines of generations {@code from} (inclusive) to {@code to} (exclusive). */
    public double[] values(int objective, long from, long to) {
        double[] v = new double[lines];
        int k = 0;
        for (int i = 0; i < lines; i++) {
            if (generation[i] >= from && generation[i] < to) {
                v[k++] = values[i * m + objective];
            }
        }
        return Arrays.copyOf(v, k);
    }

    /** The front, in the Runner's order (by the first objective, best first; then by evaluation number). */
    public List<LoggedEvaluation> front() {
        List<LoggedEvaluation> out = new ArrayList<>();
        for (ParetoArchive.Entry entry : archive.front()) {
            out.add(frontRecords.get(entry.evaluation()));
        }
        frontRecords.keySet().retainAll(new java.util.HashSet<>(out.stream().map(LoggedEvaluation::number).toList()));
        return out;
    }

    /** The front point chosen by {@code pick} (see {@link FrontPick}). */
    public LoggedEvaluation pick(String pick) {
        return FrontPick.parse(pick, objectives).choose(front(), objectives);
    }

    /** The hypervolume after each generation, against evaluations made. */
    public Steps hypervolume() {
        return hypervolume.steps();
    }

    /** The best value so far of the objective (as logged), at each evaluation that improved it. */
    public Steps bestSoFar(int objective) {
        return best[objective].steps();
    }

    /**
     * One reference point for comparing runs' hypervolumes (oriented): the experiments' {@code reference} if
     * every run has the same one, else, as the Runner derives its own, the worst of every run's first
     * generation less a tenth of the spread. A single run keeps its own, from its checkpoint.
     */
    public static double[] commonReferencePoint(List<RunResults> runs) {
        List<Objective> objectives = runs.getFirst().objectives();
        if (runs.size() == 1) {
            double[] own = Checkpoint.read(runs.getFirst().runDir()).reference();
            if (own != null) {
                return own;
            }
        }
        double[] configured = runs.getFirst().config().reference();
        boolean shared = configured != null && runs.stream().allMatch(r -> Arrays.equals(r.config().reference(), configured));
        if (shared) {
            double[] r = new double[configured.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = objectives.get(i).orient(configured[i]);
            }
            return r;
        }
        int m = objectives.size();
        double[] worst = new double[m];
        double[] bestSeen = new double[m];
        Arrays.fill(worst, Double.POSITIVE_INFINITY);
        Arrays.fill(bestSeen, Double.NEGATIVE_INFINITY);
        for (RunResults run : runs) {
            for (LoggedEvaluation e : firstGeneration(run)) {
                for (int i = 0; i < m; i++) {
                    double o = objectives.get(i).orient(e.evaluation().objectives()[i]);
                    worst[i] = Math.min(worst[i], o);
                    bestSeen[i] = Math.max(bestSeen[i], o);
                }
            }
        }
        double[] r = new double[m];
        for (int i = 0; i < m; i++) {
            if (worst[i] == Double.POSITIVE_INFINITY) {
                throw new EvomergeException("no evaluations to place a hypervolume reference point; give the experiments a reference");
            }
            double spread = bestSeen[i] - worst[i];
            r[i] = worst[i] - (spread > 0 ? 0.1 * spread : Math.max(1e-9, 0.1 * Math.abs(worst[i])));
        }
        return r;
    }

    /** The lines of the run's generation 0, read up to the first line of generation 1. */
    private static List<LoggedEvaluation> firstGeneration(RunResults run) {
        List<LoggedEvaluation> out = new ArrayList<>();
        Path file = run.runDir().resolve(RunDirectory.LOG);
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = reader.readLine()) != null; ) {
                LoggedEvaluation e = LoggedEvaluation.parse(line, run.objectives());
                if (e.generation() != 0) {
                    break;
                }
                out.add(e);
            }
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot read: " + e.getMessage(), e);
        }
        return out;
    }

    /** A growing step function. */
    private static final class StepList {
        private double[] x = new double[64];
        private double[] y = new double[64];
        private int size;

        void put(double atX, double value) {
            if (size == x.length) {
                x = Arrays.copyOf(x, 2 * size);
                y = Arrays.copyOf(y, 2 * size);
            }
            x[size] = atX;
            y[size] = value;
            size++;
        }

        void removeLast() {
            size--;
        }

        boolean isEmpty() {
            return size == 0;
        }

        double lastY() {
            return y[size - 1];
        }

        void clear() {
            size = 0;
        }

        Steps steps() {
            return new Steps(Arrays.copyOf(x, size), Arrays.copyOf(y, size));
        }
    }
}
