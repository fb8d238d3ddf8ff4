package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import io.jenetics.DoubleChromosome;
import io.jenetics.DoubleGene;
import io.jenetics.Genotype;
import io.jenetics.Phenotype;
import io.jenetics.util.ISeq;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What the two Jenetics strategies share: genotypes of one chromosome of genes in [0, 1) mapped linearly
 * onto the genome's bounds, and populations of phenotypes written to and read from JSON.
 *
 * @param <C> the fitness type (a double for the GA, a vector for NSGA-II)
 */
final class JeneticsPopulation<C extends Comparable<? super C>> {
    private final Bounds bounds;
    private final Function<C, double[]> fitnessToJson;
    private final Function<double[], C> fitnessFromJson;

    JeneticsPopulation(Bounds bounds, Function<C, double[]> fitnessToJson, Function<double[], C> fitnessFromJson) {
        this.bounds = bounds;
        this.fitnessToJson = fitnessToJson;
        this.fitnessFromJson = fitnessFromJson;
    }

    /** A random genotype; call inside a {@code RandomRegistry} scope. */
    Genotype<DoubleGene> randomGenotype() {
        return Genotype.of(DoubleChromosome.of(0, 1, bounds.dimension()));
    }

    Genotype<DoubleGene> genotype(double[] unit) {
        List<DoubleGene> genes = new ArrayList<>(unit.length);
        for (double u : unit) {
            genes.add(DoubleGene.of(u, 0, 1));
        }
        return Genotype.of(DoubleChromosome.of(genes));
    }

    static double[] unit(Genotype<DoubleGene> genotype) {
        return genotype.chromosome().as(DoubleChromosome.class).toArray();
    }

    Genome genome(Genotype<DoubleGene> genotype) {
        double[] u = unit(genotype);
        double[] x = new double[u.length];
        for (int i = 0; i < u.length; i++) {
            x[i] = bounds.lower(i) + u[i] * (bounds.upper(i) - bounds.lower(i));
        }
        return bounds.clip(x);
    }

    /** Every member, as genomes in population order. */
    List<Genome> genomes(ISeq<Phenotype<DoubleGene, C>> population) {
        return population.stream().map(p -> genome(p.genotype())).toList();
    }

    /** The phenotypes that still need a fitness, as genomes in population order. */
    List<Genome> unevaluated(ISeq<Phenotype<DoubleGene, C>> population) {
        return population.stream().filter(Phenotype::nonEvaluated).map(p -> genome(p.genotype())).toList();
    }

    /** Gives the unevaluated phenotypes, in order, the fitnesses given. */
    ISeq<Phenotype<DoubleGene, C>> evaluate(ISeq<Phenotype<DoubleGene, C>> population, List<C> fitness) {
        List<Phenotype<DoubleGene, C>> out = new ArrayList<>(population.size());
        int next = 0;
        for (Phenotype<DoubleGene, C> p : population) {
            out.add(p.isEvaluated() ? p : p.withFitness(fitness.get(next++)));
        }
        if (next != fitness.size()) {
            throw new IllegalStateException("told " + fitness.size() + " outcomes for " + next + " genomes asked");
        }
        return ISeq.of(out);
    }

    /** A strategy's whole state: its generation and its evaluated population ({@link #fromJson} reads it back). */
    ObjectNode state(long generation, ISeq<Phenotype<DoubleGene, C>> population) {
        ObjectNode state = JsonNodeFactory.instance.objectNode();
        state.put("generation", generation);
        state.set("population", toJson(population));
        return state;
    }

    ArrayNode toJson(ISeq<Phenotype<DoubleGene, C>> population) {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        for (Phenotype<DoubleGene, C> p : population) {
            ObjectNode node = array.addObject();
            ArrayNode genes = node.putArray("genes");
            for (double u : unit(p.genotype())) {
                genes.add(u);
            }
            node.put("generation", p.generation());
            ArrayNode fitness = node.putArray("fitness");
            for (double f : fitnessToJson.apply(p.fitness())) {
                fitness.add(f);
            }
        }
        return array;
    }

    ISeq<Phenotype<DoubleGene, C>> fromJson(JsonNode array) {
        List<Phenotype<DoubleGene, C>> out = new ArrayList<>();
        for (JsonNode node : array) {
            double[] genes = doubles(node.get("genes"));
            out.add(Phenotype.of(genotype(genes), node.get("generation").asLong(), fitnessFromJson.apply(doubles(node.get("fitness")))));
        }
        return ISeq.of(out);
    }

    /** A JSON array of the values (for strategy states). */
    static ArrayNode array(double[] values) {
        ArrayNode out = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode(values.length);
        for (double v : values) {
            out.add(v);
        }
        return out;
    }

    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
