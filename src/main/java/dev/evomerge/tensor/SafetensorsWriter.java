package dev.evomerge.tensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes a safetensors checkpoint, plan first: the whole list of tensors is given up front, so every
 * shard's header (and every tensor's byte range) is fixed before any data is written, and tensors can
 * then be written in any order, from several threads, straight into memory-mapped shards.
 *
 * <p>Shards are written as {@code *.partial} files; {@link #commit} fsyncs them, renames them to
 * {@code model.safetensors} or {@code model-0000i-of-0000n.safetensors}, and writes the index last (for
 * more than one shard), itself through a temporary file and a rename. A writer closed without a commit
 * deletes what it wrote. Headers are padded with spaces to a multiple of 8 bytes.
 *
 * @implNote {@code write}/{@code writeRaw} are thread-safe for distinct tensors.
 */
public final class SafetensorsWriter implements AutoCloseable {
    private final Path dir;
    private final List<Shard> shards;
    private final Map<String, Slot> slots;
    private final Set<String> written = ConcurrentHashMap.newKeySet();
    private final Arena arena = Arena.ofShared();
    private boolean done;
    private boolean committed;

    private record Shard(String fileName, Path partial, List<TensorInfo> tensors, long dataOffset, long fileSize) {
    }

    private record Slot(TensorInfo info, Shard shard, long offset) {
    }

    private final Map<Shard, MemorySegment> mapped = new HashMap<>();

    private SafetensorsWriter(Path dir, List<Shard> shards, Map<String, Slot> slots) {
        this.dir = dir;
        this.shards = shards;
        this.slots = slots;
    }

    /**
     * Plans the shards (tensors in plan order, a new shard when the next tensor would pass
     * {@code maxShardBytes}; a tensor larger than that gets a shard of its own) and creates them.
     */
    public static SafetensorsWriter create(Path dir, List<TensorInfo> plan, long maxShardBytes, Map<String, String> metadata) {
        if (plan.isEmpty()) {
            throw new IllegalArgumentException("nothing to write");
        }
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
        }
        List<List<TensorInfo>> groups = new ArrayList<>();
        List<TensorInfo> current = new ArrayList<>();
        long size = 0;
        Set<String> names = new java.util.HashSet<>();
        for (TensorInfo t : plan) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("tensor planned twice: " + t.name());
            }
            if (!current.isEmpty() && size + t.byteSize() > maxShardBytes) {
                groups.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(t);
            size += t.byteSize();
        }
        groups.add(current);

        List<Shard> shards = new ArrayList<>();
        Map<String, Slot> slots = new HashMap<>();
        for (int i = 0; i < groups.size(); i++) {
            String fileName = groups.size() == 1 ? SafetensorsCheckpoint.SINGLE
                    : String.format("model-%05d-of-%05d.safetensors", i + 1, groups.size());
            byte[] header = header(groups.get(i), metadata);
            long dataSize = groups.get(i).stream().mapToLong(TensorInfo::byteSize).sum();
            Shard shard = new Shard(fileName, dir.resolve(fileName + ".partial"), List.copyOf(groups.get(i)),
                    8L + header.length, 8L + header.length + dataSize);
            shards.add(shard);
            long offset = shard.dataOffset;
            for (TensorInfo t : groups.get(i)) {
                slots.put(t.name(), new Slot(t, shard, offset));
                offset += t.byteSize();
            }
        }
        SafetensorsWriter writer = new SafetensorsWriter(dir, List.copyOf(shards), Map.copyOf(slots));
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < shards.size(); i++) {
                writer.open(shards.get(i), header(groups.get(i), metadata));
            }
        } catch (IOException e) {
            writer.close();
            throw new EvomergeException(dir + ": cannot write: " + e.getMessage(), e);
        }
        return writer;
    }

    private static byte[] header(List<TensorInfo> tensors, Map<String, String> metadata) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            // sorted: the same header bytes every run (Map.of iterates in an order fixed per JVM run only)
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (TensorInfo t : tensors) {
            ObjectNode entry = root.putObject(t.name());
            entry.put("dtype", t.dtype().safetensorsName());
            var shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            var offsets = entry.putArray("data_offsets");
            offsets.add(offset);
            offsets.add(offset + t.byteSize());
            offset += t.byteSize();
        }
        byte[] text = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) / 8 * 8;
        byte[] header = java.util.Arrays.copyOf(text, padded);
        java.util.Arrays.fill(header, text.length, padded, (byte) ' ');
        return header;
    }

    private void open(Shard shard, byte[] header) throws IOException {
        try (FileChannel channel = FileChannel.open(shard.partial, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            MemorySegment file = channel.map(FileChannel.MapMode.READ_WRITE, 0, shard.fileSize, arena);
            file.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, header.length);
            MemorySegment.copy(header, 0, file, ValueLayout.JAVA_BYTE, 8, header.length);
            mapped.put(shard, file);
        }
    }

    /** The planned tensors. */
    public List<TensorInfo> plan() {
        return shards.stream().flatMap(s -> s.tensors.stream()).toList();
    }

    /** Writes a float tensor, converting f32 to its planned type. */
    public void write(String name, float[] values) {
        Slot slot = claim(name);
        if (!slot.info.dtype().isFloat()) {
            throw new IllegalArgumentException(name + " is planned as " + slot.info.dtype() + ", not a float type");
        }
        if (values.length != slot.info.numel()) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape "
                    + java.util.Arrays.toString(slot.info.shape()));
        }
        HalfPrecision.encode(values, slot.info.dtype(), target(slot));
    }

    /**
     * Claims a planned float tensor's place in the output, for the caller to write a chunk at a time (with
     * {@link StoredTensor#write}) before commit.
     */
    public StoredTensor place(String name) {
        Slot slot = claim(name);
        if (!slot.info.dtype().isFloat()) {
            throw new IllegalArgumentException(name + " is planned as " + slot.info.dtype() + ", not a float type");
        }
        return new StoredTensor(target(slot), slot.info.dtype());
    }

    /** Copies a tensor's stored bytes as they are (any type); their count must match the plan. */
    public void writeRaw(String name, MemorySegment bytes) {
        Slot slot = claim(name);
        if (bytes.byteSize() != slot.info.byteSize()) {
            throw new IllegalArgumentException(name + ": " + bytes.byteSize() + " bytes for a planned "
                    + slot.info.byteSize());
        }
        MemorySegment.copy(bytes, 0, target(slot), 0, bytes.byteSize());
    }

    /**
     * Writes a tensor already written (or being written no more) to disk now, so that {@link #commit}'s fsync
     * has less left to do; thread-safe.
     */
    public void flush(String name) {
        Slot slot = slots.get(name);
        if (slot == null || !written.contains(name)) {
            throw new IllegalArgumentException("tensor not written: " + name);
        }
        if (done) {
            throw new IllegalStateException("writer already committed or closed");
        }
        target(slot).force();
    }

    private Slot claim(String name) {
        if (done) {
            throw new IllegalStateException("writer already committed or closed");
        }
        Slot slot = slots.get(name);
        if (slot == null) {
            throw new IllegalArgumentException("tensor not in the plan: " + name);
        }
        if (!written.add(name)) {
            throw new IllegalArgumentException("tensor written twice: " + name);
        }
        return slot;
    }

    private MemorySegment target(Slot slot) {
        return mapped.get(slot.shard).asSlice(slot.offset, slot.info.byteSize());
    }

    /** The file names this writer produces on commit (shards, then the index if any). */
    public List<String> fileNames() {
        List<String> names = new ArrayList<>(shards.stream().map(Shard::fileName).toList());
        if (shards.size() > 1) {
            names.add(SafetensorsCheckpoint.INDEX);
        }
        return names;
    }

    /** Makes the checkpoint durable and visible: fsync, rename the shards, write the index last. */
    public void commit() {
        if (done) {
            throw new IllegalStateException("writer already committed or closed");
        }
        if (written.size() != slots.size()) {
            String missing = slots.keySet().stream().filter(n -> !written.contains(n)).sorted().findFirst().orElseThrow();
            throw new IllegalStateException("tensor planned but never written: " + missing
                    + " (" + (slots.size() - written.size()) + " missing)");
        }
        try {
            for (MemorySegment segment : mapped.values()) {
                segment.force();
            }
            done = true;
            arena.close();
            for (Shard shard : shards) {
                try (FileChannel channel = FileChannel.open(shard.partial, StandardOpenOption.WRITE)) {
                    channel.force(true);
                }
                Files.move(shard.partial, dir.resolve(shard.fileName), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            }
            if (shards.size() > 1) {
                writeIndex();
            }
            AtomicFiles.syncDirectory(dir);
            committed = true;
        } catch (IOException e) {
            throw new EvomergeException(dir + ": cannot write: " + e.getMessage(), e);
        }
    }

    private void writeIndex() throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.putObject("metadata").put("total_size", slots.values().stream().mapToLong(s -> s.info.byteSize()).sum());
        ObjectNode map = root.putObject("weight_map");
        for (Shard shard : shards) {
            for (TensorInfo t : shard.tensors) {
                map.put(t.name(), shard.fileName);
            }
        }
        AtomicFiles.write(dir.resolve(SafetensorsCheckpoint.INDEX),
                json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    /** Whether {@link #commit} has completed. */
    public boolean committed() {
        return committed;
    }

    /** Without a commit, unmaps and deletes every partial shard. */
    @Override
    public void close() {
        if (done) {
            return;
        }
        done = true;
        arena.close();
        for (Shard shard : shards) {
            try {
                Files.deleteIfExists(shard.partial);
            } catch (IOException ignored) {
                // best effort: a leftover *.partial never looks like a complete checkpoint
            }
        }
    }
}
