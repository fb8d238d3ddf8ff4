package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import io.jenetics.Alterer;
import io.jenetics.DoubleGene;
import io.jenetics.Optimize;
import io.jenetics.Phenotype;
import io.jenetics.ext.SimulatedBinaryCrossover;
import io.jenetics.ext.moea.NSGA2Selector;
import io.jenetics.ext.moea.UFTournamentSelector;
import io.jenetics.ext.moea.Vec;
import io.jenetics.util.ISeq;
import io.jenetics.util.RandomRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * {@code nsga2}: NSGA-II (Deb et al., 2002) with jenetics.ext's selectors, stepped as ask/tell.
 *
 * <p>Offspring are drawn by crowded binary tournament (rank, then crowding distance:
 * {@code UFTournamentSelector}), altered by simulated binary crossover and polynomial mutation; the next
 * population is the best {@code population} of parents and offspring together by non-dominated sorting
 * and crowding distance ({@code NSGA2Selector}): the elitist (μ + λ) replacement of the paper.
 */
public final class Nsga2 implements Strategy {
    private final JeneticsPopulation<Vec<double[]>> codec;
    private final int populationSize;
    private final UFTournamentSelector<DoubleGene, Vec<double[]>> offspringSelector = UFTournamentSelector.ofVec();
    private final NSGA2Selector<DoubleGene, Vec<double[]>> survivorSelector = NSGA2Selector.ofVec();
    private final Alterer<DoubleGene, Vec<double[]>> alterer;
    private ISeq<Phenotype<DoubleGene, Vec<double[]>>> population = ISeq.empty();
    private ISeq<Phenotype<DoubleGene, Vec<double[]>>> pending = ISeq.empty();
    private long generation;

    private Nsga2(Bounds bounds, int populationSize, double crossover, double mutation) {
        this.codec = new JeneticsPopulation<>(bounds, Vec::data, Vec::of);
        this.populationSize = populationSize;
        this.alterer = new SimulatedBinaryCrossover<DoubleGene, Vec<double[]>>(crossover).andThen(new PolynomialMutator<>(mutation, 20));
    }

    static Nsga2 of(Hyperparameters h, Bounds bounds, int objectives) {
        return new Nsga2(bounds, h.integer("population", 40, 4), h.number("crossover", 0.9, 0, 1),
                h.number("mutation", 1.0 / bounds.dimension(), 0, 1));
    }

    @Override
    public String name() {
        return "nsga2";
    }

    @Override
    public List<Genome> ask(RandomGenerator random) {
        pending = RandomRegistry.with(random).call(this::offspring);
        return codec.unevaluated(pending);
    }

    private ISeq<Phenotype<DoubleGene, Vec<double[]>>> offspring() {
        if (population.isEmpty()) {
            List<Phenotype<DoubleGene, Vec<double[]>>> start = new ArrayList<>();
            for (int i = 0; i < populationSize; i++) {
                start.add(Phenotype.of(codec.randomGenotype(), generation));
            }
            return ISeq.of(start);
        }
        ISeq<Phenotype<DoubleGene, Vec<double[]>>> parents = offspringSelector.select(population, populationSize, Optimize.MAXIMUM);
        ISeq<Phenotype<DoubleGene, Vec<double[]>>> children = alterer.alter(parents, generation).population();
        // unaltered copies of parents are already in the population: only changed children are new
        ISeq<Phenotype<DoubleGene, Vec<double[]>>> fresh = ISeq.of(children.stream().filter(Phenotype::nonEvaluated).toList());
        return fresh.isEmpty() ? ISeq.of(Phenotype.of(codec.randomGenotype(), generation)) : fresh;
    }

    @Override
    public void tell(List<Genome> genomes, List<Outcome> outcomes) {
        ISeq<Phenotype<DoubleGene, Vec<double[]>>> evaluated = codec.evaluate(pending, outcomes.stream().map(o -> Vec.of(o.objectives())).toList());
        ISeq<Phenotype<DoubleGene, Vec<double[]>>> union = population.append(evaluated);
        population = union.size() <= populationSize ? union : survivorSelector.select(union, populationSize, Optimize.MAXIMUM);
        pending = ISeq.empty();
        generation++;
    }

    /** The current population's genomes (for MAP, which reads the converged front off it). */
    List<Genome> population() {
        return codec.genomes(population);
    }

    @Override
    public JsonNode state() {
        return codec.state(generation, population);
    }

    @Override
    public void restore(JsonNode state) {
        generation = state.get("generation").asLong();
        population = codec.fromJson(state.get("population"));
        pending = ISeq.empty();
    }
}
