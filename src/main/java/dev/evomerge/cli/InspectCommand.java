package dev.evomerge.cli;

import dev.evomerge.model.Architecture;
import dev.evomerge.model.Compatibility;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.OnnxModel;
import dev.evomerge.tensor.TensorInfo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Describe checkpoints: architecture, layers, parameters, dtypes, bytes, shards.",
                "With several paths: whether they can be merged, and each one's relative L2 distance per layer from the first."})
public final class InspectCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Checkpoint directories, .safetensors or .onnx files.")
    List<Path> paths;

    @Option(names = "--tensors", description = "Also list every tensor (name, dtype, shape, layer, module).")
    boolean tensors;

    @Option(names = "--layer-pattern", paramLabel = "REGEX",
            description = "Regex whose first group is the layer index, for architectures not recognized by name.")
    String layerPattern;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<ModelCheckpoint> models = new ArrayList<>();
        try {
            for (Path path : paths) {
                models.add(ModelCheckpoint.open(path, layerPattern));
            }
            for (ModelCheckpoint model : models) {
                describe(model, out);
            }
            boolean mergeable = models.size() < 2 || compare(models, out);
            out.flush();
            return mergeable ? 0 : 1;
        } finally {
            models.forEach(ModelCheckpoint::close);
        }
    }

    private void describe(ModelCheckpoint model, PrintWriter out) {
        Architecture arch = model.architecture();
        List<TensorInfo> all = model.weights().tensors();
        long parameters = all.stream().mapToLong(TensorInfo::numel).sum();
        Map<DType, Long> byType = new TreeMap<>();
        all.forEach(t -> byType.merge(t.dtype(), t.numel(), Long::sum));
        out.printf("%s%n", model.location());
        out.printf("  architecture  %s (%s)%n", model.config().path("model_type").asText(arch.family()), arch.family());
        out.printf("  layers        %d%n", arch.layerCount());
        out.printf("  parameters    %,d in %d tensors%n", parameters, all.size());
        out.printf("  dtypes        %s%n", byType.entrySet().stream().map(e -> e.getKey() + " " + String.format("%,d", e.getValue())).toList());
        out.printf("  bytes         %,d in %d shard(s)%n", model.weights().byteSize(), model.weights().shardCount());
        out.printf("  carried files %s%n", model.carriedFiles().stream().map(p -> p.getFileName().toString()).toList());
        if (tensors) {
            // ONNX initializers are listed by the name of the module that consumes them; the file's own name follows
            OnnxModel onnx = model.weights() instanceof OnnxModel o ? o : null;
            out.printf("  %-60s %-5s %-20s %5s %-28s%s%n", "tensor", "dtype", "shape", "layer", "module", onnx == null ? "" : " initializer");
            for (TensorInfo t : all) {
                var layer = arch.layerOf(t.name());
                out.printf("  %-60s %-5s %-20s %5s %-28s%s%n", t.name(), t.dtype(), Arrays.toString(t.shape()),
                        layer.isPresent() ? String.valueOf(layer.getAsInt()) : "-", arch.moduleOf(t.name()),
                        onnx == null ? "" : " " + onnx.onnxName(t.name()));
            }
        }
    }

    /** Prints the comparison; false when the models cannot be merged (exit 1, so scripts can check). */
    private static boolean compare(List<ModelCheckpoint> models, PrintWriter out) {
        Compatibility c = Compatibility.of(models);
        if (!c.mergeable()) {
            out.printf("not mergeable: %d difference(s)%n", c.differences().size());
            c.differences().stream().limit(50).forEach(d -> out.printf("  %s%n", d));
            if (c.differences().size() > 50) {
                out.printf("  … and %d more%n", c.differences().size() - 50);
            }
            return false;
        }
        out.printf("mergeable: same tensor names and shapes%n");
        out.printf("relative L2 distance from %s per layer (-1 = outside the layers)%n", models.getFirst().name());
        for (int i = 1; i < models.size(); i++) {
            out.printf("  %s%n", models.get(i).name());
            c.distances().get(i - 1).forEach((layer, d) -> out.printf("    %4d  %.6f%n", layer, d));
        }
        return true;
    }
}
