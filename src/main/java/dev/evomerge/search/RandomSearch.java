package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** Uniform sampling in the bounds: the baseline every other strategy must beat. Stateless. */
public final class RandomSearch implements Strategy {
    private final Bounds bounds;
    private final int batch;

    RandomSearch(Bounds bounds, int batch) {
        this.bounds = bounds;
        this.batch = batch;
    }

    static RandomSearch of(Hyperparameters h, Bounds bounds) {
        return new RandomSearch(bounds, h.integer("population", 20, 1));
    }

    @Override
    public String name() {
        return "random";
    }

    @Override
    public List<Genome> ask(RandomGenerator random) {
        List<Genome> genomes = new ArrayList<>(batch);
        for (int k = 0; k < batch; k++) {
            genomes.add(uniform(bounds, random));
        }
        return genomes;
    }

    static Genome uniform(Bounds bounds, RandomGenerator random) {
        double[] x = new double[bounds.dimension()];
        for (int i = 0; i < x.length; i++) {
            x[i] = bounds.lower(i) + random.nextDouble() * (bounds.upper(i) - bounds.lower(i));
        }
        return Genome.of(x);
    }

    @Override
    public void tell(List<Genome> genomes, List<Outcome> outcomes) {
    }

    @Override
    public JsonNode state() {
        return JsonNodeFactory.instance.objectNode();
    }

    @Override
    public void restore(JsonNode state) {
    }
}
