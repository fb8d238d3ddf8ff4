package dev.evomerge.fitness;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.merge.LayerProgram;
import dev.evomerge.model.Architecture;
import dev.evomerge.model.CheckpointWriter;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.SafetensorsWriter;
import dev.evomerge.tensor.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer program written as a standard Llama-family checkpoint ({@code num_hidden_layers} = the program's
 * length) that needs no custom code: the hidden-state scales are folded into the weights.
 *
 * <p>Why that is exact: in a pre-norm residual network RMSNorm ignores a positive scale of its input. Write
 * the true hidden state as H = c·G, with c the product of the scales so far. A block computes
 * H + attn(norm(H)) then + mlp(norm(·)); with H = c·G that is c·(G + attn(norm(G))/c) and likewise for the
 * MLP. So the exported block k reads G and writes G, with its {@code o_proj} and {@code down_proj} (the
 * projections that write into the residual stream) divided by c_k; the final norm again ignores c. The
 * logits are the program's, up to RMSNorm's ε.
 */
public final class LayerProgramExport {
    private LayerProgramExport() {
    }

    /** Writes {@code program} over {@code models} (model 0 gives embeddings, final norm, head, tokenizer) to {@code out}. */
    public static Path write(List<ModelCheckpoint> models, LayerProgram program, Path out, boolean overwrite) {
        ModelCheckpoint first = models.getFirst();
        Architecture arch = first.architecture();
        Map<String, Source> sources = new LinkedHashMap<>();
        List<TensorInfo> plan = new ArrayList<>();
        for (TensorInfo t : first.weights().tensors()) {
            if (arch.layerOf(t.name()).isEmpty() && arch.moduleOf(t.name()).equals("embed")) {
                sources.put(t.name(), new Source(first, t.name(), 1));
                plan.add(t);
            }
        }
        double cumulative = 1;
        for (int k = 0; k < program.length(); k++) {
            LayerProgram.Step step = program.steps().get(k);
            if (!(step.scale() > 0)) {
                throw new EvomergeException("layer program step " + k + " has scale " + step.scale() + ": only positive scales fold into weights");
            }
            if (step.model() >= models.size()) {
                throw new EvomergeException("layer program names model " + step.model() + " of " + models.size());
            }
            cumulative *= step.scale();
            ModelCheckpoint model = models.get(step.model());
            Architecture a = model.architecture();
            boolean any = false;
            for (TensorInfo t : model.weights().tensors()) {
                if (a.layerOf(t.name()).orElse(-1) == step.layer()) {
                    String name = a.renameLayer(t.name(), k);
                    String module = a.moduleOf(t.name());
                    boolean writesResidual = module.equals("self_attn.o_proj") || module.equals("mlp.down_proj");
                    sources.put(name, new Source(model, t.name(), writesResidual ? cumulative : 1));
                    plan.add(t.withName(name));
                    any = true;
                }
            }
            if (!any) {
                throw new EvomergeException("model " + step.model() + " has no layer " + step.layer());
            }
        }
        for (TensorInfo t : first.weights().tensors()) {
            if (arch.layerOf(t.name()).isEmpty() && !arch.moduleOf(t.name()).equals("embed")) {
                sources.put(t.name(), new Source(first, t.name(), 1));
                plan.add(t);
            }
        }
        try (CheckpointWriter writer = CheckpointWriter.create(out, overwrite)) {
            try (SafetensorsWriter weights = writer.weights(plan, 5_000_000_000L, Map.of("format", "pt", "evomerge_layer_program", program.toString()))) {
                for (TensorInfo t : plan) {
                    Source s = sources.get(t.name());
                    if (s.divisor == 1 || !t.dtype().isFloat()) {
                        weights.writeRaw(t.name(), s.model.weights().raw(s.tensor));
                    } else {
                        float[] v = s.model.weights().readFloats(s.tensor);
                        for (int i = 0; i < v.length; i++) {
                            v[i] = (float) (v[i] / s.divisor);
                        }
                        weights.write(t.name(), v);
                    }
                }
                weights.commit();
            }
            ObjectNode config = (ObjectNode) first.config();
            config.put("num_hidden_layers", program.length());
            writer.writeFile("config.json", config.toPrettyString());
            first.carriedFiles().forEach(writer::copyFile);
            return writer.commit();
        }
    }

    private record Source(ModelCheckpoint model, String tensor, double divisor) {
    }
}
