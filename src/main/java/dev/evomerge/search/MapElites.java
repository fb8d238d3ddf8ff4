package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * {@code map_elites}: MAP-Elites (Mouret and Clune, 2015) as the M2N2 paper's code runs it for its baseline.
 * A {@code bins × bins} grid over two behaviour descriptors read as fractions in [0, 1] (accuracies): the
 * objectives named by {@code descriptors} (default the first two; the paper's digits: accuracy on odd and on
 * even digits); with one objective, the mean score of each half of the datapoints; without datapoints, the
 * first two genes within their bounds. Each cell keeps its best genome by quality, the mean per-datapoint
 * score (objective 0 without datapoints). After {@code starts} starts (random, or {@link #startFrom}), each
 * child comes from two elites drawn in proportion to quality, by M2N2's split-point SLERP crossover
 * ({@code crossover: false}: a copy of the first) and Gaussian mutation ({@code mutation_std}).
 */
public final class MapElites implements Strategy {
    private final Bounds bounds;
    private final int bins;
    private final int batch;
    private final double initStd;
    private final boolean crossover;
    private final double mutationStd;
    private final int[] descriptors;
    private int starts;
    private final List<double[]> pending = new ArrayList<>();
    /** cell index → {quality, genome…}; sorted, so iteration (and the run) is reproducible. */
    private final TreeMap<Integer, double[]> elites = new TreeMap<>();
    private long told;

    private MapElites(Bounds bounds, int bins, int batch, int starts, double initStd, boolean crossover, double mutationStd, int[] descriptors) {
        this.bounds = bounds;
        this.bins = bins;
        this.batch = batch;
        this.starts = starts;
        this.initStd = initStd;
        this.crossover = crossover;
        this.mutationStd = mutationStd;
        this.descriptors = descriptors;
    }

    static MapElites of(Hyperparameters h, Bounds bounds) {
        return new MapElites(bounds, h.integer("bins", 10, 1), h.integer("population", 20, 1), h.integer("starts", 2, 1),
                h.number("init_std", 0.0, 0, Double.MAX_VALUE), h.flag("crossover", true),
                h.number("mutation_std", 0.01, 0, Double.MAX_VALUE),
                new int[] {h.integer("descriptor_x", 0, 0), h.integer("descriptor_y", 1, 0)});
    }

    @Override
    public String name() {
        return "map_elites";
    }

    @Override
    public void startFrom(List<Genome> given) {
        if (given.isEmpty()) {
            throw new EvomergeException("map_elites needs at least one genome to start from");
        }
        pending.clear();
        given.forEach(g -> pending.add(g.toArray()));
        starts = given.size();
    }

    @Override
    public List<Genome> ask(RandomGenerator random) {
        List<Genome> out = new ArrayList<>(batch);
        List<double[]> seeds = new ArrayList<>(pending);
        List<double[]> cells = new ArrayList<>(elites.values());
        double[] quality = cells.stream().mapToDouble(e -> e[0]).toArray();
        double min = 0;
        for (double q : quality) {
            min = Math.min(min, q);
        }
        for (int i = 0; i < quality.length; i++) {
            quality[i] -= min;
        }
        for (int b = 0; b < batch; b++) {
            if (!seeds.isEmpty()) {
                out.add(Genome.of(seeds.removeFirst()));
            } else if (told + b < starts || cells.isEmpty()) {
                out.add(Variation.start(bounds, initStd, random));
            } else {
                double[] p1 = genes(cells.get(Variation.proportional(quality, random)));
                double[] p2 = genes(cells.get(Variation.proportional(quality, random)));
                double[] x = crossover ? Variation.crossover(p1, p2, true, random) : p1;
                Variation.mutate(x, mutationStd, random);
                out.add(bounds.clip(x));
            }
        }
        return out;
    }

    private static double[] genes(double[] elite) {
        return java.util.Arrays.copyOfRange(elite, 1, elite.length);
    }

    /** The grid cell of an evaluated genome. */
    int cell(Genome genome, Outcome outcome) {
        double[] d = outcome.datapoints();
        double a;
        double b;
        if (outcome.objectives().length > Math.max(descriptors[0], descriptors[1])) {
            a = outcome.objective(descriptors[0]);
            b = outcome.objective(descriptors[1]);
        } else if (d.length >= 2) {
            a = mean(d, 0, d.length / 2);
            b = mean(d, d.length / 2, d.length);
        } else {
            a = unit(genome, 0);
            b = genome.size() > 1 ? unit(genome, 1) : 0;
        }
        return bin(a) * bins + bin(b);
    }

    /** The mean per-datapoint score; objective 0 where there are no datapoints. */
    static double quality(Outcome outcome) {
        double[] d = outcome.datapoints();
        return d.length == 0 ? outcome.objective(0) : mean(d, 0, d.length);
    }

    private int bin(double v) {
        return Math.min(bins - 1, Math.max(0, (int) Math.floor(v * bins)));
    }

    private double unit(Genome g, int i) {
        double width = bounds.upper(i) - bounds.lower(i);
        return width == 0 ? 0 : (g.get(i) - bounds.lower(i)) / width;
    }

    private static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    @Override
    public void tell(List<Genome> genomes, List<Outcome> outcomes) {
        for (int k = 0; k < genomes.size(); k++) {
            if (outcomes.get(k).raced()) {
                told++; // scored on a sample only: neither its cell nor its quality is known
                if (!pending.isEmpty()) {
                    pending.removeFirst();
                }
                continue;
            }
            int cell = cell(genomes.get(k), outcomes.get(k));
            double quality = quality(outcomes.get(k));
            double[] current = elites.get(cell);
            if (current == null || quality > current[0]) {
                double[] entry = new double[genomes.get(k).size() + 1];
                entry[0] = quality;
                System.arraycopy(genomes.get(k).toArray(), 0, entry, 1, entry.length - 1);
                elites.put(cell, entry);
            }
            told++;
            if (!pending.isEmpty()) {
                pending.removeFirst();
            }
        }
    }

    /** Occupied cells and their elites' quality, for tests and reports. */
    TreeMap<Integer, Double> grid() {
        TreeMap<Integer, Double> out = new TreeMap<>();
        elites.forEach((c, e) -> out.put(c, e[0]));
        return out;
    }

    @Override
    public JsonNode state() {
        ObjectNode state = JsonNodeFactory.instance.objectNode();
        state.put("told", told);
        state.put("starts", starts);
        ArrayNode p = state.putArray("pending");
        pending.forEach(g -> p.add(JeneticsPopulation.array(g)));
        ObjectNode cells = state.putObject("elites");
        elites.forEach((c, e) -> cells.set(String.valueOf(c), JeneticsPopulation.array(e)));
        return state;
    }

    @Override
    public void restore(JsonNode state) {
        told = state.get("told").asLong();
        starts = state.path("starts").asInt(starts);
        pending.clear();
        state.path("pending").forEach(g -> pending.add(JeneticsPopulation.doubles(g)));
        elites.clear();
        state.get("elites").properties().forEach(f -> elites.put(Integer.parseInt(f.getKey()), JeneticsPopulation.doubles(f.getValue())));
    }
}
