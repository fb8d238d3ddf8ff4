package dev.evomerge.tensor;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One memory-mapped safetensors file: an 8-byte little-endian header length, a JSON header, the data.
 *
 * <p>The file is untrusted: everything the header says is checked when it is opened (length, JSON,
 * dtypes, that every shape fits its byte range, that the ranges tile the data exactly with no overlap,
 * gap or overrun, no duplicate names), and every failure is one {@link EvomergeException} naming the
 * file and the tensor. Tensors are not read until asked for; a slice of the mapping is returned, so a
 * tensor over 2 GiB is never copied into the heap.
 *
 * @implNote thread-safe for concurrent reads; {@link #close} unmaps (one shared {@link Arena} per file),
 *     after which segments handed out are invalid.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The largest header accepted (the reference implementation's limit). */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private record Entry(TensorInfo info, long begin, long end) {
    }

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Maps and validates {@code path}; nothing is read beyond the header. */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new EvomergeException(path + ": not a safetensors file (" + size + " bytes, shorter than its header length)");
            }
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLength = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
                throw new EvomergeException(path + ": header length " + Long.toUnsignedString(headerLength)
                        + " is not between 2 bytes and 100 MB: the file is corrupt or not safetensors");
            }
            if (headerLength > size - 8) {
                throw new EvomergeException(path + ": header length " + headerLength + " runs past the end of the "
                        + size + "-byte file: the file is truncated or corrupt");
            }
            byte[] header = file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = file.asSlice(8 + headerLength);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = parseHeader(path, header, data.byteSize(), metadata);
            return new SafetensorsFile(path, arena, data, entries, Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            arena.close();
            throw new EvomergeException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, Entry> parseHeader(Path path, byte[] header, long dataSize, Map<String, String> metadata) {
        JsonNode root;
        try {
            root = JSON.readTree(new String(header, StandardCharsets.UTF_8).stripTrailing());
        } catch (JsonProcessingException e) {
            throw new EvomergeException(path + ": header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new EvomergeException(path + ": header is not a JSON object");
        }
        List<Entry> list = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals("__metadata__")) {
                if (!node.isObject()) {
                    throw new EvomergeException(path + ": __metadata__ is not a map of strings");
                }
                node.fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) {
                        throw new EvomergeException(path + ": __metadata__ value '" + m.getKey() + "' is not a string");
                    }
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            list.add(parseEntry(path, name, node, dataSize));
        }
        // The ranges must tile [0, dataSize): sorted by start, each begins where the previous ended.
        List<Entry> sorted = new ArrayList<>(list);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : sorted) {
            if (e.begin < expected) {
                throw new EvomergeException(path + ": tensor '" + e.info.name() + "' overlaps the tensor before it (bytes "
                        + e.begin + ".." + e.end + ")");
            }
            if (e.begin > expected) {
                throw new EvomergeException(path + ": tensor '" + e.info.name() + "' leaves a hole of "
                        + (e.begin - expected) + " bytes before it");
            }
            expected = e.end;
        }
        if (expected != dataSize) {
            throw new EvomergeException(path + ": tensors cover " + expected + " of the " + dataSize
                    + " data bytes; the file has trailing bytes no tensor owns");
        }
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (Entry e : list) {
            byName.put(e.info.name(), e);
        }
        return Collections.unmodifiableMap(byName);
    }

    private static Entry parseEntry(Path path, String name, JsonNode node, long dataSize) {
        String where = path + ": tensor '" + name + "'";
        if (!node.isObject() || !node.path("dtype").isTextual() || !node.path("shape").isArray()
                || !node.path("data_offsets").isArray() || node.path("data_offsets").size() != 2) {
            throw new EvomergeException(where + ": entry needs dtype, shape and data_offsets [begin, end]");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(node.get("dtype").asText());
        } catch (EvomergeException e) {
            throw new EvomergeException(where + ": " + e.getMessage());
        }
        long[] shape = new long[node.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = node.get("shape").get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new EvomergeException(where + ": bad dimension " + d + " in shape");
            }
            shape[i] = d.asLong();
        }
        JsonNode b = node.get("data_offsets").get(0);
        JsonNode e = node.get("data_offsets").get(1);
        if (!b.isIntegralNumber() || !e.isIntegralNumber() || !b.canConvertToLong() || !e.canConvertToLong()
                || b.asLong() < 0 || e.asLong() < b.asLong()) {
            throw new EvomergeException(where + ": bad data_offsets " + node.get("data_offsets"));
        }
        long begin = b.asLong();
        long end = e.asLong();
        if (end > dataSize) {
            throw new EvomergeException(where + ": data_offsets " + begin + ".." + end + " run past the "
                    + dataSize + " data bytes of the file");
        }
        TensorInfo info = new TensorInfo(name, dtype, shape);
        long expected;
        try {
            expected = info.byteSize();
        } catch (ArithmeticException overflow) {
            throw new EvomergeException(where + ": shape overflows");
        }
        if (expected != end - begin) {
            throw new EvomergeException(where + ": shape " + java.util.Arrays.toString(shape) + " of " + dtype
                    + " needs " + expected + " bytes but data_offsets give " + (end - begin));
        }
        return new Entry(info, begin, end);
    }

    public Path path() {
        return path;
    }

    /** Tensors in header order. */
    public List<TensorInfo> tensors() {
        return entries.values().stream().map(Entry::info).toList();
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    public TensorInfo info(String name) {
        return entry(name).info;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensor's bytes, a read-only slice of the mapping (no copy). */
    public MemorySegment raw(String name) {
        Entry e = entry(name);
        return data.asSlice(e.begin, e.end - e.begin).asReadOnly();
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new EvomergeException(path + ": no tensor named '" + name + "'");
        }
        return e;
    }

    @Override
    public void close() {
        arena.close();
    }
}
