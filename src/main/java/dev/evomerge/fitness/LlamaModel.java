package dev.evomerge.fitness;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import dev.evomerge.EvomergeException;
import dev.evomerge.merge.LayerProgram;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The Llama-family decoder (Llama, Mistral, Qwen2) computed on DJL from tensors as a checkpoint names them:
 * RMSNorm, rotary position embeddings with {@code rope_theta}, grouped-query attention with a causal and a
 * padding mask, SwiGLU, tied or untied head. It knows no task: it maps token ids to logits.
 *
 * <p>A layer program (data-flow merging) runs the same blocks from several models: the embeddings of model
 * 0, each step's block of its model on the hidden state times the step's scale, model 0's final norm and
 * head. Batches are right-padded: {@code mask} is 1 for tokens, 0 for padding.
 *
 * @implNote stateless and thread-safe; arrays are made in the manager of {@code ids}.
 */
public final class LlamaModel {
    private final LlamaConfig config;

    public LlamaModel(LlamaConfig config) {
        this.config = config;
    }

    public LlamaConfig config() {
        return config;
    }

    /** Logits [batch, tokens, vocab] of one model. */
    public NDArray logits(Map<String, NDArray> w, NDArray ids, NDArray mask) {
        return logits(List.of(w), LayerProgram.identity(0, config.layers()), ids, mask);
    }

    /** Logits [batch, tokens, vocab] of a layer program over {@code models}' weights. */
    public NDArray logits(List<Map<String, NDArray>> models, LayerProgram program, NDArray ids, NDArray mask) {
        Map<String, NDArray> first = models.getFirst();
        long batch = ids.getShape().get(0);
        long tokens = ids.getShape().get(1);
        NDManager m = ids.getManager();
        // gathered into the ids' scope: the embedding table's own manager outlives this call
        NDArray h = tensor(first, "model.embed_tokens.weight").get(m, new NDIndex("{}", ids.flatten())).reshape(batch, tokens, config.hidden());
        NDArray[] rope = rope(m, 0, tokens);
        // attention may look at earlier tokens that are not padding: [batch, 1, tokens, tokens]
        float[] lower = new float[(int) (tokens * tokens)];
        for (int i = 0; i < tokens; i++) {
            for (int j = 0; j <= i; j++) {
                lower[(int) (i * tokens + j)] = 1;
            }
        }
        NDArray causal = m.create(lower, new Shape(tokens, tokens)).gt(0);
        NDArray allowed = causal.reshape(1, 1, tokens, tokens).logicalAnd(mask.toType(DataType.BOOLEAN, false).reshape(batch, 1, 1, tokens));
        for (LayerProgram.Step step : program.steps()) {
            if (step.model() >= models.size()) {
                throw new EvomergeException("layer program names model " + step.model() + " of " + models.size());
            }
            if (step.scale() != 1.0) {
                h = h.mul(step.scale());
            }
            h = block(models.get(step.model()), step.layer(), h, rope, allowed, null, 0, 0);
        }
        h = rmsNorm(h, tensor(first, "model.norm.weight"));
        NDArray head = config.tiedEmbeddings() ? tensor(first, "model.embed_tokens.weight") : tensor(first, "lm_head.weight");
        return linear(h, head);
    }

    /**
     * For each sequence, log p(token_i | tokens before it) for i = 1 … n−1, from one right-padded batch. In
     * double precision on the way out; the forward pass itself runs in f32.
     */
    public List<double[]> tokenLogProbabilities(List<Map<String, NDArray>> models, LayerProgram program, List<int[]> sequences,
                                                NDManager scope) {
        int batch = sequences.size();
        int tokens = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
        long[] ids = new long[batch * tokens];
        long[] mask = new long[batch * tokens];
        for (int b = 0; b < batch; b++) {
            int[] s = sequences.get(b);
            for (int t = 0; t < s.length; t++) {
                ids[b * tokens + t] = s[t];
                mask[b * tokens + t] = 1;
            }
        }
        NDArray idArray = scope.create(ids, new Shape(batch, tokens));
        NDArray logp = logits(models, program, idArray, scope.create(mask, new Shape(batch, tokens))).logSoftmax(-1);
        // the log-probability of the next token at each position: gather along the vocabulary
        NDArray next = idArray.get(new NDIndex(":, 1:")).expandDims(-1);
        float[] picked = logp.get(new NDIndex(":, :-1, :")).gather(next, 2).toFloatArray();
        List<double[]> out = new java.util.ArrayList<>();
        for (int b = 0; b < batch; b++) {
            double[] row = new double[sequences.get(b).length - 1];
            for (int t = 0; t < row.length; t++) {
                row[t] = picked[b * (tokens - 1) + t];
            }
            out.add(row);
        }
        return out;
    }

