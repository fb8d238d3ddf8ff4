package dev.evomerge.fitness;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import dev.evomerge.search.Outcome;
import dev.evomerge.search.Strategies;
import dev.evomerge.search.Strategy;
import dev.evomerge.tensor.TensorInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * The M2N2 paper's digits experiments (Abrantes et al., 2025; code: SakanaAI/natural_niches): a whole MLP
 * 64-256-10 parameter vector is the genome, fitness is per-datapoint correctness on the training split,
 * the budget is counted in forward passes over the training set, and the best genome by training accuracy
 * is scored on the test split at the end. It drives a strategy's ask / tell directly, with the same budget
 * accounting for every strategy, so they compare on equal passes.
 *
 * <p>Every outcome has three objectives: the training accuracy, and the accuracies on odd and on even
 * digits (the behaviour descriptors of the paper's MAP-Elites), with the per-row correctness as datapoints
 * (M2N2's score matrix).
 */
public final class DigitsReproduction {
    /** Multiply-adds of one pass of the MLP over {@code rows} rows, counted as 2 FLOP each. */
    static double passFlop(MlpClassifier mlp, int rows) {
        double flop = 0;
        for (int l = 0; l < mlp.layers(); l++) {
            flop += 2.0 * rows * mlp.layerSizes().get(l) * mlp.layerSizes().get(l + 1);
        }
        return flop;
    }

    /** One strategy's run: the accuracies of its best genome (by training accuracy) and the wall time. */
    public record RunResult(String label, String strategy, long seed, int passes, double trainAccuracy, double testAccuracy, double seconds) {
    }

    private final MlpClassifier mlp;
    private final LabelledData train;
    private final MlpForward trainForward;
    private final MlpForward testForward;
    private final boolean[] odd;

    public DigitsReproduction(MlpClassifier mlp, LabelledData train, LabelledData test) {
        this.mlp = mlp;
        this.train = train;
        this.trainForward = new MlpForward(mlp, train);
        this.testForward = new MlpForward(mlp, test);
        this.odd = new boolean[train.size()];
        for (int r = 0; r < odd.length; r++) {
            odd[r] = train.label(r) % 2 == 1;
        }
    }

    /**
     * The digits with the seeded 80/20 split ({@code splitSeed} null: the paper's code's unshuffled one);
     * {@code rawPixels}: pixel values 0–16 as the paper's code feeds them (else scaled to [0, 1]).
     */
    public static DigitsReproduction ofDigits(Long splitSeed, boolean rawPixels) {
        LabelledData[] split = splitSeed == null ? Digits.orderedSplit() : Digits.split(splitSeed);
        float scale = rawPixels ? 16f : 1f;
        return new DigitsReproduction(MlpClassifier.of(Digits.FEATURES, 256, 10), split[0].scaled(scale), split[1].scaled(scale));
    }

    public MlpClassifier mlp() {
        return mlp;
    }

    public int trainRows() {
        return train.size();
    }

    /** Per-row correctness of {@code genome} (the flat parameter vector, tensors in {@link MlpClassifier#tensors()} order). */
    public double[] correct(Genome genome, boolean test) {
        return (test ? testForward : trainForward).correct(genome.toArray());
    }

    /** The outcome the strategies see: (accuracy, odd-digit accuracy, even-digit accuracy) and the rows. */
    Outcome outcome(double[] correct) {
        double all = 0;
        double[] hits = new double[2];
        int[] counts = new int[2];
        for (int r = 0; r < correct.length; r++) {
            int group = odd[r] ? 0 : 1;
            hits[group] += correct[r];
            counts[group]++;
            all += correct[r];
        }
        return new Outcome(new double[] {all / correct.length, hits[0] / Math.max(1, counts[0]), hits[1] / Math.max(1, counts[1])}, correct);
    }

    static double mean(double[] values) {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return values.length == 0 ? 0 : s / values.length;
    }

    /**
     * Two MLPs trained from N(0, initStd²) with full-batch Adam on the training split's digits 0–4 and 5–9,
     * as flat genomes: the paper's pretrained starting points (10 epochs, learning rate 3e-3).
     */
    public List<Genome> trainedHalves(long seed, double initStd, int epochs, double learningRate) {
        List<Genome> halves = new ArrayList<>();
        for (Set<Integer> classes : List.of(Set.of(0, 1, 2, 3, 4), Set.of(5, 6, 7, 8, 9))) {
            Map<String, float[]> weights = mlp.train(mlp.initialize(seed + halves.size(), initStd), train.withLabels(classes), epochs, learningRate);
            double[] flat = new double[mlp.parameterCount()];
            int offset = 0;
            for (TensorInfo t : mlp.tensors()) {
                for (float v : weights.get(t.name())) {
                    flat[offset++] = v;
                }
            }
            halves.add(Genome.of(flat));
        }
        return halves;
    }

    /**
     * Runs strategy {@code name} for {@code passes} forward passes over the training set (a pass per genome
     * evaluated; a last batch is cut to the budget), seeded, from {@code starts} when given (else the
     * strategy's own starts), with genes within ±bound; scores the best genome on the test set.
     */
    public RunResult run(String label, String name, JsonNode hyperparameters, double bound, long seed, int passes,
                         List<Genome> starts, IntConsumer onPasses) {
        long start = System.nanoTime();
        Strategy strategy = Strategies.create(name, hyperparameters, Bounds.uniform(mlp.parameterCount(), -bound, bound), 3);
        if (!starts.isEmpty()) {
            strategy.startFrom(starts);
        }
        SplittableRandom random = new SplittableRandom(seed);
        Genome best = null;
        double bestAccuracy = -1;
        int used = 0;
        while (used < passes) {
            List<Genome> asked = strategy.ask(random.split());
            List<Genome> genomes = asked.subList(0, Math.min(asked.size(), passes - used));
            List<Outcome> outcomes = new ArrayList<>();
            for (Genome g : genomes) {
                Outcome outcome = outcome(correct(g, false));
                outcomes.add(outcome);
                if (outcome.objective(0) > bestAccuracy) {
                    bestAccuracy = outcome.objective(0);
                    best = g;
                }
            }
            used += genomes.size();
            onPasses.accept(genomes.size());
            if (genomes.size() < asked.size()) {
                break; // a strategy told only part of its batch would see a partial generation
            }
            strategy.tell(genomes, outcomes);
        }
        double test = mean(correct(best, true));
        return new RunResult(label, name, seed, used, bestAccuracy, test, (System.nanoTime() - start) / 1e9);
    }

    /** Forward passes per second over the training set, for a random genome (conversion included). */
    public double passesPerSecond(int repeats) {
        SplittableRandom random = new SplittableRandom(1);
        double[] flat = new double[mlp.parameterCount()];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = random.nextGaussian() * 0.1;
        }
        Genome g = Genome.of(flat);
        for (int i = 0; i < Math.max(3, repeats / 10); i++) {
            correct(g, false);
        }
        long start = System.nanoTime();
        for (int i = 0; i < repeats; i++) {
            correct(g, false);
        }
        return repeats / ((System.nanoTime() - start) / 1e9);
    }

    /** The engine's (DJL on PyTorch) float32 matmul rate in FLOP/s on square {@code n}×{@code n} products. */
    public static double matmulFlopRate(int n, int repeats) {
        try (NDManager scope = NDManager.newBaseManager()) {
            NDArray a = scope.randomNormal(new Shape(n, n), DataType.FLOAT32);
            NDArray b = scope.randomNormal(new Shape(n, n), DataType.FLOAT32);
            for (int i = 0; i < 3; i++) {
                try (NDManager step = scope.newSubManager()) {
                    a.matMul(b).tempAttach(step);
                }
            }
            long start = System.nanoTime();
            for (int i = 0; i < repeats; i++) {
                try (NDManager step = scope.newSubManager()) {
                    NDArray c = a.matMul(b);
                    c.tempAttach(step);
                    c.getFloat(0, 0);
                }
            }
            return repeats * 2.0 * n * n * n / ((System.nanoTime() - start) / 1e9);
        }
    }

    /** Prints the throughput line: passes per second beside what the matmul rate would allow. */
    public void reportThroughput(PrintWriter out, int repeats) {
        double pps = passesPerSecond(repeats);
        double flops = matmulFlopRate(512, 20);
        double flopPerPass = passFlop(mlp, trainRows());
        out.printf("forward passes over the training set (%d rows, %.1f MFLOP each): %.0f/s = %.2f GFLOP/s%n",
                trainRows(), flopPerPass / 1e6, pps, pps * flopPerPass / 1e9);
        out.printf("float32 matmul 512x512 (DJL/PyTorch): %.2f GFLOP/s; passes reach %.0f%% of it; 50,000 passes take %.0f s%n",
                flops / 1e9, 100 * pps * flopPerPass / flops, 50_000 / pps);
    }
}
