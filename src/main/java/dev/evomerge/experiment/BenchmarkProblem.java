package dev.evomerge.experiment;

import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.List;

/**
 * The classic test functions as problems: for trying a strategy and its settings in seconds, for the
 * Runner's tests and for {@code bench search}. ZDT1 and ZDT2 (Zitzler, Deb and Thiele, 2000) have two
 * objectives, both minimized, on [0, 1]ⁿ; DTLZ2 (Deb, Thiele, Laumanns and Zitzler, 2002) three, minimized,
 * on [0, 1]ⁿ, its front the positive eighth of the unit sphere; sphere and Rosenbrock one, minimized, on [−5, 5]ⁿ.
 */
public record BenchmarkProblem(String function, int dimension) implements Problem, ProblemSpec {
    public static final List<String> FUNCTIONS = List.of("zdt1", "zdt2", "dtlz2", "sphere", "rosenbrock");

    public BenchmarkProblem {
        if (!FUNCTIONS.contains(function)) {
            throw new EvomergeException("problem.benchmark: unknown function '" + function + "'" + DidYouMean.suggest(function, FUNCTIONS));
        }
        if (dimension < 2) {
            throw new EvomergeException("problem.dimension must be at least 2, got " + dimension);
        }
    }

    /** The functions on the unit cube. */
    private boolean zdt() {
        return function.startsWith("zdt") || function.equals("dtlz2");
    }

    @Override
    public Bounds bounds() {
        return zdt() ? Bounds.uniform(dimension, 0, 1) : Bounds.uniform(dimension, -5, 5);
    }

    @Override
    public List<Objective> objectives() {
        if (function.equals("dtlz2")) {
            return List.of(new Objective("f1", false), new Objective("f2", false), new Objective("f3", false));
        }
        return zdt() ? List.of(new Objective("f1", false), new Objective("f2", false)) : List.of(new Objective("f", false));
    }

    @Override
    public RunLayout layout() {
        Bounds b = bounds();
        List<String> genes = new java.util.ArrayList<>();
        for (int i = 0; i < b.dimension(); i++) {
            genes.add(function + " x" + i + " [" + b.lower(i) + ", " + b.upper(i) + "]");
        }
        List<String> names = objectives().stream().map(Objective::name).toList();
        return new RunLayout(genes, List.of(), names);
    }

    @Override
    public int objectiveCount() {
        return objectives().size();
    }

    @Override
    public Problem open(String device) {
        return this;
    }

    @Override
    public List<Evaluation> evaluate(List<Genome> genomes) {
        return genomes.stream().map(this::evaluate).toList();
    }

    private Evaluation evaluate(Genome x) {
        return switch (function) {
            case "zdt1", "zdt2" -> {
                double f1 = x.get(0);
                double sum = 0;
                for (int i = 1; i < x.size(); i++) {
                    sum += x.get(i);
                }
                double g = 1 + 9 * sum / (x.size() - 1);
                double h = function.equals("zdt1") ? 1 - Math.sqrt(f1 / g) : 1 - (f1 / g) * (f1 / g);
                yield Evaluation.of(f1, g * h);
            }
            case "dtlz2" -> {
                double g = 0;
                for (int i = 2; i < x.size(); i++) {
                    g += (x.get(i) - 0.5) * (x.get(i) - 0.5);
                }
                double a = x.get(0) * Math.PI / 2;
                double b = x.get(1) * Math.PI / 2;
                yield Evaluation.of((1 + g) * Math.cos(a) * Math.cos(b), (1 + g) * Math.cos(a) * Math.sin(b), (1 + g) * Math.sin(a));
            }
            case "sphere" -> {
                double s = 0;
                for (int i = 0; i < x.size(); i++) {
                    s += x.get(i) * x.get(i);
                }
                yield Evaluation.of(s);
            }
            default -> {
                double s = 0;
                for (int i = 0; i + 1 < x.size(); i++) {
                    double a = x.get(i + 1) - x.get(i) * x.get(i);
                    double b = 1 - x.get(i);
                    s += 100 * a * a + b * b;
                }
                yield Evaluation.of(s);
            }
        };
    }
}
