package dev.evomerge.fitness;

import dev.evomerge.merge.LayerProgram;
import dev.evomerge.merge.LayerProgramFold;
import dev.evomerge.model.CheckpointWriter;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.SafetensorsWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A layer program written as a standard Llama-family checkpoint, its scales folded into the weights
 * ({@link LayerProgramFold}, which says why that keeps the program's meaning): the tensors a search scores
 * for the program, written in their models' dtypes.
 */
public final class LayerProgramExport {
    private LayerProgramExport() {
    }

    /** Writes {@code program} over {@code models} (model 0 gives embeddings, final norm, head, tokenizer) to {@code out}. */
    public static Path write(List<ModelCheckpoint> models, LayerProgram program, Path out, boolean overwrite) {
        ModelCheckpoint first = models.getFirst();
        LayerProgramFold fold = LayerProgramFold.of(models.stream()
                .map(m -> new LayerProgramFold.Model(m.weights().tensors(), m.architecture(), m.config())).toList(), program);
        try (CheckpointWriter writer = CheckpointWriter.create(out, overwrite)) {
            try (SafetensorsWriter weights = writer.weights(fold.tensors().stream().map(LayerProgramFold.Folded::output).toList(),
                    5_000_000_000L, Map.of("format", "pt", "evomerge_layer_program", program.toString()))) {
                for (LayerProgramFold.Folded t : fold.tensors()) {
                    ModelCheckpoint model = models.get(t.model());
                    if (t.divided()) {
                        float[] v = model.weights().readFloats(t.source());
                        t.divide(v);
                        weights.write(t.output().name(), v); // rounded to the dtype here, as the search rounded it
                    } else {
                        weights.writeRaw(t.output().name(), model.weights().raw(t.source()));
                    }
                }
                weights.commit();
            }
            writer.writeFile("config.json", fold.config().toPrettyString());
            first.carriedFiles().forEach(writer::copyFile);
            return writer.commit();
        }
    }
}
