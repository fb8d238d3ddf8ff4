package dev.evomerge.genome;

import dev.evomerge.EvomergeException;
import dev.evomerge.merge.MergeMethod;
import dev.evomerge.merge.MergeRecipe;
import dev.evomerge.merge.ParameterDef;
import dev.evomerge.merge.ParameterSetting;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameter space (PS): merge coefficients per source model and per group of layers, for one merge method.
 *
 * <p>Each searched parameter has a range. A per-model parameter of the method ({@code weight},
 * {@code density}, …) takes {@code models × groups} genome values; a merge-wide one ({@code t},
 * {@code lambda}) takes {@code groups}. Layers are split into {@code groups} contiguous groups of (nearly)
 * equal size. The genome decodes to a mergekit recipe in which a grouped value is written as
 * {@code {filter: <layer prefix>, value}} entries, one per layer, so the recipe means the same in
 * {@code merge}, in the search and in mergekit; tensors outside the layers (embeddings, final norm, head)
 * take the first group's value. Genome layout: parameter-major, then model, then group.
 *
 * @param method      the merge method's recipe name
 * @param baseModel   the base model reference, or null
 * @param models      the model references that get per-model parameters, in recipe order
 * @param layerPrefixes for each layer, a name prefix that only that layer's tensors contain ({@code model.layers.3.})
 * @param groups      layer groups (1 = one value for the whole model)
 * @param searched    the searched parameters and their ranges, in genome order
 * @param fixed       parameters set to a fixed value (merge-wide, e.g. {@code normalize})
 * @param randomSeed  the recipes' seed for random drops
 * @param layerPattern the recipes' {@code layer_pattern} (null for architectures known by name)
 * @implNote immutable; {@link #decode} is pure.
 */
public record ParameterSpace(String method, String baseModel, List<String> models, List<String> layerPrefixes, int groups,
                             List<Range> searched, Map<String, ParameterSetting> fixed, long randomSeed, String layerPattern)
        implements GenomeSpace {
    /** A searched parameter's interval. */
    public record Range(String name, double lower, double upper) {
        public Range {
            if (!(lower <= upper)) {
                throw new EvomergeException("range of " + name + ": lower " + lower + " above upper " + upper);
            }
        }
    }

    public ParameterSpace {
        models = List.copyOf(models);
        layerPrefixes = List.copyOf(layerPrefixes);
        searched = List.copyOf(searched);
        fixed = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fixed)); // ordered: it reaches recipes
        if (models.isEmpty()) {
            throw new EvomergeException("a parameter space needs at least one model");
        }
        if (groups < 1 || groups > Math.max(1, layerPrefixes.size())) {
            throw new EvomergeException("layer groups must be between 1 and the " + layerPrefixes.size() + " layers; got " + groups);
        }
        MergeMethod m = MergeMethod.named(method);
        for (Range r : searched) {
            if (!m.parameterNames().contains(r.name())) {
                throw new EvomergeException("genome parameter '" + r.name() + "' is not a parameter of " + method
                        + dev.evomerge.DidYouMean.suggest(r.name(), m.parameterNames()));
            }
        }
    }

    private boolean perModel(String parameter) {
        return MergeMethod.named(method).tensorParameters().stream().map(ParameterDef::name).anyMatch(parameter::equals);
    }

    private int copies(Range r) {
        return (perModel(r.name()) ? models.size() : 1) * groups;
    }

    @Override
    public int dimension() {
        return searched.stream().mapToInt(this::copies).sum();
    }

    @Override
    public Bounds bounds() {
        double[] lo = new double[dimension()];
        double[] hi = new double[dimension()];
        int i = 0;
        for (Range r : searched) {
            for (int k = 0; k < copies(r); k++, i++) {
                lo[i] = r.lower();
                hi[i] = r.upper();
            }
        }
        return new Bounds(lo, hi);
    }

    @Override
    public List<String> genes() {
        List<String> genes = new ArrayList<>();
        for (Range r : searched) {
            for (String model : perModel(r.name()) ? models : java.util.Collections.singletonList((String) null)) {
                for (int g = 0; g < groups; g++) {
                    genes.add(r.name() + (model != null ? " model=" + model : "") + " group=" + g + " [" + r.lower() + ", " + r.upper() + "]");
                }
            }
        }
        return genes;
    }

    /** Which group layer {@code layer} is in: contiguous groups of nearly equal size. */
    public int groupOf(int layer) {
        return (int) ((long) layer * groups / layerPrefixes.size());
    }

    @Override
    public Blueprint decode(Genome genome) {
        return new Blueprint(recipe(genome), null);
    }

    /** The genome's merge recipe. */
    public MergeRecipe recipe(Genome genome) {
        if (genome.size() != dimension()) {
            throw new IllegalArgumentException("genome of " + genome.size() + " values for a space of " + dimension());
        }
        Map<String, Map<String, ParameterSetting>> perModel = new LinkedHashMap<>();
        models.forEach(m -> perModel.put(m, new LinkedHashMap<>()));
        Map<String, ParameterSetting> global = new LinkedHashMap<>(fixed);
        int i = 0;
        for (Range r : searched) {
            if (perModel(r.name())) {
                for (String model : models) {
                    perModel.get(model).put(r.name(), setting(genome, i));
                    i += groups;
                }
            } else {
                global.put(r.name(), setting(genome, i));
                i += groups;
            }
        }
        List<MergeRecipe.InputModel> inputs = new ArrayList<>();
        models.forEach(m -> inputs.add(new MergeRecipe.InputModel(m, perModel.get(m))));
        return new MergeRecipe(method, baseModel, inputs, List.of(), global, null, null, randomSeed, layerPattern);
    }

    /** Values {@code genome[from .. from + groups)} as a scalar (one group) or per-layer filters. */
    private ParameterSetting setting(Genome genome, int from) {
        if (groups == 1) {
            return ParameterSetting.of(genome.get(from));
        }
        List<ParameterSetting.Conditional.Entry> entries = new ArrayList<>();
        for (int layer = 0; layer < layerPrefixes.size(); layer++) {
            entries.add(new ParameterSetting.Conditional.Entry(layerPrefixes.get(layer), ParameterSetting.of(genome.get(from + groupOf(layer)))));
        }
        entries.add(new ParameterSetting.Conditional.Entry(null, ParameterSetting.of(genome.get(from))));
        return new ParameterSetting.Conditional(entries);
    }
}
