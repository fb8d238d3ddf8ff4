package dev.evomerge.experiment;

import dev.evomerge.EvomergeException;
import dev.evomerge.archive.ParetoArchive;
import dev.evomerge.cluster.ClusterEvaluators;
import dev.evomerge.cluster.SharedSecret;
import dev.evomerge.genome.Genome;
import dev.evomerge.search.Outcome;
import dev.evomerge.search.Strategies;
import dev.evomerge.search.Strategy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionException;

/**
 * The one loop of every search: ask the strategy, evaluate what is new (through an {@link Evaluator}, several
 * candidates at once where there are several evaluators), tell, log every evaluation, keep the Pareto
 * archive, checkpoint. Randomness comes only from the seed: step {@code g} asks with a generator seeded
 * from (seed, g), so a run resumed from its checkpoint draws exactly what the uninterrupted run would have
 * drawn. The files are the {@link RunDirectory}'s and the {@link EvaluationLog}'s; racing's rule for
 * finishing a candidate is {@link ParetoFinish}.
 *
 * <p>A run killed at any moment resumes from its last checkpoint: the log is cut back to what that
 * checkpoint counts, and the generation after it is run again, identically.
 */
public final class Runner implements AutoCloseable {
    private static final org.slf4j.Logger LOGGER = org.slf4j.LoggerFactory.getLogger(Runner.class);

    private final ExperimentConfig config;
    private final RunDirectory dir;
    private final Problem problem;
    private final Evaluator evaluator;
    private final List<Objective> objectives;
    private final Strategy strategy;
    private final ParetoArchive archive = new ParetoArchive();
    /** The logged evaluations of the archive's points (pareto.json is written from them). */
    private final Map<Long, LoggedEvaluation> frontRecords = new LinkedHashMap<>();
    private final List<Double> hypervolume = new ArrayList<>();
    private long generation;
    private long evaluated;
    private double elapsedBefore;
    private double[] reference;
    private EvaluationLog log;
    /** Held-out evaluations of front points, by evaluation number (heldout.jsonl). */
    private final Map<Long, Evaluation> heldout = new LinkedHashMap<>();
    private JsonLines heldoutLog;
    private Runnable afterCheckpoint = () -> { };
    /** Whether this session has said that the strategy's generations are smaller than the pool of evaluators. */
    private boolean toldPoolSize;
    /** Set for a run directory that start() made: deleted if the run fails before its first generation is logged. */
    private boolean discardOnEarlyFailure;
    private boolean closed;

    /** Summary of a finished (or stopped) run. */
    public record Summary(Path runDir, long generations, long evaluations, int frontSize, double hypervolume, double seconds) {
    }