    /**
     * Greedy decoding with a key/value cache: the prompt in one pass, then one token per pass attending to the
     * cached keys and values of every earlier token. Stops after {@code maxNewTokens}, or after a token that
     * {@code stop} (told each generated token in turn) accepts.
     *
     * <p>Native memory stays flat however many tokens are generated: the cache is allocated once for
     * {@code prompt.length + maxNewTokens - 1} tokens and written in place, and each pass runs in its own
     * sub-manager of {@code scope}, closed when its token is read. Nothing is left in {@code scope}.
     */
    public int[] generate(List<Map<String, NDArray>> models, LayerProgram program, int[] prompt, int maxNewTokens,
                          IntPredicate stop, NDManager scope) {
        if (prompt.length == 0 || maxNewTokens < 1) {
            throw new IllegalArgumentException("nothing to generate: " + prompt.length + " prompt tokens, " + maxNewTokens + " new tokens");
        }
        int[] generated = new int[maxNewTokens];
        int count = 0;
        try (KeyValueCache cache = KeyValueCache.open(program.length(), prompt.length + maxNewTokens - 1, scope)) {
            long[] input = java.util.Arrays.stream(prompt).asLongStream().toArray();
            int past = 0;
            while (count < maxNewTokens) {
                int next;
                try (NDManager pass = scope.newSubManager()) {
                    next = (int) nextLogits(models, program, pass.create(input, new Shape(1, input.length)), past, cache).argMax().getLong();
                }
                generated[count++] = next;
                past += input.length;
                input = new long[] {next};
                if (stop.test(next)) {
                    break;
                }
            }
        }
        return java.util.Arrays.copyOf(generated, count);
    }

    /**
     * The last position's logits [vocab] for {@code ids} [1, new tokens] after {@code past} tokens whose keys
     * and values {@code cache} holds; the new tokens' keys and values join it. Arrays are made in the manager of
     * {@code ids}.
     */
    NDArray nextLogits(List<Map<String, NDArray>> models, LayerProgram program, NDArray ids, int past, KeyValues cache) {
        Map<String, NDArray> first = models.getFirst();
        NDManager m = ids.getManager();
        long tokens = ids.getShape().get(1);
        NDArray h = tensor(first, "model.embed_tokens.weight").get(m, new NDIndex("{}", ids.flatten())).reshape(1, tokens, config.hidden());
        NDArray[] rope = rope(m, past, tokens);
        NDArray allowed = null; // one new token sees every cached token and itself: no mask
        if (tokens > 1) {
            // new token i (position past + i) sees every cached token and the new ones up to itself
            float[] visible = new float[(int) (tokens * (past + tokens))];
            for (int i = 0; i < tokens; i++) {
                for (int j = 0; j <= past + i; j++) {
                    visible[(int) (i * (past + tokens) + j)] = 1;
                }
            }
            allowed = m.create(visible, new Shape(1, 1, tokens, past + tokens)).gt(0);
        }
        for (int k = 0; k < program.length(); k++) {
            LayerProgram.Step step = program.steps().get(k);
            if (step.model() >= models.size()) {
                throw new EvomergeException("layer program names model " + step.model() + " of " + models.size());
            }
            if (step.scale() != 1.0) {
                h = h.mul(step.scale());
            }
            h = block(models.get(step.model()), step.layer(), h, rope, allowed, cache, k, past);
        }
        NDArray last = h.get(new NDIndex(":, -1, :"));
        NDArray head = config.tiedEmbeddings() ? tensor(first, "model.embed_tokens.weight") : tensor(first, "lm_head.weight");
        return linear(rmsNorm(last, tensor(first, "model.norm.weight")), head).reshape(-1);
    }

