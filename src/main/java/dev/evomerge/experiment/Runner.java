package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.archive.ParetoArchive;
import dev.evomerge.cluster.ClusterEvaluators;
import dev.evomerge.cluster.SharedSecret;
import dev.evomerge.genome.Genome;
import dev.evomerge.search.Outcome;
import dev.evomerge.search.Strategies;
import dev.evomerge.search.Strategy;
import dev.evomerge.tensor.AtomicFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The one loop of every search: ask the strategy, evaluate (repeats served from a cache), tell, log every
 * evaluation, keep the Pareto archive, checkpoint. Randomness comes only from the seed: step {@code g}
 * asks with a generator seeded from (seed, g), so a run resumed from its checkpoint draws exactly what
 * the uninterrupted run would have drawn.
 *
 * <p>A run directory holds {@code config.yaml} (what resume reads), {@code checkpoint.json} (after every
 * generation, atomically), {@code evaluations.jsonl} (one line per evaluation, fsynced before the
 * checkpoint that counts it), {@code pareto.json} and {@code run.log}. A run killed at any moment resumes
 * from its last checkpoint: the log is cut back to what that checkpoint counts, and the generation after
 * it is run again, identically.
 */
public final class Runner implements AutoCloseable {
    public static final String CONFIG = "config.yaml";
    public static final String LOG = "evaluations.jsonl";
    public static final String PARETO = "pareto.json";
    public static final String RUN_LOG = "run.log";
    public static final String REFERENCES = "references.json";
    public static final String HELDOUT = "heldout.jsonl";
    /** Evaluations remembered for repeats (least recently used go first). */
    private static final int CACHE_SIZE = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final org.slf4j.Logger LOGGER = org.slf4j.LoggerFactory.getLogger(Runner.class);

