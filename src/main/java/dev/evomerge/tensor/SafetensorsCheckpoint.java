package dev.evomerge.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The weights of one model: a single safetensors file, or a directory holding {@code model.safetensors}
 * or shards listed by {@code model.safetensors.index.json}. All shards are mapped lazily when opened;
 * tensors are read one at a time, on demand.
 *
 * <p>PyTorch pickles ({@code *.bin}, {@code *.pt}) are never unpickled: loading one can run arbitrary
 * code. A directory that has only those is refused with a message saying to convert it.
 *
 * @implNote thread-safe for concurrent reads; closing closes every shard.
 */
public final class SafetensorsCheckpoint implements TensorStore {
    public static final String INDEX = "model.safetensors.index.json";
    public static final String SINGLE = "model.safetensors";

    private final Path location;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> byTensor;

    private SafetensorsCheckpoint(Path location, List<SafetensorsFile> shards, Map<String, SafetensorsFile> byTensor) {
        this.location = location;
        this.shards = shards;
        this.byTensor = byTensor;
    }

    public static SafetensorsCheckpoint open(Path path) {
        if (Files.isRegularFile(path)) {
            refusePickle(path);
            return ofShards(path, List.of(path));
        }
        if (!Files.isDirectory(path)) {
            throw new EvomergeException(path + ": no such checkpoint (neither a .safetensors file nor a directory)");
        }
        Path index = path.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            return ofIndex(path, index);
        }
        if (Files.isRegularFile(path.resolve(SINGLE))) {
            return ofShards(path, List.of(path.resolve(SINGLE)));
        }
        List<Path> found = list(path, ".safetensors");
        if (found.size() == 1) {
            return ofShards(path, found);
        }
        if (!found.isEmpty()) {
            throw new EvomergeException(path + ": " + found.size() + " .safetensors files but no " + INDEX
                    + " to say which are the model's shards");
        }
        List<Path> pickles = Stream.concat(list(path, ".bin").stream(), list(path, ".pt").stream()).toList();
        if (!pickles.isEmpty()) {
            refusePickle(pickles.getFirst());
        }
        throw new EvomergeException(path + ": no safetensors weights (" + SINGLE + " or " + INDEX + ") in this directory");
    }

    private static void refusePickle(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".bin") || name.endsWith(".pt") || name.endsWith(".pth")) {
            throw new EvomergeException(file + ": PyTorch pickle checkpoints are never loaded (unpickling can run "
                    + "arbitrary code); convert it to safetensors first, e.g. with safetensors.torch.save_file");
        }
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new EvomergeException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static SafetensorsCheckpoint ofIndex(Path dir, Path index) {
        JsonNode map;
        try {
            map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new EvomergeException(index + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!map.isObject() || map.isEmpty()) {
            throw new EvomergeException(index + ": has no weight_map");
        }
        Path root = dir.toAbsolutePath().normalize();
        Map<String, Path> shardOf = new LinkedHashMap<>();
        List<Path> shardFiles = new ArrayList<>();
        for (var it = map.fields(); it.hasNext(); ) {
            var field = it.next();
            String file = field.getValue().asText();
            Path shard = root.resolve(file).normalize();
            if (!field.getValue().isTextual() || file.isEmpty() || Path.of(file).isAbsolute()
                    || !shard.getParent().equals(root)) {
                throw new EvomergeException(index + ": tensor '" + field.getKey() + "' names shard '" + file
                        + "' outside the checkpoint directory; shards must be plain file names beside the index");
            }
            if (!Files.isRegularFile(shard)) {
                throw new EvomergeException(index + ": tensor '" + field.getKey() + "' is in shard '" + file
                        + "', which is missing");
            }
            shardOf.put(field.getKey(), shard);
            if (!shardFiles.contains(shard)) {
                shardFiles.add(shard);
            }
        }
        SafetensorsCheckpoint checkpoint = ofShards(dir, shardFiles);
        try {
            for (var e : shardOf.entrySet()) {
                SafetensorsFile holder = checkpoint.byTensor.get(e.getKey());
                if (holder == null || !holder.path().equals(e.getValue())) {
                    throw new EvomergeException(index + ": tensor '" + e.getKey() + "' is not in shard "
                            + e.getValue().getFileName());
                }
            }
            if (checkpoint.byTensor.size() != shardOf.size()) {
                String extra = checkpoint.byTensor.keySet().stream().filter(n -> !shardOf.containsKey(n)).findFirst().orElseThrow();
                throw new EvomergeException(index + ": tensor '" + extra + "' is in a shard but not in the index");
            }
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
        return checkpoint;
    }

    private static SafetensorsCheckpoint ofShards(Path location, List<Path> files) {
        List<SafetensorsFile> shards = new ArrayList<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (Path file : files) {
                SafetensorsFile shard = SafetensorsFile.open(file);
                shards.add(shard);
                for (TensorInfo t : shard.tensors()) {
                    SafetensorsFile before = byTensor.putIfAbsent(t.name(), shard);
                    if (before != null) {
                        throw new EvomergeException(file + ": tensor '" + t.name() + "' is also in " + before.path().getFileName());
                    }
                }
            }
        } catch (RuntimeException e) {
            shards.forEach(SafetensorsFile::close);
            throw e;
        }
        return new SafetensorsCheckpoint(location, List.copyOf(shards), Collections.unmodifiableMap(byTensor));
    }

    @Override
    public Path location() {
        return location;
    }

    /** Every tensor, in shard order then header order. */
    @Override
    public List<TensorInfo> tensors() {
        List<TensorInfo> all = new ArrayList<>();
        for (SafetensorsFile shard : shards) {
            all.addAll(shard.tensors());
        }
        return all;
    }

    @Override
    public List<String> names() {
        return List.copyOf(byTensor.keySet());
    }

    @Override
    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return shard(name).info(name);
    }

    /** The first shard's {@code __metadata__}. */
    @Override
    public Map<String, String> metadata() {
        return shards.getFirst().metadata();
    }

    @Override
    public int shardCount() {
        return shards.size();
    }

    /** The tensor's stored bytes, a read-only slice of its shard's mapping. */
    @Override
    public MemorySegment raw(String name) {
        return shard(name).raw(name);
    }

    private SafetensorsFile shard(String name) {
        SafetensorsFile shard = byTensor.get(name);
        if (shard == null) {
            throw new EvomergeException(location + ": no tensor named '" + name + "'");
        }
        return shard;
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}
