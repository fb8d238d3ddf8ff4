package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * {@code map_elites}: MAP-Elites (Mouret and Clune, 2015), the quality-diversity baseline of the M2N2 paper.
 * A {@code bins × bins} grid over two behaviour descriptors, the mean score of the first and of the second
 * half of the datapoints (for the digits halves: the accuracy on each half of the classes; without
 * per-datapoint scores, the first two genes within their bounds); each cell keeps its best genome by
 * objective 0. After {@code initial} random genomes, each ask mutates uniformly chosen elites (Gaussian,
 * {@code sigma} times each gene's range).
 */
public final class MapElites implements Strategy {
    private final Bounds bounds;
    private final int bins;
    private final int batch;
    private final int initial;
    private final double sigma;
    /** cell index → {fitness, genome…}; sorted, so iteration (and the run) is reproducible. */
    private final TreeMap<Integer, double[]> elites = new TreeMap<>();
    private long told;

    private MapElites(Bounds bounds, int bins, int batch, int initial, double sigma) {
        this.bounds = bounds;
        this.bins = bins;
        this.batch = batch;
        this.initial = initial;
        this.sigma = sigma;
    }

    static MapElites of(Hyperparameters h, Bounds bounds) {
        return new MapElites(bounds, h.integer("bins", 10, 1), h.integer("population", 20, 1), h.integer("initial", 20, 1),
                h.number("sigma", 0.1, 0, 10));
    }

    @Override
    public String name() {
        return "map_elites";
    }

    @Override
    public List<Genome> ask(RandomGenerator random) {
        List<Genome> out = new ArrayList<>(batch);
        List<double[]> cells = new ArrayList<>(elites.values());
        for (int b = 0; b < batch; b++) {
            if (told < initial || cells.isEmpty()) {
                out.add(RandomSearch.uniform(bounds, random));
                continue;
            }
            double[] elite = cells.get(random.nextInt(cells.size()));
            double[] x = new double[bounds.dimension()];
            for (int i = 0; i < x.length; i++) {
                x[i] = elite[i + 1] + random.nextGaussian() * sigma * (bounds.upper(i) - bounds.lower(i));
            }
            out.add(bounds.clip(x));
        }
        return out;
    }

    /** The grid cell of an evaluated genome. */
    int cell(Genome genome, Outcome outcome) {
        double[] d = outcome.datapoints();
        double a;
        double b;
        if (d.length >= 2) {
            a = mean(d, 0, d.length / 2);
            b = mean(d, d.length / 2, d.length);
        } else {
            a = unit(genome, 0);
            b = genome.size() > 1 ? unit(genome, 1) : 0;
        }
        return bin(a) * bins + bin(b);
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
            int cell = cell(genomes.get(k), outcomes.get(k));
            double fitness = outcomes.get(k).objective(0);
            double[] current = elites.get(cell);
            if (current == null || fitness > current[0]) {
                double[] entry = new double[genomes.get(k).size() + 1];
                entry[0] = fitness;
                System.arraycopy(genomes.get(k).toArray(), 0, entry, 1, entry.length - 1);
                elites.put(cell, entry);
            }
            told++;
        }
    }

    /** Occupied cells and their elites' fitness, for tests and reports. */
    TreeMap<Integer, Double> grid() {
        TreeMap<Integer, Double> out = new TreeMap<>();
        elites.forEach((c, e) -> out.put(c, e[0]));
        return out;
    }

    @Override
    public JsonNode state() {
        ObjectNode state = JsonNodeFactory.instance.objectNode();
        state.put("told", told);
        ObjectNode cells = state.putObject("elites");
        elites.forEach((c, e) -> {
            ArrayNode a = cells.putArray(String.valueOf(c));
            for (double v : e) {
                a.add(v);
            }
        });
        return state;
    }

    @Override
    public void restore(JsonNode state) {
        told = state.get("told").asLong();
        elites.clear();
        state.get("elites").fields().forEachRemaining(f -> elites.put(Integer.parseInt(f.getKey()), JeneticsPopulation.doubles(f.getValue())));
    }
}
