package dev.evomerge.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.evomerge.EvomergeException;
import dev.evomerge.tensor.OnnxModel;
import dev.evomerge.tensor.SafetensorsCheckpoint;
import dev.evomerge.tensor.TensorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A model as it sits on disk: a directory with {@code config.json}, safetensors weights (one file or
 * shards) or an ONNX model ({@code model.onnx}, or the directory's one {@code .onnx} file, whose initializers
 * are its weights) and other files (tokenizer.json, tokenizer_config.json, generation_config.json, …) that a
 * merged model carries along. A bare {@code .safetensors} or {@code .onnx} file is accepted too, with an empty
 * config.
 *
 * @implNote closing closes the weights' mappings.
 */
public final class ModelCheckpoint implements AutoCloseable {
    private final Path location;
    private final JsonNode config;
    private final TensorStore weights;
    private final Architecture architecture;
    private final List<Path> carriedFiles;

    private ModelCheckpoint(Path location, JsonNode config, TensorStore weights, Architecture architecture,
                            List<Path> carriedFiles) {
        this.location = location;
        this.config = config;
        this.weights = weights;
        this.architecture = architecture;
        this.carriedFiles = carriedFiles;
    }

    public static ModelCheckpoint open(Path path) {
        return open(path, null);
    }

    /** Opens a checkpoint whose layers are found by {@code layerPattern} (null: recognize a known layout). */
    public static ModelCheckpoint open(Path path, String layerPattern) {
        JsonNode config = JsonNodeFactory.instance.objectNode();
        List<Path> carried = List.of();
        if (Files.isDirectory(path)) {
            Path configFile = path.resolve("config.json");
            if (Files.isRegularFile(configFile)) {
                try {
                    config = new ObjectMapper().readTree(configFile.toFile());
                } catch (IOException e) {
                    throw new EvomergeException(configFile + ": not valid JSON: " + e.getMessage(), e);
                }
            }
        }
        TensorStore weights = openWeights(path);
        if (Files.isDirectory(path)) {
            carried = carried(path, weights);
        }
        try {
            Architecture architecture = layerPattern == null
                    ? Architecture.detect(config, weights.names())
                    : Architecture.fromPattern(layerPattern, config, weights.names());
            return new ModelCheckpoint(path, config, weights, architecture, carried);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /**
     * An ONNX model when {@code path} is a {@code .onnx} file, or a directory with {@code model.onnx} or with
     * one {@code .onnx} file and no safetensors; safetensors otherwise.
     */
    private static TensorStore openWeights(Path path) {
        if (!Files.exists(path)) {
            throw new EvomergeException(path + ": no such checkpoint (neither a .safetensors or .onnx file nor a directory)");
        }
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".onnx")) {
            return OnnxModel.open(path);
        }
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve(OnnxModel.FILE))) {
                return OnnxModel.open(path.resolve(OnnxModel.FILE));
            }
            List<Path> onnx = list(path, ".onnx");
            if (onnx.size() == 1 && list(path, ".safetensors").isEmpty()) {
                return OnnxModel.open(onnx.getFirst());
            }
            if (onnx.size() > 1 && list(path, ".safetensors").isEmpty()) {
                throw new EvomergeException(path + ": " + onnx.size() + " .onnx files and no " + OnnxModel.FILE
                        + " to say which is the model");
            }
        }
        return SafetensorsCheckpoint.open(path);
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new EvomergeException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    /** Everything in the directory that is neither weights nor config.json nor a model card. */
    private static List<Path> carried(Path dir, TensorStore weights) {
        List<Path> dataFiles = weights instanceof OnnxModel onnx
                ? onnx.dataFiles().stream().map(p -> p.toAbsolutePath().normalize()).toList() : List.of();
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).filter(f -> {
                String n = f.getFileName().toString();
                return !n.endsWith(".safetensors") && !n.equals(SafetensorsCheckpoint.INDEX) && !n.equals("config.json")
                        && !n.equals("README.md") && !n.endsWith(".bin") && !n.endsWith(".pt") && !n.endsWith(".pth")
                        && !n.endsWith(".onnx") && !dataFiles.contains(f.toAbsolutePath().normalize())
                        && !n.startsWith(".");
            }).sorted().toList();
        } catch (IOException e) {
            throw new EvomergeException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    public Path location() {
        return location;
    }

    /** config.json (an empty object when there is none). */
    public JsonNode config() {
        return config.deepCopy();
    }

    public Architecture architecture() {
        return architecture;
    }

    public TensorStore weights() {
        return weights;
    }

    /** Files a merged model copies from this one (tokenizer and the like). */
    public List<Path> carriedFiles() {
        return carriedFiles;
    }

    /** The model's name for messages and model cards: its directory name. */
    public String name() {
        return location.getFileName().toString();
    }

    @Override
    public void close() {
        weights.close();
    }
}
