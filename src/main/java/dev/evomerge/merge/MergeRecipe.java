package dev.evomerge.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A merge recipe in mergekit's YAML format: which models, which method, which parameters.
 *
 * <pre>
 * merge_method: ties
 * base_model: models/base
 * models:
 *   - model: models/math
 *     parameters: {weight: 0.5, density: [0.2, 0.8]}   # a gradient over layers
 *   - model: models/code
 *     parameters:
 *       weight: [{filter: self_attn, value: 0.7}, {value: 0.3}]
 * parameters: {normalize: true}
 * dtype: bfloat16
 * random_seed: 7        # evomerge: seeds DARE/DELLA drops (mergekit uses its process's RNG)
 * layer_pattern: '^blocks\.(\d+)\.'   # evomerge: where layers are, for architectures not known by name
 * </pre>
 * Either {@code models} (every layer of every model) or {@code slices} (layer ranges, stacked in order: how
 * frankenmerges and passthrough routing are written) is given, not both.
 *
 * @implNote immutable; {@link #toYaml} and {@link #parse} round-trip.
 */
public record MergeRecipe(String mergeMethod, String baseModel, List<InputModel> models, List<OutputSlice> slices,
                          Map<String, ParameterSetting> parameters, String dtype, String tokenizerSource, long randomSeed,
                          String layerPattern) {
    private static final Set<String> TOP_LEVEL = new LinkedHashSet<>(List.of("merge_method", "base_model", "models", "slices",
            "parameters", "dtype", "out_dtype", "tokenizer_source", "random_seed", "layer_pattern"));

    /** One model of a {@code models:} recipe with its own parameters. */
    public record InputModel(String model, Map<String, ParameterSetting> parameters) {
        public InputModel {
            parameters = Map.copyOf(new LinkedHashMap<>(parameters));
        }
    }

    /** Layers [{@code from}, {@code to}) of one model within an output slice. */
    public record InputSlice(String model, int from, int to, Map<String, ParameterSetting> parameters) {
        public InputSlice {
            if (from < 0 || to <= from) {
                throw new EvomergeException("layer_range [" + from + ", " + to + "] of " + model + " is empty or negative");
            }
            parameters = Map.copyOf(parameters);
        }

        public int length() {
            return to - from;
        }
    }

    /** Output layers merged from input slices of equal length. */
    public record OutputSlice(List<InputSlice> sources, Map<String, ParameterSetting> parameters) {
        public OutputSlice {
            if (sources.isEmpty()) {
                throw new EvomergeException("a slice needs at least one source");
            }
            int length = sources.getFirst().length();
            for (InputSlice s : sources) {
                if (s.length() != length) {
                    throw new EvomergeException("all sources of a slice must span the same number of layers; got "
                            + sources.stream().map(x -> x.model() + " [" + x.from() + ", " + x.to() + ")").toList());
                }
            }
            sources = List.copyOf(sources);
            parameters = Map.copyOf(parameters);
        }

        public int length() {
            return sources.getFirst().length();
        }
    }

    public MergeRecipe {
        if (mergeMethod == null || mergeMethod.isBlank()) {
            throw new EvomergeException("recipe has no merge_method");
        }
        MergeMethod method = MergeMethod.named(mergeMethod);
        models = List.copyOf(models);
        slices = List.copyOf(slices);
        if (models.isEmpty() == slices.isEmpty()) {
            throw new EvomergeException("a recipe needs exactly one of 'models' or 'slices'");
        }
        parameters = Map.copyOf(parameters);
        if (method.needsBase() && (baseModel == null || baseModel.isBlank())) {
            throw new EvomergeException("merge_method " + mergeMethod + " needs a base_model (task vectors are taken against it)");
        }
        checkKnown(parameters.keySet(), method, "parameters");
        for (InputModel m : models) {
            checkKnown(m.parameters().keySet(), method, "models[" + m.model() + "].parameters");
        }
        for (OutputSlice s : slices) {
            checkKnown(s.parameters().keySet(), method, "slices.parameters");
            for (InputSlice in : s.sources()) {
                checkKnown(in.parameters().keySet(), method, "slices.sources[" + in.model() + "].parameters");
            }
        }
        if (dtype != null) {
            dev.evomerge.tensor.DType.fromRecipe(dtype);
        }
    }

    private static void checkKnown(Set<String> given, MergeMethod method, String where) {
        Set<String> known = method.parameterNames();
        for (String name : given) {
            if (!known.contains(name)) {
                throw new EvomergeException(where + ": unknown parameter '" + name + "' for merge_method " + method.name()
                        + DidYouMean.suggest(name, known));
            }
        }
    }

    /** The method this recipe names. */
    public MergeMethod method() {
        return MergeMethod.named(mergeMethod);
    }

    /** Every model the recipe names, base first when there is one, each once. */
    public List<String> referencedModels() {
        Set<String> all = new LinkedHashSet<>();
        if (baseModel != null) {
            all.add(baseModel);
        }
        models.forEach(m -> all.add(m.model()));
        slices.forEach(s -> s.sources().forEach(in -> all.add(in.model())));
        return List.copyOf(all);
    }

    public MergeRecipe withRandomSeed(long seed) {
        return new MergeRecipe(mergeMethod, baseModel, models, slices, parameters, dtype, tokenizerSource, seed, layerPattern);
    }

    // --- YAML

    private static final YAMLMapper YAML = YAMLMapper.builder(new YAMLFactory()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .build();

    public static MergeRecipe read(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot read recipe: " + e.getMessage(), e);
        }
    }

    /** Parses recipe YAML; {@code source} names it in error messages. */
    public static MergeRecipe parse(String yaml, String source) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new EvomergeException(source + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (root == null || !root.isObject()) {
            throw new EvomergeException(source + ": a recipe is a YAML mapping with merge_method and models or slices");
        }
        try {
            root.fieldNames().forEachRemaining(k -> {
                if (!TOP_LEVEL.contains(k)) {
                    throw new EvomergeException("unknown key '" + k + "'" + DidYouMean.suggest(k, TOP_LEVEL));
                }
            });
            List<InputModel> models = new ArrayList<>();
            for (JsonNode m : root.path("models")) {
                models.add(new InputModel(text(m, "model", "models[]"), parameters(m.path("parameters"), "models[].parameters")));
            }
            List<OutputSlice> slices = new ArrayList<>();
            for (JsonNode s : root.path("slices")) {
                List<InputSlice> sources = new ArrayList<>();
                for (JsonNode in : s.path("sources")) {
                    JsonNode range = in.path("layer_range");
                    if (!range.isArray() || range.size() != 2 || !range.get(0).canConvertToInt() || !range.get(1).canConvertToInt()) {
                        throw new EvomergeException("slices.sources[].layer_range must be [first, end) as two integers");
                    }
                    sources.add(new InputSlice(text(in, "model", "slices.sources[]"), range.get(0).asInt(), range.get(1).asInt(),
                            parameters(in.path("parameters"), "slices.sources[].parameters")));
                }
                slices.add(new OutputSlice(sources, parameters(s.path("parameters"), "slices[].parameters")));
            }
            String dtype = root.hasNonNull("out_dtype") ? root.get("out_dtype").asText()
                    : root.hasNonNull("dtype") ? root.get("dtype").asText() : null;
            return new MergeRecipe(text(root, "merge_method", "recipe"),
                    root.hasNonNull("base_model") ? root.get("base_model").asText() : null,
                    models, slices, parameters(root.path("parameters"), "parameters"), dtype,
                    root.hasNonNull("tokenizer_source") ? root.get("tokenizer_source").asText() : null,
                    root.path("random_seed").asLong(0),
                    root.hasNonNull("layer_pattern") ? root.get("layer_pattern").asText() : null);
        } catch (EvomergeException e) {
            throw new EvomergeException(source + ": " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode node, String key, String where) {
        JsonNode value = node.path(key);
        if (!value.isTextual() || value.asText().isBlank()) {
            throw new EvomergeException(where + " needs '" + key + "'");
        }
        return value.asText();
    }

    private static Map<String, ParameterSetting> parameters(JsonNode node, String where) {
        Map<String, ParameterSetting> out = new LinkedHashMap<>();
        if (node.isMissingNode() || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw new EvomergeException(where + " must be a mapping of parameter names to values");
        }
        node.fields().forEachRemaining(f -> out.put(f.getKey(), ParameterSetting.parse(f.getValue(), where + "." + f.getKey())));
        return out;
    }

    /** The recipe as mergekit YAML (what {@code merge} reads back). */
    public String toYaml() {
        ObjectNode root = YAML.createObjectNode();
        root.put("merge_method", mergeMethod);
        if (baseModel != null) {
            root.put("base_model", baseModel);
        }
        if (!models.isEmpty()) {
            var array = root.putArray("models");
            for (InputModel m : models) {
                ObjectNode node = array.addObject().put("model", m.model());
                putParameters(node, m.parameters());
            }
        }
        if (!slices.isEmpty()) {
            var array = root.putArray("slices");
            for (OutputSlice s : slices) {
                ObjectNode node = array.addObject();
                var sources = node.putArray("sources");
                for (InputSlice in : s.sources()) {
                    ObjectNode src = sources.addObject().put("model", in.model());
                    src.putArray("layer_range").add(in.from()).add(in.to());
                    putParameters(src, in.parameters());
                }
                putParameters(node, s.parameters());
            }
        }
        putParameters(root, parameters);
        if (dtype != null) {
            root.put("dtype", dtype);
        }
        if (tokenizerSource != null) {
            root.put("tokenizer_source", tokenizerSource);
        }
        if (randomSeed != 0) {
            root.put("random_seed", randomSeed);
        }
        if (layerPattern != null) {
            root.put("layer_pattern", layerPattern);
        }
        try {
            return YAML.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putParameters(ObjectNode node, Map<String, ParameterSetting> parameters) {
        if (!parameters.isEmpty()) {
            ObjectNode p = node.putObject("parameters");
            new java.util.TreeMap<>(parameters).forEach((k, v) -> p.set(k, v.toJson()));
        }
    }
}
