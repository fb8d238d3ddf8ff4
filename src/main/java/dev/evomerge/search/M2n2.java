package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * {@code m2n2}: Model Merging of Natural Niches ("Competition and Attraction Improve Model Fusion", Abrantes
 * et al., 2025), steady state, as ask / tell.
 *
 * <ul>
 *   <li>An archive of {@code population} genomes (whole parameter vectors) and a score matrix
 *       S[model, datapoint] from the outcomes' per-datapoint scores (made non-negative per datapoint).</li>
 *   <li>Resource sharing: with z_j = Σ_k S_kj (0 read as 1), F = S / z^α, fitness f_i = Σ_j F_ij;
 *       α = 0 is a plain GA's summed score.</li>
 *   <li>Parent 1 drawn in proportion to f; parent 2 by attraction, in proportion to
 *       Σ_j max(0, F_bj − F_aj) with a = parent 1 (uniform without the matchmaker).</li>
 *   <li>Crossover: a random split point and a random ratio w; before the split the parents are SLERPed
 *       with w, after it with 1 − w; optional Gaussian mutation.</li>
 *   <li>A child replaces the archive's worst member, by fitness with the child counted, unless it is the
 *       worst itself.</li>
 * </ul>
 * Until the archive is full, asks are random starts (uniform in the bounds, or N(0, init_std²)). Without
 * per-datapoint scores the objective is the only "datapoint". Ablations: {@code crossover: false},
 * {@code split_point: false}, {@code matchmaker: false}, {@code alpha: 0}.
 */
public final class M2n2 implements Strategy {
    private final Bounds bounds;
    private final int populationSize;
    private final int batch;
    private final double alpha;
    private final boolean crossover;
    private final boolean splitPoint;
    private final boolean matchmaker;
    private final double mutationStd;
    private final double initStd;
    private final List<double[]> archive = new ArrayList<>();
    private final List<double[]> scores = new ArrayList<>();

    private M2n2(Bounds bounds, int populationSize, int batch, double alpha, boolean crossover, boolean splitPoint, boolean matchmaker,
                 double mutationStd, double initStd) {
        this.bounds = bounds;
        this.populationSize = populationSize;
        this.batch = batch;
        this.alpha = alpha;
        this.crossover = crossover;
        this.splitPoint = splitPoint;
        this.matchmaker = matchmaker;
        this.mutationStd = mutationStd;
        this.initStd = initStd;
    }

    static M2n2 of(Hyperparameters h, Bounds bounds) {
        return new M2n2(bounds, h.integer("population", 20, 2), h.integer("batch", 1, 1), h.number("alpha", 1.0, 0, 10),
                h.flag("crossover", true), h.flag("split_point", true), h.flag("matchmaker", true),
                h.number("mutation_std", 0.0, 0, Double.MAX_VALUE), h.number("init_std", 0.0, 0, Double.MAX_VALUE));
    }

    @Override
    public String name() {
        return "m2n2";
    }

