package dev.evomerge.fitness;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.EvomergeException;
import java.util.List;

/**
 * The part of a Llama-family config.json the forward pass needs. Llama, Mistral and Qwen2 share the
 * block (RMSNorm, RoPE, grouped-query attention, SwiGLU); Qwen2 adds biases to q, k and v.
 */
public record LlamaConfig(String modelType, int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab,
                          double eps, double ropeTheta, boolean tiedEmbeddings) {
    public static final List<String> FAMILY = List.of("llama", "mistral", "qwen2");

    public LlamaConfig {
        if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0 || hidden % heads != 0) {
            throw new EvomergeException("config.json: " + heads + " attention heads, " + kvHeads
                    + " key/value heads and hidden size " + hidden + " do not fit together");
        }
    }

    public static boolean describes(JsonNode config) {
        return FAMILY.contains(config.path("model_type").asText());
    }

    public static LlamaConfig of(JsonNode c) {
        String type = c.path("model_type").asText();
        if (!FAMILY.contains(type)) {
            throw new EvomergeException("config.json: model_type '" + type + "' is not of the Llama family " + FAMILY);
        }
        for (String key : List.of("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size")) {
            if (!c.path(key).canConvertToInt()) {
                throw new EvomergeException("config.json: " + key + " is missing");
            }
        }
        int heads = c.get("num_attention_heads").asInt();
        return new LlamaConfig(type, c.get("hidden_size").asInt(), c.get("intermediate_size").asInt(),
                c.get("num_hidden_layers").asInt(), heads, c.path("num_key_value_heads").asInt(heads), c.get("vocab_size").asInt(),
                c.path("rms_norm_eps").asDouble(1e-6), c.path("rope_theta").asDouble(10000.0),
                c.path("tie_word_embeddings").asBoolean(false));
    }

    public int headDim() {
        return hidden / heads;
    }

    public boolean qkvBias() {
        return modelType.equals("qwen2");
    }
}