    /**
     * One block; with a {@code cache}, its keys and values extend those of program step {@code step} after
     * {@code past} tokens. A null {@code allowed} lets every query see every key.
     */
    private NDArray block(Map<String, NDArray> w, int layer, NDArray h, NDArray[] rope, NDArray allowed, KeyValues cache, int step, int past) {
        String p = "model.layers." + layer + ".";
        long batch = h.getShape().get(0);
        long tokens = h.getShape().get(1);
        int d = config.headDim();
        NDArray x = rmsNorm(h, tensor(w, p + "input_layernorm.weight"));
        NDArray q = project(w, x, p + "self_attn.q_proj").reshape(batch, tokens, config.heads(), d).transpose(0, 2, 1, 3);
        NDArray k = project(w, x, p + "self_attn.k_proj").reshape(batch, tokens, config.kvHeads(), d).transpose(0, 2, 1, 3);
        NDArray v = project(w, x, p + "self_attn.v_proj").reshape(batch, tokens, config.kvHeads(), d).transpose(0, 2, 1, 3);
        q = rotate(q, rope);
        k = rotate(k, rope);
        if (cache != null) {
            NDArray[] held = cache.extend(step, past, k, v);
            k = held[0];
            v = held[1];
        }
        long keys = k.getShape().get(2);
        int groups = config.heads() / config.kvHeads();
        if (groups > 1) {
            // query head h reads key/value head h / groups
            Shape grouped = new Shape(batch, config.kvHeads(), groups, keys, d);
            k = k.expandDims(2).broadcast(grouped).reshape(batch, config.heads(), keys, d);
            v = v.expandDims(2).broadcast(grouped).reshape(batch, config.heads(), keys, d);
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div(Math.sqrt(d));
        if (allowed != null) {
            scores = NDArrays.where(allowed.broadcast(scores.getShape()), scores, scores.getManager().full(new Shape(), Float.NEGATIVE_INFINITY));
        }
        NDArray attention = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(batch, tokens, config.hidden());
        h = h.add(linear(attention, tensor(w, p + "self_attn.o_proj.weight")));
        x = rmsNorm(h, tensor(w, p + "post_attention_layernorm.weight"));
        NDArray gate = Activation.swish(linear(x, tensor(w, p + "mlp.gate_proj.weight")), 1f);
        NDArray up = linear(x, tensor(w, p + "mlp.up_proj.weight"));
        return h.add(linear(gate.mul(up), tensor(w, p + "mlp.down_proj.weight")));
    }

    private NDArray project(Map<String, NDArray> w, NDArray x, String name) {
        return config.qkvBias() ? Linear.linear(x, tensor(w, name + ".weight"), tensor(w, name + ".bias")).singletonOrThrow()
                : linear(x, tensor(w, name + ".weight"));
    }

    /**
     * x · Wᵀ through torch's linear: the weight is used as stored (no transposed view, which would be made
     * in the weights' long-lived manager), and the result joins the input's scope.
     */
    private static NDArray linear(NDArray x, NDArray weight) {
        return Linear.linear(x, weight).singletonOrThrow();
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray inverse = x.square().mean(new int[] {-1}, true).add(config.eps()).sqrt();
        return x.div(inverse).mul(weight);
    }

    /** cos and sin [tokens, head dim] of the rotary embedding from position {@code from}: angles pos · θ^(−2i/d), each half repeated. */
    private NDArray[] rope(NDManager m, int from, long tokens) {
        int d = config.headDim();
        float[] cos = new float[(int) tokens * d];
        float[] sin = new float[(int) tokens * d];
        for (int row = 0; row < tokens; row++) {
            int pos = from + row;
            for (int i = 0; i < d / 2; i++) {
                double invFreq = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / d);
                // float32 as the reference computes it: the angle is rounded before cos and sin
                float angle = (float) pos * (float) invFreq;
                cos[row * d + i] = (float) Math.cos(angle);
                cos[row * d + i + d / 2] = (float) Math.cos(angle);
                sin[row * d + i] = (float) Math.sin(angle);
                sin[row * d + i + d / 2] = (float) Math.sin(angle);
            }
        }
        return new NDArray[] {m.create(cos, new Shape(tokens, d)), m.create(sin, new Shape(tokens, d))};
    }

    /** x · cos + rotate_half(x) · sin, with rotate_half(x) = (−x₂, x₁) over the two halves of the head dim. */
    private NDArray rotate(NDArray x, NDArray[] rope) {
        int half = config.headDim() / 2;
        NDArray x1 = x.get(new NDIndex("..., :" + half));
        NDArray x2 = x.get(new NDIndex("..., " + half + ":"));
        NDArray rotated = x2.neg().concat(x1, -1);
        return x.mul(rope[0]).add(rotated.mul(rope[1]));
    }

    private static NDArray tensor(Map<String, NDArray> w, String name) {
        NDArray t = w.get(name);
        if (t == null) {
            throw new EvomergeException("the model has no tensor " + name + " (not the Llama-family model its config describes)");
        }
        return t;
    }
}