    private final ExperimentConfig config;
    private final Path runDir;
    private final Problem problem;
    private final Evaluator evaluator;
    /** Whether this session has said that the strategy's generations are smaller than the pool of evaluators. */
    private boolean toldPoolSize;
    private final List<Objective> objectives;
    private final Strategy strategy;
    private final ParetoArchive archive = new ParetoArchive();
    private final Map<Genome, Evaluation> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Genome, Evaluation> eldest) {
            return size() > CACHE_SIZE;
        }
    };
    private final List<LoggedEvaluation> frontRecords = new ArrayList<>();
    private final List<Double> hypervolume = new ArrayList<>();
    private long generation;
    private long evaluated;
    private double elapsedBefore;
    private double[] reference;
    private JsonLines log;
    /** Held-out evaluations of front points, by evaluation number (heldout.jsonl). */
    private final Map<Long, Evaluation> heldout = new LinkedHashMap<>();
    private JsonLines heldoutLog;
    private Runnable afterCheckpoint = () -> { };
    /** Set for a run directory that start() made: deleted if the run fails before its first generation is logged. */
    private boolean discardOnEarlyFailure;
    private boolean closed;

    /** Summary of a finished (or stopped) run. */
    public record Summary(Path runDir, long generations, long evaluations, int frontSize, double hypervolume, double seconds) {
    }

    private Runner(ExperimentConfig config, Path runDir) {
        this.config = config;
        this.runDir = runDir;
        this.problem = config.problem().open(config.workers().device(0, config.device()));
        try {
            ClusterSettings cluster = config.workers().cluster();
            this.evaluator = cluster == null ? new LocalEvaluators(problem, config.problem(), config.workers(), config.device())
                    : ClusterEvaluators.start(cluster, SharedSecret.fromEnvironment(cluster.secretEnv()), config.toYaml(), problem.objectives());
        } catch (RuntimeException e) {
            problem.close();
            throw e;
        }
        this.objectives = problem.objectives();
        this.strategy = Strategies.create(config.strategy(), config.hyperparameters(), problem.bounds(), objectives.size());
        if (config.reference() != null) {
            reference = new double[objectives.size()];
            for (int i = 0; i < reference.length; i++) {
                reference[i] = objectives.get(i).orient(config.reference()[i]);
            }
        }
    }

    /** Creates {@code output/NAME/RUN_ID} (or {@code out} itself), writes config.yaml and the first checkpoint. */
    public static Runner start(ExperimentConfig config, Path out) {
        Path runDir = out != null ? out : config.output().resolve(config.name()).resolve(
                DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now()) + "-seed" + config.seed());
        if (Files.exists(runDir.resolve(Checkpoint.FILE))) {
            throw new EvomergeException(runDir + " already holds a run; continue it with: ./run.sh resume " + runDir);
        }
        boolean created = !Files.exists(runDir);
        try {
            Files.createDirectories(runDir);
            AtomicFiles.write(runDir.resolve(CONFIG), config.toYaml());
            Files.deleteIfExists(runDir.resolve(LOG));
        } catch (IOException e) {
            throw new EvomergeException(runDir + ": cannot create the run directory: " + e.getMessage(), e);
        }
        Runner runner = null;
        try {
            config.problem().layout().write(runDir);
            runner = new Runner(config, runDir);
            runner.discardOnEarlyFailure = created;
            runner.writeReferences();
            runner.log = JsonLines.create(runDir.resolve(LOG));
            runner.heldoutLog = JsonLines.create(runDir.resolve(HELDOUT));
            runner.checkpoint();
            return runner;
        } catch (RuntimeException e) {
            // a run that fails before its first evaluation leaves nothing that looks like a run behind
            if (runner != null) {
                runner.close();
            }
            if (created) {
                deleteQuietly(runDir);
            }
            throw e;
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            AtomicFiles.deleteTree(dir);
        } catch (IOException ignored) {
            // the error being reported matters more
        }
    }

    /** Reopens a run from its checkpoint; {@code budget}, when given, replaces the one it had. */
    public static Runner resume(Path runDir, Budget budget) {
        return resume(runDir, budget, null);
    }

    /** Reopens a run; {@code budget} and {@code workers}, when given, replace what it had (workers never change results). */
    public static Runner resume(Path runDir, Budget budget, Workers workers) {
        if (!Files.isRegularFile(runDir.resolve(CONFIG))) {
            throw new EvomergeException(runDir + ": no " + CONFIG + "; not a run directory");
        }
        ExperimentConfig config = ExperimentConfig.read(runDir.resolve(CONFIG));
        if (budget != null || workers != null) {
            config = budget == null ? config : config.withBudget(budget);
            config = workers == null ? config : config.withWorkers(workers);
            try {
                AtomicFiles.write(runDir.resolve(CONFIG), config.toYaml());
            } catch (IOException e) {
                throw new EvomergeException(runDir.resolve(CONFIG) + ": cannot write: " + e.getMessage(), e);
            }
        }
        Checkpoint checkpoint = Checkpoint.read(runDir);
        RunLayout.check(runDir, config.problem().layout());
        if (!checkpoint.strategy().equals(config.strategy())) {
            throw new EvomergeException(runDir + ": checkpoint is of strategy " + checkpoint.strategy() + " but config.yaml says "
                    + config.strategy() + "; the run directory has been tampered with");
        }
        Runner runner = new Runner(config, runDir);
        try {
            runner.strategy.restore(checkpoint.strategyState());
        } catch (RuntimeException e) {
            throw new EvomergeException(runDir.resolve(Checkpoint.FILE) + ": strategy state does not fit this experiment ("
                    + e.getMessage() + ")");
        }
        runner.generation = checkpoint.generation();
        runner.evaluated = checkpoint.evaluated();
        runner.elapsedBefore = checkpoint.elapsed();
        runner.reference = checkpoint.reference();
        runner.hypervolume.addAll(checkpoint.hypervolume());
        runner.log = JsonLines.resume(runDir.resolve(LOG), checkpoint.logLines(), checkpoint.logBytes(),
                line -> runner.record(LoggedEvaluation.parse(line, runner.objectives)));
        runner.heldoutLog = JsonLines.resume(runDir.resolve(HELDOUT), checkpoint.heldoutLines(), checkpoint.heldoutBytes(),
                line -> {
                    LoggedEvaluation e = LoggedEvaluation.parse(line, runner.objectives);
                    runner.heldout.put(e.number(), e.evaluation());
                });
        return runner;
    }

    public Path runDir() {
        return runDir;
    }

    /** Called after every generation's checkpoint (plots and reports refresh from here). */
    public Runner afterCheckpoint(Runnable listener) {
        this.afterCheckpoint = listener;
        return this;
    }

    public ExperimentConfig config() {
        return config;
    }

    /** Runs until the budget is spent; {@code progress} shows a bar on the terminal. */
    public Summary run(boolean progress) {
        long started = System.nanoTime();
        Budget budget = config.budget();
        try (ProgressBar bar = progress ? bar(budget) : null) {
            while (!budget.spent(generation, evaluated, elapsedBefore + (System.nanoTime() - started) / 1e9)) {
                stepOrDiscard();
                double elapsed = elapsedBefore + (System.nanoTime() - started) / 1e9;
                checkpoint(elapsed);
                afterCheckpoint.run();
                runLog(String.format("generation %d: %d evaluations, front %d, hypervolume %.6g", generation, evaluated,
                        archive.size(), hypervolume.getLast()));
                if (!strategy.note().isEmpty()) {
                    runLog(strategy.note());
                }
                if (bar != null) {
                    bar.stepTo(budget.generations() != null ? generation : evaluated);
                    bar.setExtraMessage(String.format(" evals %d · front %d · HV %.4g · best %s", evaluated, archive.size(),
                            hypervolume.getLast(), best()));
                }
            }
        }
        double elapsed = elapsedBefore + (System.nanoTime() - started) / 1e9;
        return new Summary(runDir, generation, evaluated, archive.size(), hypervolume.isEmpty() ? 0 : hypervolume.getLast(), elapsed);
    }

    private static ProgressBar bar(Budget budget) {
        long max = budget.generations() != null ? budget.generations() : budget.evaluations() != null ? budget.evaluations() : 0;
        return new ProgressBarBuilder().setTaskName("search").setStyle(ProgressBarStyle.ASCII).setInitialMax(max)
                .setUpdateIntervalMillis(500).build();
    }

    private String best() {
        double[] b = archive.best();
        if (b == null) {
            return "-";
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < b.length; i++) {
            parts.add(String.format("%s=%.4g", objectives.get(i).name(), objectives.get(i).orient(b[i])));
        }
        return String.join(" ", parts);
    }

    private void stepOrDiscard() {
        try {
            step();
        } catch (RuntimeException e) {
            if (discardOnEarlyFailure && generation == 0) {
                close();
                deleteQuietly(runDir);
            }
            throw e;
        }
        discardOnEarlyFailure = false;
    }

    /** One generation: ask, evaluate what is not cached, log, tell; then score new front points on held-out data. */
    private void step() {
        List<Genome> asked = strategy.ask(new SplittableRandom(stepSeed(config.seed(), generation)));
        if (!toldPoolSize && asked.size() < evaluator.slots()) {
            LOGGER.warn("{} asks {} candidate(s) a generation, fewer than the {} evaluators: {} of them will idle",
                    strategy.name(), asked.size(), evaluator.slots(), evaluator.slots() - asked.size());
        }
        toldPoolSize = true;
        List<Genome> fresh = new ArrayList<>();
        for (Genome g : asked) {
            if (!cache.containsKey(g) && !fresh.contains(g)) {
                fresh.add(g);
            }
        }
        long t0 = System.nanoTime();
        List<Evaluation> results = fresh.isEmpty() ? List.of() : checked(fresh, evaluate(fresh));
        double perGenome = fresh.isEmpty() ? 0 : (System.nanoTime() - t0) / 1e9 / fresh.size();
        Map<Genome, Evaluation> fromThisBatch = new LinkedHashMap<>();
        for (int i = 0; i < fresh.size(); i++) {
            fromThisBatch.put(fresh.get(i), results.get(i));
        }
        List<Outcome> outcomes = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (Genome g : asked) {
            Evaluation fromBatch = fromThisBatch.remove(g);
            boolean cached = fromBatch == null;
            Evaluation e = cached ? cache.get(g) : fromBatch;
            LoggedEvaluation logged = new LoggedEvaluation(log.lines() + lines.size(), generation, g, e, cached, e.partial(),
                    cached ? 0 : perGenome);
            lines.add(logged.toJson(objectives));
            record(logged);
            if (!cached) {
                evaluated++;
            }
            outcomes.add(new Outcome(oriented(e), e.orientedDatapoints(problem::higherIsBetter), e.partial()));
        }
        log.append(lines);
        strategy.tell(asked, outcomes);
        generation++;
        if (reference == null) {
            reference = derivedReference(outcomes);
        }
        hypervolume.add(archive.hypervolume(reference));
        scoreFrontHeldout();
    }

    /**
     * Evaluates the fresh genomes; with racing, through a screen that lets a candidate finish unless the
     * Pareto front beats its sample's scores by more than the margin (everything finishes while the archive
     * is empty). The decisions depend only on the archive, which a resumed run rebuilds: same choices.
     */
    private List<Evaluation> evaluate(List<Genome> fresh) {
        Racing racing = config.racing();
        Problem.Screen screen = null;
        if (racing != null) {
            screen = new Problem.Screen(racing, config.seed(), ParetoFinish.of(objectives, archive.front(), racing.margin()));
        }
        try {
            return evaluator.submit(fresh, screen).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** Front points without held-out scores are scored on the held-out split (reporting only; the search never reads it). */
    private void scoreFrontHeldout() {
        List<LoggedEvaluation> missing = new ArrayList<>();
        for (ParetoArchive.Entry entry : archive.front()) {
            if (!heldout.containsKey(entry.evaluation())) {
                frontRecords.stream().filter(r -> r.number() == entry.evaluation()).findFirst().ifPresent(missing::add);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        List<Evaluation> scored = problem.evaluateHeldout(missing.stream().map(LoggedEvaluation::genome).toList());
        if (scored == null) {
            return;
        }
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < missing.size(); i++) {
            LoggedEvaluation m = missing.get(i);
            heldout.put(m.number(), scored.get(i));
            lines.add(new LoggedEvaluation(m.number(), m.generation(), m.genome(), scored.get(i), false, false, 0).toJson(objectives));
        }
        heldoutLog.append(lines);
    }

    private static List<Evaluation> checked(List<Genome> genomes, List<Evaluation> results) {
        if (results.size() != genomes.size()) {
            throw new IllegalStateException("problem returned " + results.size() + " evaluations for " + genomes.size() + " genomes");
        }
        return results;
    }

    /** Adds a logged evaluation to the archive (unless raced), the cache and the line count (also used when replaying). */
    private void record(LoggedEvaluation e) {
        cache.put(e.genome(), e.evaluation());
        if (!e.raced() && archive.add(e.number(), oriented(e.evaluation()))) {
            frontRecords.add(e);
        }
    }

    private double[] oriented(Evaluation e) {
        double[] raw = e.objectives();
        double[] o = new double[raw.length];
        for (int i = 0; i < raw.length; i++) {
            o[i] = objectives.get(i).orient(raw[i]);
        }
        return o;
    }

    /** With no reference configured: the worst of the first generation, less a tenth of its spread. */
    private static double[] derivedReference(List<Outcome> first) {
        int m = first.getFirst().objectives().length;
        double[] worst = new double[m];
        double[] best = new double[m];
        java.util.Arrays.fill(worst, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(best, Double.NEGATIVE_INFINITY);
        for (Outcome o : first) {
            for (int i = 0; i < m; i++) {
                worst[i] = Math.min(worst[i], o.objective(i));
                best[i] = Math.max(best[i], o.objective(i));
            }
        }
        double[] r = new double[m];
        for (int i = 0; i < m; i++) {
            double spread = best[i] - worst[i];
            r[i] = worst[i] - (spread > 0 ? 0.1 * spread : Math.max(1e-9, 0.1 * Math.abs(worst[i])));
        }
        return r;
    }

    /** Step g's generator seed: a SplitMix64 finalizer over (seed, g), so neighbouring steps are unrelated. */
    static long stepSeed(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void checkpoint() {
        checkpoint(elapsedBefore);
    }

    private void checkpoint(double elapsed) {
        try {
            new Checkpoint(1, strategy.name(), strategy.state(), generation, evaluated, log.lines(), log.bytes(), heldoutLog.lines(),
                    heldoutLog.bytes(), elapsed, reference, hypervolume).write(runDir);
            writePareto();
        } catch (IOException e) {
            throw new EvomergeException(runDir + ": cannot checkpoint: " + e.getMessage(), e);
        }
    }

    /** pareto.json: the front, best of the first objective first, with genomes and recipes. */
    private void writePareto() throws IOException {
        Map<Long, LoggedEvaluation> byNumber = new LinkedHashMap<>();
        frontRecords.forEach(e -> byNumber.put(e.number(), e));
        ObjectNode root = JSON.createObjectNode();
        ArrayNode names = root.putArray("objectives");
        objectives.forEach(o -> names.addObject().put("name", o.name()).put("direction", o.maximize() ? "maximize" : "minimize"));
        ArrayNode front = root.putArray("front");
        java.util.Set<Long> onFront = new java.util.HashSet<>();
        for (ParetoArchive.Entry entry : archive.front()) {
            ObjectNode point = (ObjectNode) JSON.readTree(byNumber.get(entry.evaluation()).toJson(objectives));
            Evaluation held = heldout.get(entry.evaluation());
            if (held != null) {
                ObjectNode h = point.putObject("heldout");
                double[] values = held.objectives();
                for (int i = 0; i < objectives.size(); i++) {
                    h.put(objectives.get(i).name(), values[i]);
                }
            }
            front.add(point);
            onFront.add(entry.evaluation());
        }
        frontRecords.removeIf(e -> !onFront.contains(e.number()));
        AtomicFiles.write(runDir.resolve(PARETO), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    /** references.json: the problem's comparison points, evaluated once at the start of a run. */
    private void writeReferences() {
        List<Problem.Reference> references = problem.references();
        ArrayNode array = JSON.createArrayNode();
        try {
            for (Problem.Reference r : references) {
                ObjectNode node = (ObjectNode) JSON.readTree(new LoggedEvaluation(-1, -1, Genome.of(), r.evaluation(), false, false, 0).toJson(objectives));
                node.remove(List.of("n", "generation", "genome", "cached", "seconds"));
                node.put("label", r.label());
                if (r.heldout() != null) {
                    ObjectNode h = (ObjectNode) JSON.readTree(new LoggedEvaluation(-1, -1, Genome.of(), r.heldout(), false, false, 0).toJson(objectives));
                    h.remove(List.of("n", "generation", "genome", "cached", "seconds", "recipe"));
                    node.set("heldout", h);
                }
                array.add(node);
            }
            AtomicFiles.write(runDir.resolve(REFERENCES), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(array));
        } catch (IOException e) {
            throw new EvomergeException(runDir.resolve(REFERENCES) + ": cannot write: " + e.getMessage(), e);
        }
    }

    private void runLog(String line) {
        try {
            Files.writeString(runDir.resolve(RUN_LOG), Instant.now() + " " + line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new EvomergeException(runDir.resolve(RUN_LOG) + ": cannot write: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (log != null) {
            log.close();
        }
        if (heldoutLog != null) {
            heldoutLog.close();
        }
        evaluator.close();
        problem.close();
    }
}