    private Runner(ExperimentConfig config, RunDirectory dir) {
        this.config = config;
        this.dir = dir;
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

    /** Creates {@code output/NAME/RUN_ID} (or {@code out} itself), writes config.yaml, the references and the first checkpoint. */
    public static Runner start(ExperimentConfig config, Path out) {
        RunDirectory dir = RunDirectory.create(config, out);
        Runner runner = null;
        try {
            runner = new Runner(config, dir);
            runner.discardOnEarlyFailure = true;
            dir.writeReferences(runner.problem.references(), runner.objectives);
            runner.log = EvaluationLog.create(dir.file(RunDirectory.LOG), runner.objectives);
            runner.heldoutLog = JsonLines.create(dir.file(RunDirectory.HELDOUT));
            runner.checkpoint(0);
            return runner;
        } catch (RuntimeException e) {
            // a run that fails before its first evaluation leaves nothing that looks like a run behind
            if (runner != null) {
                runner.close();
            }
            dir.discard();
            throw e;
        }
    }

    /** Reopens a run from its checkpoint; {@code budget}, when given, replaces the one it had. */
    public static Runner resume(Path runDir, Budget budget) {
        return resume(runDir, budget, null);
    }

    /** Reopens a run; {@code budget} and {@code workers}, when given, replace what it had (workers never change results). */
    public static Runner resume(Path runDir, Budget budget, Workers workers) {
        RunDirectory dir = RunDirectory.open(runDir);
        ExperimentConfig config = dir.config(budget, workers);
        Checkpoint checkpoint = Checkpoint.read(runDir);
        if (!checkpoint.strategy().equals(config.strategy())) {
            throw new EvomergeException(runDir + ": checkpoint is of strategy " + checkpoint.strategy() + " but config.yaml says "
                    + config.strategy() + "; the run directory has been tampered with");
        }
        Runner runner = new Runner(config, dir);
        try {
            runner.strategy.restore(checkpoint.strategyState());
        } catch (RuntimeException e) {
            runner.close();
            throw new EvomergeException(runDir.resolve(Checkpoint.FILE) + ": strategy state does not fit this experiment ("
                    + e.getMessage() + ")");
        }
        runner.generation = checkpoint.generation();
        runner.evaluated = checkpoint.evaluated();
        runner.elapsedBefore = checkpoint.elapsed();
        runner.reference = checkpoint.reference();
        runner.hypervolume.addAll(checkpoint.hypervolume());
        runner.log = EvaluationLog.resume(dir.file(RunDirectory.LOG), checkpoint.logLines(), checkpoint.logBytes(), runner.objectives,
                runner::record);
        runner.heldoutLog = JsonLines.resume(dir.file(RunDirectory.HELDOUT), checkpoint.heldoutLines(), checkpoint.heldoutBytes(),
                line -> {
                    LoggedEvaluation e = LoggedEvaluation.parse(line, runner.objectives);
                    runner.heldout.put(e.number(), e.evaluation());
                });
        // checkpoint.json is renamed into place before pareto.json: a kill between the two in the last generation
        // leaves the previous front beside a finished checkpoint, and no generation would run to rewrite it
        try {
            runner.writePareto();
        } catch (IOException e) {
            runner.close();
            throw new EvomergeException(runDir + ": cannot write " + RunDirectory.PARETO + ": " + e.getMessage(), e);
        }
        return runner;
    }

    public Path runDir() {
        return dir.path();
    }

    /** Called after every generation's checkpoint (plots and reports refresh from here). */
    public Runner afterCheckpoint(Runnable listener) {
        this.afterCheckpoint = listener;
        return this;
    }

    public ExperimentConfig config() {
        return config;
    }

    /** Runs until the budget is spent; {@code progress}: as standard error allows (see {@link ProgressDisplay}), else nothing. */
    public Summary run(boolean progress) {
        return run(progress ? ProgressDisplay.onStandardError(false) : ProgressDisplay.NONE);
    }

    /** Runs until the budget is spent, showing on {@code display} how far it got. */
    public Summary run(ProgressDisplay display) {
        long started = System.nanoTime();
        Budget budget = config.budget();
        boolean byGenerations = budget.generations() != null;
        long total = byGenerations ? budget.generations() : budget.evaluations() != null ? budget.evaluations() : 0;
        try (ProgressDisplay.Progress bar = display.start("search", byGenerations ? "generations" : "evaluations",
                byGenerations ? generation : evaluated, total)) {
            while (!budget.spent(generation, evaluated, elapsedBefore + (System.nanoTime() - started) / 1e9)) {
                stepOrDiscard();
                double elapsed = elapsedBefore + (System.nanoTime() - started) / 1e9;
                checkpoint(elapsed);
                afterCheckpoint.run();
                dir.log(String.format("generation %d: %d evaluations, front %d, hypervolume %.6g", generation, evaluated,
                        archive.size(), hypervolume.getLast()));
                if (!strategy.note().isEmpty()) {
                    dir.log(strategy.note());
                }
                bar.message(String.format("evals %d · front %d · HV %.4g · best %s", evaluated, archive.size(),
                        hypervolume.getLast(), best()));
                bar.stepTo(byGenerations ? generation : evaluated);
            }
        }
        double elapsed = elapsedBefore + (System.nanoTime() - started) / 1e9;
        return new Summary(dir.path(), generation, evaluated, archive.size(), hypervolume.isEmpty() ? 0 : hypervolume.getLast(), elapsed);
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
                dir.discard();
            }
            throw e;
        }
        discardOnEarlyFailure = false;
    }

    /** One generation: ask, evaluate what is new, log, tell; then score new front points on held-out data. */
    private void step() {
        List<Genome> asked = strategy.ask(new SplittableRandom(stepSeed(config.seed(), generation)));
        if (!toldPoolSize && asked.size() < evaluator.slots()) {
            LOGGER.warn("{} asks {} candidate(s) a generation, fewer than the {} evaluators: {} of them will idle",
                    strategy.name(), asked.size(), evaluator.slots(), evaluator.slots() - asked.size());
        }
        toldPoolSize = true;
        List<Genome> fresh = new ArrayList<>();
        for (Genome g : asked) {
            if (log.cached(g) == null && !fresh.contains(g)) {
                fresh.add(g);
            }
        }
        long t0 = System.nanoTime();
        List<Evaluation> results = fresh.isEmpty() ? List.of() : evaluate(fresh);
        if (results.size() != fresh.size()) {
            throw new IllegalStateException("evaluator returned " + results.size() + " evaluations for " + fresh.size() + " genomes");
        }
        double perGenome = fresh.isEmpty() ? 0 : (System.nanoTime() - t0) / 1e9 / fresh.size();
        Map<Genome, Evaluation> fromThisBatch = new LinkedHashMap<>();
        for (int i = 0; i < fresh.size(); i++) {
            fromThisBatch.put(fresh.get(i), results.get(i));
        }
        Map<Genome, Evaluation> seen = new LinkedHashMap<>();
        List<Outcome> outcomes = new ArrayList<>();
        List<LoggedEvaluation> logged = new ArrayList<>();
        for (Genome g : asked) {
            Evaluation e = fromThisBatch.remove(g);
            boolean cached = e == null;
            if (cached) {
                e = seen.containsKey(g) ? seen.get(g) : log.cached(g);
            }
            seen.put(g, e);
            LoggedEvaluation entry = new LoggedEvaluation(log.next() + logged.size(), generation, g, e, cached, e.partial(),
                    cached ? 0 : perGenome);
            logged.add(entry);
            record(entry);
            if (!cached) {
                evaluated++;
            }
            outcomes.add(new Outcome(oriented(e), e.orientedDatapoints(problem::higherIsBetter), e.partial()));
        }
        log.append(logged);
        strategy.tell(asked, outcomes);
        generation++;
        if (reference == null) {
            reference = derivedReference(outcomes);
        }
        hypervolume.add(archive.hypervolume(reference));
        scoreFrontHeldout();
    }

    /** Evaluates the fresh genomes, with racing through its screen over the archive's front as it stands. */
    private List<Evaluation> evaluate(List<Genome> fresh) {
        Racing racing = config.racing();
        Problem.Screen screen = null;
        if (racing != null) {
            screen = new Problem.Screen(racing, config.seed(), ParetoFinish.of(objectives, archive.front(), racing.margin()));
        }
        try {
            return evaluator.submit(fresh, screen).join();
        } catch (CompletionException e) {
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
                missing.add(frontRecords.get(entry.evaluation()));
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

    /** Adds a logged evaluation to the archive unless it was raced (also used when replaying a resumed run's log). */
    private void record(LoggedEvaluation e) {
        if (!e.raced() && archive.add(e.number(), oriented(e.evaluation()))) {
            frontRecords.put(e.number(), e);
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

    /** checkpoint.json and pareto.json; points that left the front are forgotten. */
    private void checkpoint(double elapsed) {
        try {
            new Checkpoint(1, strategy.name(), strategy.state(), generation, evaluated, log.lines(), log.bytes(), heldoutLog.lines(),
                    heldoutLog.bytes(), elapsed, reference, hypervolume).write(dir.path());
            writePareto();
        } catch (IOException e) {
            throw new EvomergeException(dir.path() + ": cannot checkpoint: " + e.getMessage(), e);
        }
    }

    /** pareto.json from the archive as it stands; points that left the front are forgotten. */
    private void writePareto() throws IOException {
        List<ParetoArchive.Entry> front = archive.front();
        frontRecords.keySet().retainAll(front.stream().map(ParetoArchive.Entry::evaluation).toList());
        dir.writePareto(objectives, front, frontRecords, heldout);
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
