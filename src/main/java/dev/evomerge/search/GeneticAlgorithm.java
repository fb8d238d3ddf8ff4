package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import io.jenetics.Alterer;
import io.jenetics.DoubleGene;
import io.jenetics.Optimize;
import io.jenetics.Phenotype;
import io.jenetics.TournamentSelector;
import io.jenetics.ext.SimulatedBinaryCrossover;
import io.jenetics.util.ISeq;
import io.jenetics.util.RandomRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * {@code ga}: a generational genetic algorithm made of Jenetics 9's parts, stepped as ask/tell.
 *
 * <p>One generation as Jenetics' {@code Engine.evolve} makes it: survivors and offspring are drawn from the
 * evaluated population by tournament selection, the offspring are altered (simulated binary crossover and
 * polynomial mutation, the real-coded operators of the NSGA-II paper), and only the altered ones, which
 * lost their fitness, are asked for. Jenetics draws from the generator passed to {@code ask}, through a
 * scoped {@code RandomRegistry}. Single objective: {@code objective} picks which (default 0).
 */
public final class GeneticAlgorithm implements Strategy {
    private final JeneticsPopulation<Double> codec;
    private final int populationSize;
    private final int offspringCount;
    private final int objective;
    private final TournamentSelector<DoubleGene, Double> selector;
    private final Alterer<DoubleGene, Double> alterer;
    private ISeq<Phenotype<DoubleGene, Double>> population = ISeq.empty();
    private ISeq<Phenotype<DoubleGene, Double>> pending = ISeq.empty();
    private long generation;

    private GeneticAlgorithm(Bounds bounds, int populationSize, double offspringFraction, int tournament,
                             double crossover, double mutation, int objective) {
        this.codec = new JeneticsPopulation<>(bounds, f -> new double[] {f}, a -> a[0]);
        this.populationSize = populationSize;
        this.offspringCount = Math.max(1, (int) Math.round(offspringFraction * populationSize));
        this.objective = objective;
        this.selector = new TournamentSelector<>(tournament);
        this.alterer = new SimulatedBinaryCrossover<DoubleGene, Double>(crossover).andThen(new PolynomialMutator<>(mutation, 20));
    }

    static GeneticAlgorithm of(Hyperparameters h, Bounds bounds, int objectives) {
        int population = h.integer("population", 50, 2);
        double fraction = h.number("offspring_fraction", 0.6, 0, 1);
        int tournament = h.integer("tournament", 3, 1);
        double crossover = h.number("crossover", 0.9, 0, 1);
        double mutation = h.number("mutation", 1.0 / bounds.dimension(), 0, 1);
        int objective = h.integer("objective", 0, 0);
        if (objective >= objectives) {
            throw new dev.evomerge.EvomergeException("strategy.objective = " + objective + " but there are " + objectives + " objectives");
        }
        return new GeneticAlgorithm(bounds, population, fraction, tournament, crossover, mutation, objective);
    }

    @Override
    public String name() {
        return "ga";
    }

    @Override
    public List<Genome> ask(RandomGenerator random) {
        pending = RandomRegistry.with(random).call(this::nextPopulation);
        return codec.unevaluated(pending);
    }

    private ISeq<Phenotype<DoubleGene, Double>> nextPopulation() {
        if (population.isEmpty()) {
            List<Phenotype<DoubleGene, Double>> start = new ArrayList<>();
            for (int i = 0; i < populationSize; i++) {
                start.add(Phenotype.of(codec.randomGenotype(), generation));
            }
            return ISeq.of(start);
        }
        ISeq<Phenotype<DoubleGene, Double>> survivors = selector.select(population, populationSize - offspringCount, Optimize.MAXIMUM);
        ISeq<Phenotype<DoubleGene, Double>> offspring = selector.select(population, offspringCount, Optimize.MAXIMUM);
        ISeq<Phenotype<DoubleGene, Double>> altered = alterer.alter(offspring, generation).population();
        if (altered.stream().allMatch(Phenotype::isEvaluated)) {
            // nothing changed: force one fresh genotype so every generation asks for at least one evaluation
            var copy = altered.copy();
            copy.set(0, Phenotype.of(codec.randomGenotype(), generation));
            altered = copy.toISeq();
        }
        return survivors.append(altered);
    }

    @Override
    public void tell(List<Genome> genomes, List<Outcome> outcomes) {
        population = codec.evaluate(pending, outcomes.stream().map(o -> o.objective(objective)).toList());
        pending = ISeq.empty();
        generation++;
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
