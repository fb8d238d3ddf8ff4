package dev.evomerge.genome;

import dev.evomerge.merge.LayerProgram;
import java.util.ArrayList;
import java.util.List;

/**
 * Data-flow space (DFS), as in "Evolutionary Optimization of Model Merging Recipes" (Akiba et al., 2024):
 * which layers of which models the hidden state passes through, and how it is scaled between them.
 *
 * <p>The {@code M = models × layers} layers of all sources are laid out in sequence (model-major) and
 * repeated {@code r} times, giving {@code T = M·r} slots; slot {@code t} names layer {@code t mod M}. The
 * genome is
 * <ul>
 *   <li>{@code T} indicator values in [0, 1]: slot {@code t} is used when its value is above 0.5;</li>
 *   <li>an {@code M × M} scaling matrix {@code W} in [{@code minScale}, {@code maxScale}]: going from
 *       layer {@code i} to layer {@code j}, the hidden state is multiplied by {@code W[i][j]}.</li>
 * </ul>
 * The first and last layers of model 0 are kept: the program always starts at (0, 0) and ends at
 * (0, layers − 1), the embeddings and head being model 0's, so a genome with no slot chosen decodes to
 * a two-layer program rather than to nothing. The slots lie between those two.
 *
 * @implNote immutable; {@link #decode} is pure.
 */
public record RoutingSpace(int models, int layers, int repeats, double minScale, double maxScale) implements GenomeSpace {
    public RoutingSpace {
        if (models < 1 || layers < 2 || repeats < 1) {
            throw new IllegalArgumentException("routing needs models ≥ 1, layers ≥ 2, repeats ≥ 1; got "
                    + models + ", " + layers + ", " + repeats);
        }
        if (!(0 < minScale && minScale <= 1 && 1 <= maxScale)) {
            // RMSNorm makes a pre-norm layer blind to a positive scale only; keep 1 (no change) reachable.
            throw new IllegalArgumentException("scales must satisfy 0 < min ≤ 1 ≤ max; got " + minScale + ", " + maxScale);
        }
    }

    /** M: the number of distinct layers across all sources. */
    public int totalLayers() {
        return models * layers;
    }

    /** T = M·r indicator slots. */
    public int slots() {
        return totalLayers() * repeats;
    }

    @Override
    public int dimension() {
        return slots() + totalLayers() * totalLayers();
    }

    @Override
    public Bounds bounds() {
        double[] lower = new double[dimension()];
        double[] upper = new double[dimension()];
        for (int i = 0; i < dimension(); i++) {
            boolean indicator = i < slots();
            lower[i] = indicator ? 0 : minScale;
            upper[i] = indicator ? 1 : maxScale;
        }
        return new Bounds(lower, upper);
    }

    /**
     * The genome that decodes to model 0 unchanged: model 0's own layers chosen in the first repetition,
     * every scale 1. A natural start for a search.
     */
    public Genome identity() {
        double[] values = new double[dimension()];
        for (int layer = 1; layer < layers - 1; layer++) {
            values[layer] = 1;
        }
        for (int i = slots(); i < dimension(); i++) {
            values[i] = 1;
        }
        return Genome.of(values);
    }

    @Override
    public Blueprint decode(Genome genome) {
        return new Blueprint(null, program(genome));
    }

    @Override
    public List<String> genes() {
        List<String> genes = new ArrayList<>();
        for (int t = 0; t < slots(); t++) {
            int slot = t % totalLayers();
            genes.add("use model=" + slot / layers + " layer=" + slot % layers + " repeat=" + t / totalLayers() + " [0, 1]");
        }
        for (int from = 0; from < totalLayers(); from++) {
            for (int to = 0; to < totalLayers(); to++) {
                genes.add("scale from=" + from + " to=" + to + " [" + minScale + ", " + maxScale + "]");
            }
        }
        return genes;
    }

    /** The genome's layer program. */
    public LayerProgram program(Genome genome) {
        if (genome.size() != dimension()) {
            throw new IllegalArgumentException("routing genome has " + genome.size() + " values, the space " + dimension());
        }
        int last = layers - 1;
        List<LayerProgram.Step> steps = new ArrayList<>();
        steps.add(new LayerProgram.Step(0, 0, 1.0));
        int previous = 0;
        for (int t = 0; t < slots(); t++) {
            if (genome.get(t) > 0.5) {
                int slot = t % totalLayers();
                if (slot == 0 || slot == last) {
                    continue; // model 0's first and last layers are fixed at the ends
                }
                steps.add(new LayerProgram.Step(slot / layers, slot % layers, scale(genome, previous, slot)));
                previous = slot;
            }
        }
        steps.add(new LayerProgram.Step(0, last, scale(genome, previous, last)));
        return new LayerProgram(steps);
    }

    private double scale(Genome genome, int from, int to) {
        return genome.get(slots() + from * totalLayers() + to);
    }
}
