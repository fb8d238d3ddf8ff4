package dev.evomerge.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.EvomergeException;
import java.util.Collection;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Where each tensor of a model sits: which layer (transformer block) it belongs to, and which module.
 * Merge parameters given per layer (gradients, per-layer genomes) and layer routing both need it.
 *
 * <p>Known layouts are recognized by tensor names: Llama, Mistral, Qwen2, Gemma ({@code model.layers.N.}),
 * GPT-2 ({@code transformer.h.N.}), BERT ({@code encoder.layer.N.}); any other works through a regex
 * whose first group is the layer index ({@link #fromPattern}). Tensors outside every layer are named by
 * their role: {@code embed}, {@code norm}, {@code head} or, failing those, their own name.
 *
 * @param family      a short name for the layout ({@code llama}, {@code gpt2}, {@code bert}, {@code custom})
 * @param layerPattern a regex; group 1 is the layer index, the rest of the name after the match the module
 * @param layerCount  the number of layers (from config.json where it says, else counted from the names)
 * @implNote immutable.
 */
public record Architecture(String family, Pattern layerPattern, int layerCount) {
    private static final Pattern LLAMA = Pattern.compile("^(?:model\\.)?layers\\.(\\d+)\\.");
    private static final Pattern GPT2 = Pattern.compile("^(?:transformer\\.)?h\\.(\\d+)\\.");
    private static final Pattern BERT = Pattern.compile("^(?:[a-z_]+\\.)?encoder\\.layer\\.(\\d+)\\.");

    public Architecture {
        if (layerCount < 0) {
            throw new IllegalArgumentException("layerCount < 0: " + layerCount);
        }
    }

    /** Recognizes the layout from the tensor names, taking the layer count from config.json where it has one. */
    public static Architecture detect(JsonNode config, Collection<String> tensorNames) {
        for (var known : new Object[][] {{"llama", LLAMA}, {"gpt2", GPT2}, {"bert", BERT}}) {
            Pattern pattern = (Pattern) known[1];
            if (tensorNames.stream().anyMatch(n -> pattern.matcher(n).find())) {
                return of((String) known[0], pattern, config, tensorNames);
            }
        }
        return new Architecture("unknown", Pattern.compile("(?!x)x"), 0);
    }

    /**
     * A layout given by the user: {@code regex} must have a capturing group for the layer index, e.g.
     * {@code ^blocks\.(\d+)\.}.
     */
    public static Architecture fromPattern(String regex, JsonNode config, Collection<String> tensorNames) {
        Pattern pattern;
        try {
            pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new EvomergeException("layer pattern '" + regex + "' is not a valid regex: " + e.getDescription());
        }
        if (pattern.matcher("").groupCount() < 1) {
            throw new EvomergeException("layer pattern '" + regex + "' needs a group capturing the layer index, e.g. ^blocks\\.(\\d+)\\.");
        }
        return of("custom", pattern, config, tensorNames);
    }

    private static Architecture of(String family, Pattern pattern, JsonNode config, Collection<String> names) {
        int counted = names.stream().map(pattern::matcher).filter(Matcher::find)
                .mapToInt(m -> Integer.parseInt(m.group(1)) + 1).max().orElse(0);
        for (String key : new String[] {"num_hidden_layers", "n_layer", "num_layers"}) {
            if (config != null && config.path(key).canConvertToInt()) {
                return new Architecture(family, pattern, Math.max(config.get(key).asInt(), counted));
            }
        }
        return new Architecture(family, pattern, counted);
    }

    /** The same tensor in layer {@code layer} ({@code model.layers.3.mlp…} → {@code model.layers.7.mlp…}). */
    public String renameLayer(String tensorName, int layer) {
        Matcher m = layerPattern.matcher(tensorName);
        if (!m.find()) {
            throw new IllegalArgumentException(tensorName + " is in no layer");
        }
        return tensorName.substring(0, m.start(1)) + layer + tensorName.substring(m.end(1));
    }

    /**
     * For each layer, the start of its tensors' names up to and including the layer index and its dot
     * ({@code model.layers.3.}): a substring no other layer's tensors contain, as mergekit filters need.
     */
    public java.util.List<String> layerPrefixes(Collection<String> tensorNames) {
        String[] prefixes = new String[layerCount];
        for (String name : tensorNames) {
            Matcher m = layerPattern.matcher(name);
            if (m.find()) {
                int layer = Integer.parseInt(m.group(1));
                if (layer < layerCount && prefixes[layer] == null) {
                    prefixes[layer] = name.substring(0, m.end(1)) + ".";
                }
            }
        }
        for (int l = 0; l < layerCount; l++) {
            if (prefixes[l] == null) {
                throw new EvomergeException("no tensor of layer " + l + " found (the config says " + layerCount + " layers)");
            }
        }
        return java.util.List.of(prefixes);
    }

    /** The layer a tensor belongs to, or empty for embeddings, final norm, head and the like. */
    public OptionalInt layerOf(String tensorName) {
        Matcher m = layerPattern.matcher(tensorName);
        return m.find() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
    }

    /**
     * The module within its layer ({@code self_attn.q_proj.weight} → {@code self_attn.q_proj}), or the role of
     * a non-layer tensor: {@code embed}, {@code norm}, {@code head}, else the tensor's name without {@code .weight}.
     */
    public String moduleOf(String tensorName) {
        Matcher m = layerPattern.matcher(tensorName);
        if (m.find()) {
            return tensorName.substring(m.end()).replaceFirst("\\.(weight|bias)$", "");
        }
        String lower = tensorName.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("embed") || lower.contains("wte") || lower.contains("wpe")) {
            return "embed";
        }
        if (lower.contains("lm_head") || lower.endsWith("head.weight") || lower.contains("classifier")) {
            return "head";
        }
        if (lower.contains("norm") || lower.contains("ln_f")) {
            return "norm";
        }
        return tensorName.replaceFirst("\\.(weight|bias)$", "");
    }
}
