package dev.evomerge.experiment;

import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.OnnxEmbedder;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@code bench embeddings}: how many candidates a minute an embedding experiment scores on this machine, with
 * the tasks at the sizes its files set, and where the time goes: merging the candidate's tensors, patching
 * them into the ONNX model's bytes, building the ONNX Runtime session, and inference. Seeded random genomes,
 * after one candidate of warm-up.
 */
public final class EmbeddingBenchmark {
    private EmbeddingBenchmark() {
    }

    public record Result(String experiment, int candidates, int texts, double seconds, double mergeSeconds, OnnxEmbedder.Timings timings) {
        double perMinute() {
            return candidates / seconds * 60;
        }
    }

    public static Result measure(Path experiment, int candidates) {
        ExperimentConfig config = ExperimentConfig.read(experiment);
        if (!(config.problem() instanceof MergeProblemSpec spec)) {
            throw new EvomergeException(experiment + ": not a merge experiment");
        }
        try (MergeProblem problem = MergeProblem.open(spec, dev.evomerge.tensor.ComputeDevice.of(config.device()).resolve())) {
            if (problem.embeddingTimings() == null) {
                throw new EvomergeException(experiment + ": its tasks are not embedding tasks");
            }
            Bounds bounds = problem.bounds();
            SplittableRandom random = new SplittableRandom(config.seed());
            problem.evaluate(List.of(randomGenome(bounds, random))); // warm-up: first session, JIT
            OnnxEmbedder.Timings before = problem.embeddingTimings();
            long mergeBefore = problem.mergeNanos();
            List<Genome> genomes = new ArrayList<>();
            for (int i = 0; i < candidates; i++) {
                genomes.add(randomGenome(bounds, random));
            }
            long start = System.nanoTime();
            problem.evaluate(genomes);
            long elapsed = System.nanoTime() - start;
            OnnxEmbedder.Timings after = problem.embeddingTimings();
            OnnxEmbedder.Timings spent = new OnnxEmbedder.Timings(after.patchNanos() - before.patchNanos(),
                    after.sessionNanos() - before.sessionNanos(), after.inferenceNanos() - before.inferenceNanos(),
                    after.sessions() - before.sessions(), after.sequences() - before.sequences());
            return new Result(experiment.getFileName().toString(), candidates, (int) (spent.sequences() / candidates), elapsed / 1e9,
                    (problem.mergeNanos() - mergeBefore) / 1e9, spent);
        }
    }

    private static Genome randomGenome(Bounds bounds, SplittableRandom random) {
        double[] x = new double[bounds.dimension()];
        for (int i = 0; i < x.length; i++) {
            x[i] = bounds.lower(i) + random.nextDouble() * (bounds.upper(i) - bounds.lower(i));
        }
        return Genome.of(x);
    }

    public static void report(Result r, PrintWriter out) {
        OnnxEmbedder.Timings t = r.timings();
        double other = r.seconds() - r.mergeSeconds() - (t.patchNanos() + t.sessionNanos() + t.inferenceNanos()) / 1e9;
        out.printf("bench embeddings: %s, %d candidates, %d texts embedded per candidate, %d cores%n", r.experiment(), r.candidates(),
                r.texts(), Runtime.getRuntime().availableProcessors());
        out.printf("  candidates per minute  %.2f  (%.2f s each)%n", r.perMinute(), r.seconds() / r.candidates());
        out.printf("  %-28s %9s %8s%n", "step", "s/cand.", "share");
        row(out, "merge (task vectors, f32)", r.mergeSeconds(), r);
        row(out, "patch into the ONNX bytes", t.patchNanos() / 1e9, r);
        row(out, "ONNX Runtime session", t.sessionNanos() / 1e9, r);
        row(out, "inference (embedding)", t.inferenceNanos() / 1e9, r);
        row(out, "scoring and the rest", other, r);
        out.printf("  sessions built: %d (one per candidate, shared by its tasks)%n", t.sessions());
    }

    private static void row(PrintWriter out, String step, double seconds, Result r) {
        out.printf("  %-28s %9.3f %7.1f%%%n", step, seconds / r.candidates(), 100 * seconds / r.seconds());
    }
}
