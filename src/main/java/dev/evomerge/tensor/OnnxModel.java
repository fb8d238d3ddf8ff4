package dev.evomerge.tensor;

import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * An ONNX model file as a tensor container: its graph's initializers are the model's tensors, and a copy of
 * the model with other values for them can be written ({@link #writePatched}) for ONNX Runtime to load.
 *
 * <p>The protobuf is read directly ({@link ProtobufReader}) from a read-only mapping; the file is untrusted and
 * every length, bound, type and element count is checked when it is opened; any failure is one
 * {@link EvomergeException} naming the file, the initializer and the byte offset. Initializer data may sit in
 * {@code raw_data} (a slice of the mapping, no copy), in the typed fields ({@code float_data},
 * {@code int32_data}, {@code int64_data}, {@code double_data}: decoded once, when opened) or in external data
 * files beside the model (mapped; paths may not leave the model's directory).
 *
 * <p>Exporters name most weights anonymously ({@code onnx::MatMul_1589}); the graph's nodes say where they
 * belong ({@code /encoder/layer.0/attention/self/query/MatMul}). Each such initializer is therefore known by a
 * name made from the node that consumes it ({@code encoder.layer.0.attention.self.query.weight}), so that
 * layers, recipe filters and per-layer genomes work as for safetensors; {@link #onnxName} gives the name in
 * the file. Initializers of types merges do not know (strings, unsigned 16–64-bit, complex) are not listed
 * and are copied as they are.
 *
 * @implNote thread-safe for concurrent reads and patches; {@link #close} unmaps the file and external data.
 */
public final class OnnxModel implements TensorStore {
    /** The file name of a model in a checkpoint directory. */
    public static final String FILE = "model.onnx";
    /** Protobuf cannot describe a message of 2 GiB or more: larger models keep their weights in external data. */
    static final long MAX_MESSAGE_BYTES = Integer.MAX_VALUE;
    private static final Pattern READABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)+");
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // ModelProto, GraphProto, NodeProto, TensorProto and ValueInfoProto field numbers (onnx.proto3)
    private static final int MODEL_GRAPH = 7;
    private static final int MODEL_METADATA = 14;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int GRAPH_INPUT = 11;
    private static final int GRAPH_OUTPUT = 12;
    private static final int NODE_INPUT = 1;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_SEGMENT = 3;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_INT32_DATA = 5;
    private static final int TENSOR_STRING_DATA = 6;
    private static final int TENSOR_INT64_DATA = 7;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int TENSOR_DOUBLE_DATA = 10;
    private static final int TENSOR_UINT64_DATA = 11;
    private static final int TENSOR_EXTERNAL_DATA = 13;
    private static final int TENSOR_DATA_LOCATION = 14;
    private static final Set<Integer> DATA_FIELDS = Set.of(TENSOR_FLOAT_DATA, TENSOR_INT32_DATA, TENSOR_STRING_DATA, TENSOR_INT64_DATA,
            TENSOR_RAW_DATA, TENSOR_DOUBLE_DATA, TENSOR_UINT64_DATA, TENSOR_EXTERNAL_DATA, TENSOR_DATA_LOCATION);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final Map<String, Initializer> byName;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, String> metadata;
    private final List<Piece> patchPlan;
    private final long patchedSize;
    private final List<Path> dataFiles;

    /**
     * One initializer: its names (in the file, and as listed here; null when its type is not listed), element
     * type, dims, where its field lies in the file, which of its fields a patched copy keeps, and its data
     * (null for unlisted types, which are copied whole).
     */
    private record Initializer(String onnxName, String name, int onnxType, DType dtype, long[] dims, ProtobufReader.Field field,
                               List<ProtobufReader.Field> kept, MemorySegment data, boolean external) {
        TensorInfo info() {
            return new TensorInfo(name, dtype, dims);
        }

        /** Whether a patched copy writes it anew: floats take new values, external data is brought inline. */
        boolean rewritten() {
            return dtype != null && (dtype.isFloat() || external);
        }
    }

    /** One consumer of initializers: a node's name and operator. */
    private record Node(String name, String opType, List<String> inputs) {
    }

    /** A part of a patched copy: bytes of the original, new bytes, or an initializer's data. */
    private sealed interface Piece {
        long size();
    }

    private record Copy(long offset, long size) implements Piece {
    }

    private record Literal(byte[] bytes) implements Piece {
        public long size() {
            return bytes.length;
        }
    }

    private record Data(Initializer initializer) implements Piece {
        public long size() {
            return initializer.data.byteSize();
        }
    }

    private OnnxModel(Path path, Arena arena, MemorySegment file, List<Initializer> initializers, List<String> inputs, List<String> outputs,
                      Map<String, String> metadata, List<Piece> patchPlan, List<Path> dataFiles) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Map<String, Initializer> named = new LinkedHashMap<>();
        for (Initializer i : initializers) {
            if (i.name != null) {
                named.put(i.name, i);
            }
        }
        this.byName = Collections.unmodifiableMap(named);
        this.inputs = inputs;
        this.outputs = outputs;
        this.metadata = metadata;
        this.patchPlan = patchPlan;
        this.patchedSize = patchPlan.stream().mapToLong(Piece::size).sum();
        this.dataFiles = dataFiles;
    }

    /** Maps and validates the model at {@code path} (a {@code .onnx} file) and any external data it names. */
    public static OnnxModel open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0) {
                throw new EvomergeException(path + ": empty file, not an ONNX model");
            }
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new Parser(path, arena, file).parse();
        } catch (IOException e) {
            arena.close();
            throw new EvomergeException(path + ": cannot read: " + e.getMessage(), e);
        } catch (ProtobufReader.Malformed e) {
            arena.close();
            throw new EvomergeException(path + ": not a valid ONNX model at byte " + e.offset() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses one file: the model, its graph, nodes and initializers, and the plan of a patched copy. */
    private static final class Parser {
        private final Path path;
        private final Arena arena;
        private final MemorySegment file;
        private final Map<Path, MemorySegment> externalFiles = new LinkedHashMap<>();

        Parser(Path path, Arena arena, MemorySegment file) {
            this.path = path;
            this.arena = arena;
            this.file = file;
        }

        OnnxModel parse() {
            ProtobufReader model = new ProtobufReader(file, 0, file.byteSize());
            List<ProtobufReader.Field> modelFields = new ArrayList<>();
            ProtobufReader.Field graph = null;
            Map<String, String> metadata = new LinkedHashMap<>();
            while (model.hasNext()) {
                ProtobufReader.Field f = model.next();
                modelFields.add(f);
                if (f.number() == MODEL_GRAPH) {
                    ProtobufReader.expect(f, ProtobufReader.LENGTH_DELIMITED);
                    if (graph != null) {
                        throw new EvomergeException(path + ": more than one graph in the model");
                    }
                    graph = f;
                } else if (f.number() == MODEL_METADATA) {
                    ProtobufReader.expect(f, ProtobufReader.LENGTH_DELIMITED);
                    String[] entry = keyValue(model, f);
                    metadata.put(entry[0], entry[1]);
                }
            }
            if (graph == null) {
                throw new EvomergeException(path + ": no graph: not an ONNX model");
            }
            List<ProtobufReader.Field> graphFields = new ArrayList<>();
            List<Node> nodes = new ArrayList<>();
            List<Initializer> initializers = new ArrayList<>();
            List<String> inputs = new ArrayList<>();
            List<String> outputs = new ArrayList<>();
            ProtobufReader g = model.payload(graph);
            while (g.hasNext()) {
                ProtobufReader.Field f = g.next();
                graphFields.add(f);
                switch (f.number()) {
                    case GRAPH_NODE -> nodes.add(node(g, f));
                    case GRAPH_INITIALIZER -> initializers.add(initializer(g, f));
                    case GRAPH_INPUT, GRAPH_OUTPUT -> {
                        ProtobufReader.expect(f, ProtobufReader.LENGTH_DELIMITED);
                        String name = valueInfoName(g, f);
                        (f.number() == GRAPH_INPUT ? inputs : outputs).add(name);
                    }
                    default -> {
                    }
                }
            }
            Set<String> seen = new HashSet<>();
            for (Initializer i : initializers) {
                if (!seen.add(i.onnxName)) {
                    throw new EvomergeException(path + ": two initializers are named '" + i.onnxName + "'");
                }
            }
            initializers = named(initializers, nodes);
            List<Piece> plan = plan(modelFields, graph, graphFields, initializers);
            return new OnnxModel(path, arena, file, List.copyOf(initializers), List.copyOf(inputs), List.copyOf(outputs),
                    Collections.unmodifiableMap(metadata), plan, List.copyOf(externalFiles.keySet()));
        }

        private String[] keyValue(ProtobufReader in, ProtobufReader.Field f) {
            String key = null;
            String value = "";
            ProtobufReader entry = in.payload(f);
            while (entry.hasNext()) {
                ProtobufReader.Field e = entry.next();
                if (e.number() == 1) {
                    key = entry.string(e);
                } else if (e.number() == 2) {
                    value = entry.string(e);
                }
            }
            if (key == null) {
                throw new ProtobufReader.Malformed("a key/value entry has no key", f.start());
            }
            return new String[] {key, value};
        }

        private static String valueInfoName(ProtobufReader in, ProtobufReader.Field f) {
            ProtobufReader info = in.payload(f);
            String name = "";
            while (info.hasNext()) {
                ProtobufReader.Field e = info.next();
                if (e.number() == 1) {
                    name = info.string(e);
                }
            }
            return name;
        }

        private static Node node(ProtobufReader in, ProtobufReader.Field f) {
            ProtobufReader.expect(f, ProtobufReader.LENGTH_DELIMITED);
            ProtobufReader node = in.payload(f);
            List<String> inputs = new ArrayList<>();
            String name = "";
            String op = "";
            while (node.hasNext()) {
                ProtobufReader.Field e = node.next();
                switch (e.number()) {
                    case NODE_INPUT -> inputs.add(node.string(e));
                    case NODE_NAME -> name = node.string(e);
                    case NODE_OP_TYPE -> op = node.string(e);
                    default -> {
                    }
                }
            }
            return new Node(name, op, List.copyOf(inputs));
        }

        private Initializer initializer(ProtobufReader in, ProtobufReader.Field f) {
            ProtobufReader.expect(f, ProtobufReader.LENGTH_DELIMITED);
            ProtobufReader t = in.payload(f);
            List<Long> dims = new ArrayList<>();
            int type = 0;
            String name = null;
            ProtobufReader.Field raw = null;
            List<ProtobufReader.Field> typed = new ArrayList<>();
            List<ProtobufReader.Field> kept = new ArrayList<>();
            Map<String, String> external = new LinkedHashMap<>();
            boolean externalLocation = false;
            while (t.hasNext()) {
                ProtobufReader.Field e = t.next();
                if (!DATA_FIELDS.contains(e.number())) {
                    kept.add(e);
                }
                switch (e.number()) {
                    case TENSOR_DIMS -> {
                        if (e.wireType() == ProtobufReader.LENGTH_DELIMITED) {
                            for (long d : t.packedVarints(e)) {
                                dims.add(d);
                            }
                        } else {
                            ProtobufReader.expect(e, ProtobufReader.VARINT);
                            dims.add(e.value());
                        }
                    }
                    case TENSOR_DATA_TYPE -> {
                        ProtobufReader.expect(e, ProtobufReader.VARINT);
                        type = (int) e.value();
                    }
                    case TENSOR_NAME -> name = t.string(e);
                    case TENSOR_RAW_DATA -> {
                        ProtobufReader.expect(e, ProtobufReader.LENGTH_DELIMITED);
                        if (raw != null) {
                            throw new ProtobufReader.Malformed("raw_data given twice", e.start());
                        }
                        raw = e;
                    }
                    case TENSOR_FLOAT_DATA, TENSOR_INT32_DATA, TENSOR_INT64_DATA, TENSOR_DOUBLE_DATA, TENSOR_STRING_DATA,
                         TENSOR_UINT64_DATA -> typed.add(e);
                    case TENSOR_EXTERNAL_DATA -> {
                        ProtobufReader.expect(e, ProtobufReader.LENGTH_DELIMITED);
                        String[] kv = keyValue(t, e);
                        external.put(kv[0], kv[1]);
                    }
                    case TENSOR_DATA_LOCATION -> {
                        ProtobufReader.expect(e, ProtobufReader.VARINT);
                        externalLocation = e.value() == 1;
                    }
                    case TENSOR_SEGMENT -> throw new ProtobufReader.Malformed("segmented tensors are not supported", e.start());
                    default -> {
                    }
                }
            }
            String where = path + ": initializer '" + name + "'";
            if (name == null || name.isEmpty()) {
                throw new EvomergeException(path + ": an initializer without a name at byte " + f.start());
            }
            long[] shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.get(i);
                if (shape[i] < 0) {
                    throw new EvomergeException(where + ": negative dimension " + shape[i]);
                }
            }
            DType dtype = dtypeOf(type, where);
            long count;
            try {
                count = Arrays.stream(shape).reduce(1, Math::multiplyExact);
                if (dtype != null) {
                    Math.multiplyExact(count, dtype.byteSize());
                }
            } catch (ArithmeticException overflow) {
                throw new EvomergeException(where + ": shape " + Arrays.toString(shape) + " overflows");
            }
            int sources = (raw != null ? 1 : 0) + (typed.isEmpty() ? 0 : 1) + (externalLocation ? 1 : 0);
            if (sources > 1) {
                throw new EvomergeException(where + ": data given in more than one place (raw_data, typed fields, external data)");
            }
            if (dtype == null) {
                if (externalLocation) {
                    throw new EvomergeException(where + ": external data of ONNX type " + type + " is not supported");
                }
                return new Initializer(name, null, type, null, shape, f, kept, null, false);
            }
            long bytes = count * dtype.byteSize();
            MemorySegment data;
            if (externalLocation) {
                data = external(where, external, bytes);
            } else if (raw != null) {
                if (raw.payloadLength() != bytes) {
                    throw new EvomergeException(where + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes
                            + " bytes but raw_data has " + raw.payloadLength());
                }
                data = file.asSlice(raw.payloadStart(), bytes).asReadOnly();
            } else if (!typed.isEmpty()) {
                data = typed(where, t, typed, dtype, count);
            } else if (count == 0) {
                data = MemorySegment.NULL.reinterpret(0);
            } else {
                throw new EvomergeException(where + ": no data for its " + count + " elements");
            }
            return new Initializer(name, name, type, dtype, shape, f, kept, data, externalLocation);
        }

        /** Values in the typed fields, decoded into little-endian bytes of {@code dtype}. */
        private MemorySegment typed(String where, ProtobufReader t, List<ProtobufReader.Field> fields, DType dtype, long count) {
            int expectedField = switch (dtype) {
                case F32 -> TENSOR_FLOAT_DATA;
                case F64 -> TENSOR_DOUBLE_DATA;
                case I64 -> TENSOR_INT64_DATA;
                default -> TENSOR_INT32_DATA;
            };
            if (count * dtype.byteSize() > MAX_MESSAGE_BYTES) {
                throw new EvomergeException(where + ": " + count + " elements cannot be in typed fields");
            }
            MemorySegment out = arena.allocate(Math.max(1, count * dtype.byteSize()), 8).asSlice(0, count * dtype.byteSize());
            long written = 0;
            for (ProtobufReader.Field e : fields) {
                if (e.number() != expectedField) {
                    throw new EvomergeException(where + ": a " + dtype + " tensor with data in field " + e.number());
                }
                long[] values;
                if (dtype == DType.F32 || dtype == DType.F64) {
                    int width = dtype.byteSize();
                    if (e.wireType() == ProtobufReader.LENGTH_DELIMITED) {
                        if (e.payloadLength() % width != 0) {
                            throw new EvomergeException(where + ": packed " + dtype + " data of " + e.payloadLength() + " bytes");
                        }
                        long n = e.payloadLength() / width;
                        if (written + n > count) {
                            throw new EvomergeException(where + ": more values than its shape holds (" + count + ")");
                        }
                        MemorySegment.copy(file, e.payloadStart(), out, written * width, e.payloadLength());
                        written += n;
                        continue;
                    }
                    ProtobufReader.expect(e, width == 4 ? ProtobufReader.FIXED32 : ProtobufReader.FIXED64);
                    values = new long[] {e.value()};
                } else {
                    values = e.wireType() == ProtobufReader.LENGTH_DELIMITED ? t.packedVarints(e) : new long[] {varintValue(e)};
                }
                if (written + values.length > count) {
                    throw new EvomergeException(where + ": more values than its shape holds (" + count + ")");
                }
                for (long v : values) {
                    put(where, out, written++, dtype, v);
                }
            }
            if (written != count) {
                throw new EvomergeException(where + ": " + written + " values for a shape of " + count + " elements");
            }
            return out.asReadOnly();
        }

        private static long varintValue(ProtobufReader.Field e) {
            ProtobufReader.expect(e, ProtobufReader.VARINT);
            return e.value();
        }

        private static void put(String where, MemorySegment out, long index, DType dtype, long v) {
            switch (dtype) {
                case F32 -> out.set(INT_LE, index * 4, (int) v);
                case F64, I64 -> out.set(LONG_LE, index * 8, v);
                case I32 -> {
                    if ((int) v != v) {
                        throw new EvomergeException(where + ": value " + v + " does not fit int32");
                    }
                    out.set(INT_LE, index * 4, (int) v);
                }
                case I16, F16, BF16 -> {
                    int bits = (int) v;
                    boolean fits = dtype == DType.I16 ? bits == v && bits >= Short.MIN_VALUE && bits <= Short.MAX_VALUE : v >= 0 && v <= 0xFFFF;
                    if (!fits) {
                        throw new EvomergeException(where + ": value " + v + " does not fit " + dtype);
                    }
                    out.set(SHORT_LE, index * 2, (short) bits);
                }
                case I8, U8, BOOL -> {
                    boolean fits = switch (dtype) {
                        case I8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
                        case U8 -> v >= 0 && v <= 255;
                        default -> v == 0 || v == 1;
                    };
                    if (!fits) {
                        throw new EvomergeException(where + ": value " + v + " does not fit " + dtype);
                    }
                    out.set(ValueLayout.JAVA_BYTE, index, (byte) v);
                }
            }
        }

        /** External data: a file beside the model, a range of it, checked against the file and the shape. */
        private MemorySegment external(String where, Map<String, String> keys, long bytes) {
            String location = keys.get("location");
            if (location == null || location.isEmpty()) {
                throw new EvomergeException(where + ": external data without a location");
            }
            Path dir = path.toAbsolutePath().normalize().getParent();
            Path resolved = dir.resolve(location).normalize();
            if (Path.of(location).isAbsolute() || !resolved.startsWith(dir) || resolved.equals(dir)) {
                throw new EvomergeException(where + ": external data location '" + location
                        + "' is outside the model's directory; it must be a file beside the model");
            }
            long offset;
            long length;
            try {
                offset = Long.parseLong(keys.getOrDefault("offset", "0"));
                length = keys.containsKey("length") ? Long.parseLong(keys.get("length")) : bytes;
            } catch (NumberFormatException e) {
                throw new EvomergeException(where + ": external data offset or length is not a number");
            }
            if (length != bytes) {
                throw new EvomergeException(where + ": external data length " + length + " where its shape needs " + bytes + " bytes");
            }
            MemorySegment data = externalFiles.get(resolved);
            if (data == null) {
                if (!Files.isRegularFile(resolved)) {
                    throw new EvomergeException(where + ": external data file '" + location + "' is missing");
                }
                try (FileChannel channel = FileChannel.open(resolved, StandardOpenOption.READ)) {
                    data = channel.size() == 0 ? MemorySegment.NULL.reinterpret(0) : channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
                } catch (IOException e) {
                    throw new EvomergeException(where + ": cannot read external data '" + location + "': " + e.getMessage(), e);
                }
                externalFiles.put(resolved, data);
            }
            if (offset < 0 || offset > data.byteSize() || length > data.byteSize() - offset) {
                throw new EvomergeException(where + ": external data bytes " + offset + ".." + (offset + length) + " run past the "
                        + data.byteSize() + "-byte file '" + location + "'");
            }
            return data.asSlice(offset, length).asReadOnly();
        }

        private static DType dtypeOf(int onnxType, String where) {
            return switch (onnxType) {
                case 1 -> DType.F32;
                case 2 -> DType.U8;
                case 3 -> DType.I8;
                case 5 -> DType.I16;
                case 6 -> DType.I32;
                case 7 -> DType.I64;
                case 9 -> DType.BOOL;
                case 10 -> DType.F16;
                case 11 -> DType.F64;
                case 16 -> DType.BF16;
                case 4, 8, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23 -> null; // carried as they are
                default -> throw new EvomergeException(where + ": unknown ONNX data type " + onnxType);
            };
        }

        /**
         * Gives anonymous initializers the name of the module whose node consumes them: the node's path without
         * its last part, then {@code .bias} (a vector added) or {@code .weight}. Names already readable stay, as do
         * those whose consumers disagree or whose made name is taken.
         */
        private static List<Initializer> named(List<Initializer> initializers, List<Node> nodes) {
            Map<String, List<Node>> consumers = new LinkedHashMap<>();
            for (Initializer i : initializers) {
                consumers.put(i.onnxName, new ArrayList<>());
            }
            for (Node n : nodes) {
                for (String input : n.inputs) {
                    List<Node> list = consumers.get(input);
                    if (list != null && (list.isEmpty() || list.getLast() != n)) {
                        list.add(n);
                    }
                }
            }
            Set<String> taken = new HashSet<>();
            initializers.forEach(i -> taken.add(i.onnxName));
            List<Initializer> out = new ArrayList<>();
            for (Initializer i : initializers) {
                if (i.name == null || READABLE.matcher(i.onnxName).matches()) {
                    out.add(i);
                    continue;
                }
                String made = moduleName(consumers.get(i.onnxName), i.dims.length);
                String name = made != null && taken.add(made) ? made : i.onnxName;
                out.add(new Initializer(i.onnxName, name, i.onnxType, i.dtype, i.dims, i.field, i.kept, i.data, i.external));
            }
            return out;
        }

        private static String moduleName(List<Node> consumers, int rank) {
            String module = null;
            boolean allAdd = true;
            for (Node n : consumers) {
                String[] parts = n.name.replaceFirst("^/", "").split("/");
                if (n.name.isEmpty() || parts.length < 2) {
                    return null;
                }
                String m = String.join(".", Arrays.asList(parts).subList(0, parts.length - 1));
                if (module != null && !module.equals(m)) {
                    return null;
                }
                module = m;
                allAdd &= n.opType.equals("Add");
            }
            if (module == null || !READABLE.matcher(module + ".x").matches()) {
                return null;
            }
            return module + (allAdd && rank == 1 ? ".bias" : ".weight");
        }

        /** The pieces of a patched copy: every byte of the file, but rewritten initializers' fields made anew. */
        private List<Piece> plan(List<ProtobufReader.Field> modelFields, ProtobufReader.Field graph, List<ProtobufReader.Field> graphFields,
                                 List<Initializer> initializers) {
            Map<Long, Initializer> byStart = new LinkedHashMap<>();
            initializers.forEach(i -> byStart.put(i.field.start(), i));
            List<Piece> graphPieces = new ArrayList<>();
            for (ProtobufReader.Field f : graphFields) {
                Initializer i = f.number() == GRAPH_INITIALIZER ? byStart.get(f.start()) : null;
                if (i == null || !i.rewritten()) {
                    graphPieces.add(new Copy(f.start(), f.end() - f.start()));
                    continue;
                }
                long dataBytes = i.data.byteSize();
                long length = i.kept.stream().mapToLong(k -> k.end() - k.start()).sum()
                        + ProtobufReader.tag(TENSOR_RAW_DATA, 2).length + ProtobufReader.varintSize(dataBytes) + dataBytes;
                graphPieces.add(new Literal(concat(ProtobufReader.tag(GRAPH_INITIALIZER, 2), ProtobufReader.encodeVarint(length))));
                i.kept.forEach(k -> graphPieces.add(new Copy(k.start(), k.end() - k.start())));
                graphPieces.add(new Literal(concat(ProtobufReader.tag(TENSOR_RAW_DATA, 2), ProtobufReader.encodeVarint(dataBytes))));
                graphPieces.add(new Data(i));
            }
            long graphLength = graphPieces.stream().mapToLong(Piece::size).sum();
            List<Piece> pieces = new ArrayList<>();
            for (ProtobufReader.Field f : modelFields) {
                if (f.start() == graph.start()) {
                    pieces.add(new Literal(concat(ProtobufReader.tag(MODEL_GRAPH, 2), ProtobufReader.encodeVarint(graphLength))));
                    pieces.addAll(graphPieces);
                } else {
                    pieces.add(new Copy(f.start(), f.end() - f.start()));
                }
            }
            if (graphLength > MAX_MESSAGE_BYTES) {
                // readable, but no copy can be written in one protobuf message; reading and merging still work
                return List.of();
            }
            return List.copyOf(pieces);
        }

        private static byte[] concat(byte[] a, byte[] b) {
            byte[] c = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        }
    }

    @Override
    public Path location() {
        return path;
    }

    /** Initializers of the types merges know, in file order, by the names {@link OnnxModel} gives them. */
    @Override
    public List<TensorInfo> tensors() {
        return byName.values().stream().map(Initializer::info).toList();
    }

    @Override
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return initializer(name).info();
    }

    /** The model's {@code metadata_props}. */
    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public int shardCount() {
        return 1 + dataFiles.size();
    }

    /** The external data files the model's initializers are in (none when all are inside the model file). */
    public List<Path> dataFiles() {
        return dataFiles;
    }

    @Override
    public MemorySegment raw(String name) {
        return initializer(name).data;
    }

    /** The initializer's name in the file (anonymous ones are listed under the name of their module). */
    public String onnxName(String name) {
        return initializer(name).onnxName;
    }

    /** The graph's inputs (those that are not initializers first is not guaranteed: older files list both). */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** The size in bytes of a patched copy ({@link #writePatched}). */
    public long patchedSize() {
        if (patchPlan.isEmpty()) {
            throw new EvomergeException(path + ": a copy of this model would be over 2 GiB, more than one protobuf message holds");
        }
        return patchedSize;
    }

    /**
     * Writes into {@code out} (exactly {@link #patchedSize} bytes) a copy of this model in which every float
     * initializer has the values {@code values} gives for its name, converted to the initializer's own type;
     * null keeps this model's. Everything else is copied: the graph, non-float initializers, metadata; external
     * data is brought inline, so the copy is one self-contained file ONNX Runtime loads from memory.
     */
    public void writePatched(MemorySegment out, Function<String, StoredTensor> values) {
        if (out.byteSize() != patchedSize()) {
            throw new IllegalArgumentException("a patched copy is " + patchedSize + " bytes, not " + out.byteSize());
        }
        long at = 0;
        float[] chunk = null;
        for (Piece piece : patchPlan) {
            switch (piece) {
                case Copy c -> MemorySegment.copy(file, c.offset(), out, at, c.size());
                case Literal l -> MemorySegment.copy(MemorySegment.ofArray(l.bytes()), 0, out, at, l.bytes().length);
                case Data d -> {
                    Initializer i = d.initializer();
                    StoredTensor given = i.dtype.isFloat() ? values.apply(i.name) : null;
                    if (given == null) {
                        MemorySegment.copy(i.data, 0, out, at, i.data.byteSize());
                    } else {
                        long count = i.data.byteSize() / i.dtype.byteSize();
                        if (given.count() != count) {
                            throw new IllegalArgumentException(i.name + ": " + given.count() + " values for " + count + " elements");
                        }
                        if (given.dtype() == i.dtype && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                            MemorySegment.copy(given.bytes(), 0, out, at, i.data.byteSize());
                        } else {
                            chunk = chunk == null ? new float[1 << 16] : chunk;
                            StoredTensor into = new StoredTensor(out.asSlice(at, i.data.byteSize()), i.dtype);
                            for (long from = 0; from < count; from += chunk.length) {
                                int n = (int) Math.min(chunk.length, count - from);
                                given.read(from, chunk, n);
                                into.write(from, chunk, n);
                            }
                        }
                    }
                }
            }
            at += piece.size();
        }
    }

    /** A patched copy ({@link #writePatched}) written to {@code target}, replacing it. */
    public void writePatched(Path target, Function<String, StoredTensor> values) {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment bytes = scratch.allocate(patchedSize(), 64);
            writePatched(bytes, values);
            try (FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                var buffer = bytes.asByteBuffer();
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
        } catch (IOException e) {
            throw new EvomergeException(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    private Initializer initializer(String name) {
        Initializer i = byName.get(name);
        if (i == null) {
            throw new EvomergeException(path + ": no initializer named '" + name + "'");
        }
        return i;
    }

    @Override
    public void close() {
        arena.close();
    }
}
