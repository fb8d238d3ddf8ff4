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
 * et al., 2025), steady state, as ask / tell, following the paper's public code (SakanaAI/natural_niches).
 *
 * <ul>
 *   <li>An archive of up to {@code population} genomes (whole parameter vectors) and a score matrix
 *       S[model, datapoint] from the outcomes' per-datapoint scores (made non-negative per datapoint).</li>
 *   <li>Resource sharing: with z_j = Σ_k S_kj (0 read as 1), F = S / z^α, fitness f_i = Σ_j F_ij;
 *       α = 0 is a plain GA's summed score.</li>
 *   <li>Parent 1 drawn in proportion to f; parent 2 by attraction, in proportion to
 *       Σ_j max(0, F_bj − F_aj) with a = parent 1 (without the matchmaker, in proportion to f as well).</li>
 *   <li>Crossover: a random split point and a random ratio w, one SLERP angle between the parents; before
 *       the split the child moves toward parent 2 by w, after it by 1 − w; optional Gaussian mutation.</li>
 *   <li>The archive fills with children; once full, a child replaces the worst member, by fitness with the
 *       child counted, unless it is the worst itself.</li>
 * </ul>
 * The search begins from {@code starts} genomes (the paper: two), random (uniform in the bounds, or
 * N(0, init_std²)) or given by {@link #startFrom} (the paper's pretrained models). Without per-datapoint
 * scores the objective is the only "datapoint". Ablations: {@code crossover: false}, {@code split_point: false},
 * {@code matchmaker: false}, {@code alpha: 0}; the paper's GA is {@code alpha: 0, matchmaker: false}.
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
    private int starts;
    private final List<double[]> pending = new ArrayList<>();
    private final List<double[]> archive = new ArrayList<>();
    private final List<double[]> scores = new ArrayList<>();
    private long told;

    private M2n2(Bounds bounds, int populationSize, int batch, double alpha, boolean crossover, boolean splitPoint, boolean matchmaker,
                 double mutationStd, double initStd, int starts) {
        this.bounds = bounds;
        this.populationSize = populationSize;
        this.batch = batch;
        this.alpha = alpha;
        this.crossover = crossover;
        this.splitPoint = splitPoint;
        this.matchmaker = matchmaker;
        this.mutationStd = mutationStd;
        this.initStd = initStd;
        this.starts = starts;
    }

    static M2n2 of(Hyperparameters h, Bounds bounds) {
        int population = h.integer("population", 20, 2);
        return new M2n2(bounds, population, h.integer("batch", 1, 1), h.number("alpha", 1.0, 0, 10),
                h.flag("crossover", true), h.flag("split_point", true), h.flag("matchmaker", true),
                h.number("mutation_std", 0.0, 0, Double.MAX_VALUE), h.number("init_std", 0.0, 0, Double.MAX_VALUE),
                Math.min(population, h.integer("starts", 2, 1)));
    }

    @Override
    public String name() {
        return "m2n2";
    }

    @Override
    public void startFrom(List<Genome> given) {
        if (given.isEmpty() || given.size() > populationSize) {
            throw new dev.evomerge.EvomergeException("m2n2 starts from 1 to population = " + populationSize + " genomes, not " + given.size());
        }
        pending.clear();
        given.forEach(g -> pending.add(g.toArray()));
        starts = given.size();
    }

    @Override
    public List<Genome> ask(RandomGenerator random) {
        List<Genome> out = new ArrayList<>(batch);
        List<double[]> seeds = new ArrayList<>(pending);
        for (int b = 0; b < batch; b++) {
            if (!seeds.isEmpty()) {
                out.add(Genome.of(seeds.removeFirst()));
            } else if (told + b < starts || archive.isEmpty()) {
                out.add(Variation.start(bounds, initStd, random));
            } else {
                out.add(child(random));
            }
        }
        return out;
    }

    private Genome child(RandomGenerator random) {
        double[][] shared = shared();
        double[] fitness = fitness(shared);
        int a = Variation.proportional(fitness, random);
        int b;
        if (matchmaker) {
            double[] attraction = new double[archive.size()];
            for (int k = 0; k < attraction.length; k++) {
                for (int j = 0; j < shared[a].length; j++) {
                    attraction[k] += Math.max(0, shared[k][j] - shared[a][j]);
                }
            }
            b = Variation.proportional(attraction, random);
        } else {
            b = Variation.proportional(fitness, random);
        }
        double[] x = crossover ? Variation.crossover(archive.get(a), archive.get(b), splitPoint, random) : archive.get(a).clone();
        Variation.mutate(x, mutationStd, random);
        return bounds.clip(x);
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
            told++;
            if (!pending.isEmpty()) {
                pending.removeFirst();
            }
            if (outcomes.get(k).raced()) {
                continue; // racing found the front better on a sample: a child that would not enter; its row is partial
            }
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
        state.put("told", told);
        state.put("starts", starts);
        ArrayNode p = state.putArray("pending");
        pending.forEach(g -> p.add(JeneticsPopulation.array(g)));
        ArrayNode a = state.putArray("archive");
        ArrayNode s = state.putArray("scores");
        for (int i = 0; i < archive.size(); i++) {
            a.add(JeneticsPopulation.array(archive.get(i)));
            s.add(JeneticsPopulation.array(scores.get(i)));
        }
        return state;
    }

    @Override
    public void restore(JsonNode state) {
        archive.clear();
        scores.clear();
        pending.clear();
        told = state.path("told").asLong();
        starts = state.path("starts").asInt(starts);
        state.path("pending").forEach(g -> pending.add(JeneticsPopulation.doubles(g)));
        for (int i = 0; i < state.get("archive").size(); i++) {
            archive.add(JeneticsPopulation.doubles(state.get("archive").get(i)));
            scores.add(JeneticsPopulation.doubles(state.get("scores").get(i)));
        }
    }
}
