package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.evomerge.EvomergeException;
import dev.evomerge.archive.ConfidenceInterval;
import dev.evomerge.archive.Hypervolume;
import dev.evomerge.tensor.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.commons.math3.stat.inference.MannWhitneyUTest;

/**
 * Runs one experiment under several strategies and seeds, each run through the normal {@link Runner} with the
 * same budget in evaluations (strategies' generations differ in size, so generations would not be fair),
 * into {@code DIR}: {@code experiment.yaml} (what is compared), {@code runs/LABEL-eN-seedS/} (the run
 * directories), {@code runs.jsonl} (one fsynced line per finished run) and {@code table.md}.
 *
 * <p>Running it again skips the runs already in runs.jsonl; a run directory left by an interrupted run is
 * resumed from its checkpoint (identical to an uninterrupted run), or started over when it cannot be.
 * Each run is scored on its first N computed evaluations, so a strategy whose last generation passes the
 * budget gains nothing from it; every hypervolume uses one reference point for all runs.
 */
public final class Comparison {
    public static final String RUNS = "runs.jsonl";
    public static final String TABLE = "table.md";
    public static final String EXPERIMENT = "experiment.yaml";
    /** Seed of the bootstrap intervals in the table: fixed, so the same runs give the same table. */
    private static final long TABLE_SEED = 20_240_601L;
    private static final YAMLMapper YAML = new YAMLMapper();

    private final ExperimentConfig experiment;
    private final List<ComparedStrategy> strategies;
    private final List<Long> seeds;
    private final long budget;
    private final Path dir;
    private final String command;

    /**
     * @param command the command line that reruns this comparison, printed at the top of the table
     */
    public Comparison(ExperimentConfig experiment, List<ComparedStrategy> strategies, long firstSeed, int seedCount, long budget, Path dir,
                      String command) {
        if (seedCount < 1 || budget < 1) {
            throw new EvomergeException("--seeds and --evaluations must be positive");
        }
        this.experiment = experiment;
        this.strategies = List.copyOf(strategies);
        List<Long> s = new ArrayList<>();
        for (long i = 0; i < seedCount; i++) {
            s.add(firstSeed + i);
        }
        this.seeds = List.copyOf(s);
        this.budget = budget;
        this.dir = dir;
        this.command = command;
    }