    @Override
    public List<Genome> ask(RandomGenerator random) {
        List<Genome> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            out.add(archive.size() < populationSize ? start(random) : child(random));
        }
        return out;
    }

    private Genome start(RandomGenerator random) {
        if (initStd <= 0) {
            return RandomSearch.uniform(bounds, random);
        }
        double[] x = new double[bounds.dimension()];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextGaussian() * initStd;
        }
        return bounds.clip(x);
    }

    private Genome child(RandomGenerator random) {
        double[][] shared = shared();
        double[] fitness = fitness(shared);
        int a = draw(fitness, random);
        double[] attraction = new double[archive.size()];
        for (int b = 0; b < attraction.length; b++) {
            for (int j = 0; j < shared[a].length; j++) {
                attraction[b] += Math.max(0, shared[b][j] - shared[a][j]);
            }
        }
        int b = matchmaker ? draw(attraction, random) : random.nextInt(archive.size());
        double[] p1 = archive.get(a);
        double[] p2 = archive.get(b);
        double[] x;
        if (!crossover) {
            x = p1.clone();
        } else {
            double w = random.nextDouble();
            int split = splitPoint ? random.nextInt(p1.length) : p1.length;
            x = new double[p1.length];
            slerp(w, p1, p2, 0, split, x);
            slerp(1 - w, p1, p2, split, p1.length, x);
        }
        if (mutationStd > 0) {
            for (int i = 0; i < x.length; i++) {
                x[i] += random.nextGaussian() * mutationStd;
            }
        }
        return bounds.clip(x);
    }

    /** Spherical interpolation of v0[from, to) toward v1 by t, into out; linear when nearly colinear. */
    static void slerp(double t, double[] v0, double[] v1, int from, int to, double[] out) {
        double n0 = 0;
        double n1 = 0;
        double dot = 0;
        for (int i = from; i < to; i++) {
            n0 += v0[i] * v0[i];
            n1 += v1[i] * v1[i];
            dot += v0[i] * v1[i];
        }
        double cos = dot / (Math.sqrt(n0) > 1e-8 ? Math.sqrt(n0) : 1) / (Math.sqrt(n1) > 1e-8 ? Math.sqrt(n1) : 1);
        if (Math.abs(cos) > 0.9995) {
            for (int i = from; i < to; i++) {
                out[i] = (1 - t) * v0[i] + t * v1[i];
            }
            return;
        }
        double omega = Math.acos(cos);
        double s0 = Math.sin((1 - t) * omega) / Math.sin(omega);
        double s1 = Math.sin(t * omega) / Math.sin(omega);
        for (int i = from; i < to; i++) {
            out[i] = s0 * v0[i] + s1 * v1[i];
        }
    }

    /** A draw in proportion to the weights (uniform when they are all zero). */
    private static int draw(double[] weights, RandomGenerator random) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        if (!(total > 0)) {
            return random.nextInt(weights.length);
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    /** F = S / z^α over the archive's rows, scores made non-negative per datapoint. */
    double[][] shared() {
        int m = scores.size();
        int d = scores.getFirst().length;
        double[][] f = new double[m][d];
        for (int j = 0; j < d; j++) {
            double min = 0;
            for (double[] row : scores) {
                min = Math.min(min, row[j]);
            }
            double z = 0;
            for (double[] row : scores) {
                z += row[j] - min;
            }
            double share = Math.pow(z == 0 ? 1 : z, alpha);
            for (int i = 0; i < m; i++) {
                f[i][j] = (scores.get(i)[j] - min) / share;
            }
        }
        return f;
    }

    static double[] fitness(double[][] shared) {
        double[] f = new double[shared.length];
        for (int i = 0; i < shared.length; i++) {
            for (double v : shared[i]) {
                f[i] += v;
            }
        }
        return f;
    }

    @Override
    public void tell(List<Genome> genomes, List<Outcome> outcomes) {
        for (int k = 0; k < genomes.size(); k++) {
            double[] row = outcomes.get(k).datapoints();
            if (row.length == 0) {
                row = new double[] {outcomes.get(k).objective(0)};
            }
            archive.add(genomes.get(k).toArray());
            scores.add(row);
            if (archive.size() > populationSize) {
                // the child is in; the worst goes, unless that is the child itself (then it does not enter)
                double[] fitness = fitness(shared());
                int worst = 0;
                for (int i = 1; i < fitness.length; i++) {
                    if (fitness[i] < fitness[worst]) {
                        worst = i;
                    }
                }
                archive.remove(worst);
                scores.remove(worst);
            }
        }
    }

    /** The archive's genomes (copies), for tests and reports. */
    List<double[]> archive() {
        return archive.stream().map(double[]::clone).toList();
    }

    @Override
    public JsonNode state() {
        ObjectNode state = JsonNodeFactory.instance.objectNode();
        ArrayNode a = state.putArray("archive");
        ArrayNode s = state.putArray("scores");
        for (int i = 0; i < archive.size(); i++) {
            ArrayNode g = a.addArray();
            for (double v : archive.get(i)) {
                g.add(v);
            }
            ArrayNode r = s.addArray();
            for (double v : scores.get(i)) {
                r.add(v);
            }
        }
        return state;
    }

    @Override
    public void restore(JsonNode state) {
        archive.clear();
        scores.clear();
        for (int i = 0; i < state.get("archive").size(); i++) {
            archive.add(JeneticsPopulation.doubles(state.get("archive").get(i)));
            scores.add(JeneticsPopulation.doubles(state.get("scores").get(i)));
        }
    }
}
