package dev.evomerge.genome;

/**
 * PS + DFS: the first {@code parameters.dimension()} values of the genome merge the sources (parameter
 * space); the rest route a hidden state through the merged model (model 0 of the program) and the sources
 * (models 1…), as in the combined recipes of "Evolutionary Optimization of Model Merging Recipes".
 *
 * @param parameters the merge of the sources
 * @param routing    a routing space whose model 0 is the merge; its other models are the sources in order
 * @implNote immutable; {@link #decode} is pure.
 */
public record HybridSpace(ParameterSpace parameters, RoutingSpace routing) implements GenomeSpace {
    @Override
    public int dimension() {
        return parameters.dimension() + routing.dimension();
    }

    @Override
    public Bounds bounds() {
        Bounds p = parameters.bounds();
        Bounds r = routing.bounds();
        double[] lo = new double[dimension()];
        double[] hi = new double[dimension()];
        System.arraycopy(p.lower(), 0, lo, 0, p.dimension());
        System.arraycopy(p.upper(), 0, hi, 0, p.dimension());
        System.arraycopy(r.lower(), 0, lo, p.dimension(), r.dimension());
        System.arraycopy(r.upper(), 0, hi, p.dimension(), r.dimension());
        return new Bounds(lo, hi);
    }

    @Override
    public java.util.List<String> genes() {
        java.util.List<String> genes = new java.util.ArrayList<>(parameters.genes());
        routing.genes().forEach(g -> genes.add("route " + g));
        return genes;
    }

    @Override
    public Blueprint decode(Genome genome) {
        if (genome.size() != dimension()) {
            throw new IllegalArgumentException("genome of " + genome.size() + " values for a space of " + dimension());
        }
        double[] all = genome.toArray();
        int split = parameters.dimension();
        Genome ps = Genome.of(java.util.Arrays.copyOfRange(all, 0, split));
        Genome dfs = Genome.of(java.util.Arrays.copyOfRange(all, split, all.length));
        return new Blueprint(parameters.decode(ps).recipe(), routing.decode(dfs).program());
    }
}
