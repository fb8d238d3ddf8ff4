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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The M2N2 paper's digits experiment from scratch: a whole MLP 64-256-10 parameter vector is the genome,
 * fitness is per-datapoint correctness on the training split, the budget is counted in forward passes over
 * the training set, and the best genome by training accuracy is scored on the test split at the end.
 * It drives a strategy's ask / tell directly, with the same budget accounting as a run, so strategies
 * compare on equal passes; the training and test data stay resident as NDArrays for the whole run.
 */
public final class DigitsReproduction implements AutoCloseable {
    /** Multiply-adds of one pass of 64-256-10 over {@code rows} rows, counted as 2 FLOP each. */
    static double passFlop(MlpClassifier mlp, int rows) {
        double flop = 0;
        for (int l = 0; l < mlp.layers(); l++) {
            flop += 2.0 * rows * mlp.layerSizes().get(l) * mlp.layerSizes().get(l + 1);
        }
        return flop;
    }

    /** One strategy's run: the test accuracy of its best genome and the wall time. */
    public record RunResult(String strategy, long seed, int passes, double trainAccuracy, double testAccuracy, double seconds) {
    }

    private final MlpClassifier mlp;
    private final NDManager manager;
    private final NDArray trainInputs;
    private final NDArray trainLabels;
    private final NDArray testInputs;
    private final NDArray testLabels;
    private final int trainRows;

    public DigitsReproduction(MlpClassifier mlp, LabelledData train, LabelledData test) {
        this.mlp = mlp;
        this.manager = NDManager.newBaseManager();
        this.trainInputs = manager.create(train.inputs(), new Shape(train.size(), train.features()));
        this.trainLabels = manager.create(train.labels());
        this.testInputs = manager.create(test.inputs(), new Shape(test.size(), test.features()));
        this.testLabels = manager.create(test.labels());
        this.trainRows = train.size();
    }

    public static DigitsReproduction ofDigits(long splitSeed) {
        LabelledData[] split = Digits.split(splitSeed);
        return new DigitsReproduction(MlpClassifier.of(Digits.FEATURES, 256, 10), split[0], split[1]);
    }

    public MlpClassifier mlp() {
        return mlp;
    }

    public int trainRows() {
        return trainRows;
    }

    /** Per-row correctness of {@code genome} (the flat parameter vector, tensors in {@link MlpClassifier#tensors()} order). */
    public double[] correct(Genome genome, boolean test) {
        try (NDManager scope = manager.newSubManager()) {
            Map<String, NDArray> tensors = tensors(scope, genome.toArray());
            NDArray inputs = test ? testInputs : trainInputs;
            NDArray labels = test ? testLabels : trainLabels;
            return mlp.correct(tensors, inputs, labels);
        }
    }

    /** The flat vector cut into the MLP's tensors, as float arrays in {@code scope}. */
    Map<String, NDArray> tensors(NDManager scope, double[] flat) {
        if (flat.length != mlp.parameterCount()) {
            throw new IllegalArgumentException("genome of " + flat.length + " values for an MLP of " + mlp.parameterCount());
        }
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        int offset = 0;
        for (TensorInfo t : mlp.tensors()) {
            float[] values = new float[(int) t.numel()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) flat[offset + i];
            }
            offset += values.length;
            tensors.put(t.name(), scope.create(values, new Shape(t.shape())));
        }
        return tensors;
    }

    static double mean(double[] values) {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return values.length == 0 ? 0 : s / values.length;
    }

    /**
     * Runs {@code strategy} for {@code passes} forward passes over the training set (a pass per genome
     * evaluated; the last batch is cut to the budget), seeded, and scores the best genome on the test set.
     */
    public RunResult run(String name, JsonNode hyperparameters, double bound, long seed, int passes) {
        long start = System.nanoTime();
        Bounds bounds = Bounds.uniform(mlp.parameterCount(), -bound, bound);
        Strategy strategy = Strategies.create(name, hyperparameters, bounds, 1);
        SplittableRandom random = new SplittableRandom(seed);
        Genome best = null;
        double bestAccuracy = -1;
        int used = 0;
        while (used < passes) {
            List<Genome> asked = strategy.ask(random);
            List<Genome> genomes = asked.subList(0, Math.min(asked.size(), passes - used));
            List<Outcome> outcomes = new ArrayList<>();
            for (Genome g : genomes) {
                double[] correct = correct(g, false);
                double accuracy = mean(correct);
                outcomes.add(new Outcome(new double[] {accuracy}, correct));
                if (accuracy > bestAccuracy) {
                    bestAccuracy = accuracy;
                    best = g;
                }
            }
            used += genomes.size();
            if (genomes.size() < asked.size()) {
                break; // a strategy told only part of its batch would see a partial generation
            }
            strategy.tell(genomes, outcomes);
        }
        double test = mean(correct(best, true));
        return new RunResult(name, seed, used, bestAccuracy, test, (System.nanoTime() - start) / 1e9);
    }

    /** Forward passes per second over the training set, for random genomes (conversion included). */
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

    /** The engine's float32 matmul rate in FLOP/s on square {@code n}×{@code n} products. */
    public double matmulFlopRate(int n, int repeats) {
        try (NDManager scope = manager.newSubManager()) {
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
        double flopPerPass = passFlop(mlp, trainRows);
        out.printf("forward passes over the training set (%d rows, %.1f MFLOP each): %.0f/s = %.2f GFLOP/s%n",
                trainRows, flopPerPass / 1e6, pps, pps * flopPerPass / 1e9);
        out.printf("float32 matmul 512x512: %.2f GFLOP/s; passes reach %.0f%% of it; 50,000 passes take %.0f s%n",
                flops / 1e9, 100 * pps * flopPerPass / flops, 50_000 / pps);
    }

    @Override
    public void close() {
        manager.close();
    }
}
