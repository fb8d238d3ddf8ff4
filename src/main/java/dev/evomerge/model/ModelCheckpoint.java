package dev.evomerge.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.evomerge.EvomergeException;
import dev.evomerge.tensor.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A model as it sits on disk: a directory with {@code config.json}, safetensors weights (one file or
 * shards) and other files (tokenizer.json, tokenizer_config.json, generation_config.json, …) that a merged
 * model carries along. A bare {@code .safetensors} file is accepted too, with an empty config.
 *
 * @implNote closing closes the weights' mappings.
 */
public final class ModelCheckpoint implements AutoCloseable {
    private final Path location;
    private final JsonNode config;
    private final SafetensorsCheckpoint weights;
    private final Architecture architecture;
    private final List<Path> carriedFiles;

    private ModelCheckpoint(Path location, JsonNode config, SafetensorsCheckpoint weights, Architecture architecture,
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
            carried = carried(path);
        }
        SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(path);
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

    /** Everything in the directory that is neither weights nor config.json nor a model card. */
    private static List<Path> carried(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).filter(f -> {
                String n = f.getFileName().toString();
                return !n.endsWith(".safetensors") && !n.equals(SafetensorsCheckpoint.INDEX) && !n.equals("config.json")
                        && !n.equals("README.md") && !n.endsWith(".bin") && !n.endsWith(".pt") && !n.endsWith(".pth")
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

    public SafetensorsCheckpoint weights() {
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