    /**
     * Runs what is missing, seed by seed (so an early stop leaves every strategy with about as many runs), and writes the table;
     * each run shows its progress on {@code progress} under its label and seed.
     */
    public List<ComparisonRun> run(PrintStream log, ProgressDisplay progress) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(EXPERIMENT);
            if (Files.exists(file) && !Files.readString(file).equals(experiment.toYaml())) {
                throw new EvomergeException(dir + " holds a comparison of another (or an edited) experiment (see " + file
                        + "); use another --out, or delete " + dir);
            }
            AtomicFiles.write(file, experiment.toYaml());
        } catch (IOException e) {
            throw new EvomergeException("cannot write " + dir + ": " + e.getMessage(), e);
        }
        List<ComparisonRun> done = readRuns(dir.resolve(RUNS));
        for (long seed : seeds) {
            for (ComparedStrategy s : strategies) {
                if (find(done, s, seed) != null) {
                    continue;
                }
                ComparisonRun r = runOne(s, seed, log, progress.named(s.label() + " seed " + seed));
                append(dir.resolve(RUNS), r);
                done.add(r);
                log.printf(Locale.ROOT, "%s seed %d: %d evaluations, %.1f s%n", s.label(), seed, r.evaluations(), r.seconds());
                writeTable(done);
            }
        }
        String table = writeTable(done);
        log.print(table);
        return selected(done);
    }

    private ComparisonRun runOne(ComparedStrategy s, long seed, PrintStream log, ProgressDisplay progress) {
        String name = s.fileName() + "-e" + budget + "-seed" + seed;
        Path runDir = dir.resolve("runs").resolve(name);
        ExperimentConfig config = experiment.withStrategy(s.strategy(), s.hyperparameters()).withSeed(seed)
                .withBudget(new Budget(null, budget, null));
        Runner runner = null;
        if (Files.exists(runDir.resolve(Checkpoint.FILE))) {
            try {
                runner = Runner.resume(runDir, config.budget());
                if (!sameRun(runner.config(), config)) {
                    runner.close();
                    runner = null;
                    log.println(s.label() + " seed " + seed + ": " + runDir + " holds another run; starting over");
                } else {
                    log.println(s.label() + " seed " + seed + ": resuming " + runDir);
                }
            } catch (EvomergeException e) {
                log.println(s.label() + " seed " + seed + ": cannot resume (" + e.getMessage() + "); starting over");
                runner = null;
            }
        }
        if (runner == null) {
            try {
                AtomicFiles.deleteTree(runDir); // a run that never reached its first checkpoint, or one we cannot trust
            } catch (IOException e) {
                throw new EvomergeException("cannot clear " + runDir + ": " + e.getMessage(), e);
            }
            runner = Runner.start(config, runDir);
        }
        try (Runner r = runner) {
            Runner.Summary summary = r.run(progress);
            return ComparisonRun.of(s, seed, budget, summary, RunResults.read(runDir), dir.relativize(runDir).toString());
        }
    }

    /** The same experiment, strategy and seed; the budget may differ (resume sets it). */
    private static boolean sameRun(ExperimentConfig a, ExperimentConfig b) {
        return withoutBudget(a).equals(withoutBudget(b));
    }

    /** The tree through YAML text and back: a seed set in Java is a long node, the same read from config.yaml an int node. */
    private static JsonNode withoutBudget(ExperimentConfig config) {
        ObjectNode tree = (ObjectNode) config.tree().deepCopy(); // the record hands out its own tree
        tree.remove("budget");
        try {
            return YAML.readTree(YAML.writeValueAsString(tree));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private ComparisonRun find(List<ComparisonRun> done, ComparedStrategy s, long seed) {
        String hyper = s.hyperparameters().toString();
        return done.stream().filter(r -> r.label().equals(s.label()) && r.hyperparameters().equals(hyper) && r.seed() == seed
                && r.budget() == budget).findFirst().orElse(null);
    }

    /** The finished runs this comparison asks for, in its order. */
    private List<ComparisonRun> selected(List<ComparisonRun> done) {
        List<ComparisonRun> out = new ArrayList<>();
        for (ComparedStrategy s : strategies) {
            for (long seed : seeds) {
                ComparisonRun r = find(done, s, seed);
                if (r != null) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    private String writeTable(List<ComparisonRun> done) {
        String table = table(experiment, strategies, seeds, budget, selected(done), command);
        try {
            AtomicFiles.write(dir.resolve(TABLE), table);
        } catch (IOException e) {
            throw new EvomergeException("cannot write " + dir.resolve(TABLE) + ": " + e.getMessage(), e);
        }
        return table;
    }

    /**
     * The reference point for every run's hypervolume, oriented (larger is better): the experiment's
     * {@code reference} if it has one, else the worst value of each objective over all runs' budgeted
     * evaluations less a tenth of its spread (the Runner's rule for one run, applied once to all of them).
     */
    static double[] referencePoint(ExperimentConfig experiment, List<Objective> objectives, List<ComparisonRun> runs) {
        int m = objectives.size();
        double[] r = new double[m];
        if (experiment.reference() != null) {
            for (int i = 0; i < m; i++) {
                r[i] = objectives.get(i).orient(experiment.reference()[i]);
            }
            return r;
        }
        for (int i = 0; i < m; i++) {
            double worst = Double.POSITIVE_INFINITY;
            double best = Double.NEGATIVE_INFINITY;
            for (ComparisonRun run : runs) {
                worst = Math.min(worst, objectives.get(i).orient(run.worst()[i]));
                best = Math.max(best, objectives.get(i).orient(run.best()[i]));
            }
            double spread = best - worst;
            r[i] = worst - (spread > 0 ? 0.1 * spread : Math.max(1e-9, 0.1 * Math.abs(worst)));
        }
        return r;
    }

    /** The markdown table over {@code runs} (those of this comparison): one row per strategy. */
    static String table(ExperimentConfig experiment, List<ComparedStrategy> strategies, List<Long> seeds, long budget, List<ComparisonRun> runs,
                        String command) {
        StringBuilder out = new StringBuilder("# Comparison: " + experiment.name() + "\n\n");
        out.append("```\n").append(command).append("\n```\n\n");
        if (runs.isEmpty()) {
            return out.append("No finished runs yet.\n").toString();
        }
        List<Objective> objectives = runs.getFirst().objectives();
        double[] reference = referencePoint(experiment, objectives, runs);
        List<String> refText = new ArrayList<>();
        for (int i = 0; i < objectives.size(); i++) {
            refText.add(objectives.get(i).name() + " = " + number(objectives.get(i).orient(reference[i])));
        }
        out.append(String.format(Locale.ROOT, "Budget: %d evaluations per run; each run is scored on its first %d computed evaluations "
                + "(repeats served from the cache are free; a last generation past the budget is not counted). Seeds %d–%d.%n%n",
                budget, budget, seeds.getFirst(), seeds.getLast()));
        out.append("Hypervolume reference point, one for all runs: ").append(String.join(", ", refText))
                .append(experiment.reference() != null ? " (the experiment's `reference`)."
                        : " (derived from all " + runs.size() + " runs: each objective's worst value less a tenth of its spread).")
                .append("\n\n");
        out.append("| strategy | hyperparameters | runs | hypervolume mean ± sd | 95 % CI of the mean | median [min, max] | vs random: p |");
        for (Objective o : objectives) {
            out.append(" best ").append(o.name()).append(o.maximize() ? " ↑" : " ↓").append(" |");
        }
        out.append(" evaluations | wall s / run |\n|---|---|---|---|---|---|---|");
        out.append("---|".repeat(objectives.size())).append("---|---|\n");
        String baseline = strategies.stream().filter(s -> s.strategy().equals("random")).findFirst().map(ComparedStrategy::label).orElse("");
        double[] randomVolumes = volumes(runs, baseline, reference);
        for (ComparedStrategy s : strategies) {
            List<ComparisonRun> mine = runs.stream().filter(r -> r.label().equals(s.label())).toList();
            double[] hv = volumes(runs, s.label(), reference);
            out.append("| ").append(s.label()).append(" | ").append(s.strategy()).append(' ')
                    .append(s.hyperparameters().toString().replace("\"", "").replace(",", ", ")).append(" | ").append(mine.size()).append(" | ");
            if (mine.isEmpty()) {
                out.append("– | – | – | – |").append(" – |".repeat(objectives.size())).append(" – | – |\n");
                continue;
            }
            ConfidenceInterval ci = ConfidenceInterval.bootstrap(hv, TABLE_SEED);
            double[] sorted = hv.clone();
            Arrays.sort(sorted);
            out.append(number(ci.mean())).append(" ± ").append(spread(hv)).append(" | [")
                    .append(number(ci.low())).append(", ").append(number(ci.high())).append("] | ")
                    .append(number(median(sorted))).append(" [").append(number(sorted[0])).append(", ").append(number(sorted[sorted.length - 1]))
                    .append("] | ").append(s.label().equals(baseline) ? "–" : pVersusRandom(hv, randomVolumes)).append(" |");
            for (int i = 0; i < objectives.size(); i++) {
                int k = i;
                double[] best = mine.stream().mapToDouble(r -> r.best()[k]).toArray();
                out.append(' ').append(number(mean(best))).append(" ± ").append(spread(best)).append(" |");
            }
            long lo = mine.stream().mapToLong(ComparisonRun::evaluations).min().orElseThrow();
            long hi = mine.stream().mapToLong(ComparisonRun::evaluations).max().orElseThrow();
            out.append(' ').append(lo == hi ? String.valueOf(lo) : lo + "–" + hi).append(" | ")
                    .append(String.format(Locale.ROOT, "%.1f", mine.stream().mapToDouble(ComparisonRun::seconds).average().orElseThrow()))
                    .append(" |\n");
        }
        out.append("\nHypervolume of the front of each run's budgeted evaluations; mean ± sample standard deviation over seeds; "
                + "the interval is a percentile bootstrap of the mean over seeds (2,000 resamples); p is the two-sided Mann–Whitney U "
                + "test of the strategy's hypervolumes against random search's (normal approximation, so with few seeds a guide, not a "
                + "verdict); best values are mean ± sd over seeds of each run's best; evaluations are what runs spent in all "
                + "(whole generations); wall seconds include the evaluations past the budget.\n");
        return out.toString();
    }

    private static String pVersusRandom(double[] hv, double[] random) {
        if (random.length < 2 || hv.length < 2) {
            return "–";
        }
        double p = new MannWhitneyUTest().mannWhitneyUTest(hv, random);
        return Double.isNaN(p) ? "–" : String.format(Locale.ROOT, "%.2g", p);
    }

    private static double[] volumes(List<ComparisonRun> runs, String label, double[] reference) {
        return runs.stream().filter(r -> r.label().equals(label)).mapToDouble(r -> Hypervolume.of(r.orientedFront(), reference)).toArray();
    }

    private static String number(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** The sample standard deviation, or a dash for one run (whose spread is unknown, not zero). */
    private static String spread(double[] v) {
        return v.length < 2 ? "–" : number(sd(v));
    }

    private static double sd(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The finished runs; a torn last line (a crash mid-write) is cut off, anything else unreadable is an error. */
    static List<ComparisonRun> readRuns(Path file) {
        List<ComparisonRun> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            String[] lines = Files.readString(file, StandardCharsets.UTF_8).split("\n", -1);
            long good = 0;
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                if (i == lines.length - 1) {
                    if (!line.isEmpty()) { // no newline after it: the write did not finish
                        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                            ch.truncate(good);
                            ch.force(true);
                        }
                    }
                    break;
                }
                try {
                    out.add(ComparisonRun.parse(line));
                } catch (IOException | RuntimeException e) {
                    throw new EvomergeException(file + ":" + (i + 1) + ": not a finished run; delete the line to run it again");
                }
                good += line.getBytes(StandardCharsets.UTF_8).length + 1;
            }
        } catch (IOException e) {
            throw new EvomergeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static void append(Path file, ComparisonRun r) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer line = ByteBuffer.wrap((r.toJson() + "\n").getBytes(StandardCharsets.UTF_8));
            while (line.hasRemaining()) {
                ch.write(line);
            }
            ch.force(true);
        } catch (IOException e) {
            throw new EvomergeException("cannot append to " + file + ": " + e.getMessage(), e);
        }
    }
}
