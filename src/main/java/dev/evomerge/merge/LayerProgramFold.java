package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.model.Architecture;
import dev.evomerge.tensor.HalfPrecision;
import dev.evomerge.tensor.TensorInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer program as the standard Llama-family checkpoint it folds into ({@code num_hidden_layers} = the
 * program's length), which needs no custom code: the hidden-state scales are folded into the weights. The
 * export writes this checkpoint and the search scores it, built in memory from the same values with the same
 * arithmetic and rounding, so the two score alike to the last bit.
 *
 * <p>Why folding keeps the program's meaning: in a pre-norm residual network RMSNorm ignores a positive scale
 * of its input. Write the true hidden state as H = c·G, with c the product of the scales so far. A block
 * computes H + attn(norm(H)) then + mlp(norm(·)); with H = c·G that is c·(G + attn(norm(G))/c) and likewise
 * for the MLP. So the folded block k reads G and writes G, with its {@code o_proj} and {@code down_proj} (the
 * projections that write into the residual stream) divided by c_k; the final norm again ignores c. In exact
 * arithmetic the logits are the program's, up to RMSNorm's ε; in floating point they differ in the last bits
 * (the division is rounded, to f32 and to the stored dtype), which is why the folded model is what is scored.
 *
 * @param tensors the folded checkpoint's tensors in write order: model 0's embeddings, each step's layer
 *                renamed to its position in the program, model 0's final norm and head
 * @param config  the folded checkpoint's config.json: model 0's, with the program's length as its layer count
 * @param architecture where the folded checkpoint's tensors sit: model 0's layout, the program's length in layers
 * @implNote immutable.
 */
public record LayerProgramFold(List<Folded> tensors, JsonNode config, Architecture architecture) {
    /**
     * One tensor of the folded checkpoint.
     *
     * @param output  its name, dtype and shape as written (the dtype and shape of its source)
     * @param model   the program's index of the model it comes from
     * @param source  its name in that model
     * @param divisor what its values are divided by: the product of the scales up to its step for the
     *                projections that write into the residual stream, else 1
     */
    public record Folded(TensorInfo output, int model, String source, double divisor) {
        /** Whether its values are divided; if not, it is its source's, byte for byte. */
        public boolean divided() {
            return divisor != 1 && output.dtype().isFloat();
        }

        /**
         * {@code values} (the source's, as f32) divided in place, as the folded checkpoint holds them before they
         * are rounded to {@link TensorInfo#dtype()}: the quotient in double, rounded to f32.
         */
        public void divide(float[] values) {
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (values[i] / divisor);
            }
        }
    }

    /** A model as the fold reads it: its tensors (name, dtype and shape as written), where they sit, its config.json. */
    public record Model(List<TensorInfo> tensors, Architecture architecture, JsonNode config) {
        public Model {
            tensors = List.copyOf(tensors);
            config = config.deepCopy();
        }
    }

    public LayerProgramFold {
        tensors = List.copyOf(tensors);
        config = config.deepCopy();
    }

    @Override
    public JsonNode config() {
        return config.deepCopy();
    }

    /**
     * Folds {@code program} over {@code models} (model 0 gives the embeddings, final norm and head); an
     * {@link EvomergeException} for a step that names a missing model or layer or has a scale that is not
     * positive (only positive scales fold into weights).
     */
    public static LayerProgramFold of(List<Model> models, LayerProgram program) {
        Model first = models.getFirst();
        Architecture arch = first.architecture();
        List<Folded> out = new ArrayList<>();
        for (TensorInfo t : first.tensors()) {
            if (arch.layerOf(t.name()).isEmpty() && arch.moduleOf(t.name()).equals("embed")) {
                out.add(new Folded(t, 0, t.name(), 1));
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
            Model model = models.get(step.model());
            Architecture a = model.architecture();
            boolean any = false;
            for (TensorInfo t : model.tensors()) {
                if (a.layerOf(t.name()).orElse(-1) == step.layer()) {
                    String module = a.moduleOf(t.name());
                    boolean writesResidual = module.equals("self_attn.o_proj") || module.equals("mlp.down_proj");
                    out.add(new Folded(t.withName(a.renameLayer(t.name(), k)), step.model(), t.name(), writesResidual ? cumulative : 1));
                    any = true;
                }
            }
            if (!any) {
                throw new EvomergeException("model " + step.model() + " has no layer " + step.layer());
            }
        }
        for (TensorInfo t : first.tensors()) {
            if (arch.layerOf(t.name()).isEmpty() && !arch.moduleOf(t.name()).equals("embed")) {
                out.add(new Folded(t, 0, t.name(), 1));
            }
        }
        ObjectNode config = first.config().deepCopy();
        config.put("num_hidden_layers", program.length());
        return new LayerProgramFold(out, config, new Architecture(arch.family(), arch.layerPattern(), program.length()));
    }

    /**
     * The folded checkpoint in memory, from {@code models}' float tensors as f32 (each holding the values its
     * checkpoint stores, or will store): undivided tensors are those same arrays; divided ones are made in
     * {@code scope}, divided and rounded to their dtype exactly as the export writes them. Non-float tensors
     * are left out, as {@link Candidate#load} leaves them out.
     */
    public Candidate candidate(List<Map<String, NDArray>> models, NDManager scope) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Folded t : tensors) {
            if (!t.output().dtype().isFloat()) {
                continue;
            }
            NDArray source = models.get(t.model()).get(t.source());
            if (source == null) {
                throw new IllegalArgumentException("model " + t.model() + " has no tensor " + t.source() + " in memory");
            }
            if (!t.divided()) {
                out.put(t.output().name(), source);
                continue;
            }
            float[] values = source.toFloatArray();
            t.divide(values);
            HalfPrecision.round(values, 0, values.length, t.output().dtype());
            out.put(t.output().name(), scope.create(values, new Shape(t.output().shape())));
        }
        return new Candidate(out, config, architecture);
    }
}
