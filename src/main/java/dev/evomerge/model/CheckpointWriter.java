package dev.evomerge.model;

import dev.evomerge.EvomergeException;
import dev.evomerge.tensor.AtomicFiles;
import dev.evomerge.tensor.OnnxModel;
import dev.evomerge.tensor.SafetensorsCheckpoint;
import dev.evomerge.tensor.SafetensorsWriter;
import dev.evomerge.tensor.StagingDirectory;
import dev.evomerge.tensor.TensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a whole checkpoint directory (safetensors weights, or an ONNX model made from them), all or nothing: everything goes into a hidden staging sibling
 * ({@code .NAME.partial-…}, {@link StagingDirectory}), and {@link #commit} fsyncs it and renames it to the
 * target. A crash or a close without commit never leaves a directory under the target's name; what a killed
 * writer left beside it is removed by the next writer to the same target.
 */
public final class CheckpointWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointWriter.class);
    private final Path target;
    private final StagingDirectory staging;
    private final Path temp;
    private final boolean overwrite;
    private SafetensorsWriter weights;
    private boolean done;

    private CheckpointWriter(Path target, StagingDirectory staging, boolean overwrite) {
        this.target = target;
        this.staging = staging;
        this.temp = staging.path();
        this.overwrite = overwrite;
    }

    /** Refuses a target that exists and is not empty. */
    public static CheckpointWriter create(Path outDir) {
        return create(outDir, false);
    }

    public static CheckpointWriter create(Path outDir, boolean overwrite) {
        Path target = outDir.toAbsolutePath().normalize();
        if (!overwrite && Files.exists(target) && !isEmptyDirectory(target)) {
            throw new EvomergeException(outDir + " already exists and is not empty; choose another --out or remove it");
        }
        try {
            Files.createDirectories(target.getParent());
            removeLeftovers(target);
            return new CheckpointWriter(target, StagingDirectory.create(target, StagingDirectory.PARTIAL), overwrite);
        } catch (IOException e) {
            throw new EvomergeException(outDir + ": cannot create: " + e.getMessage(), e);
        }
    }

    /**
     * Removes what killed writers to {@code target} left beside it (a partial directory can be as large as the
     * whole checkpoint) and reports those another process may still be writing. Failing to is not the merge's
     * failure: it is said, and the merge goes on.
     */
    public static void removeLeftovers(Path target) {
        try {
            StagingDirectory.Sweep sweep = StagingDirectory.sweep(target);
            for (StagingDirectory.Leftover gone : sweep.removed()) {
                LOG.info("removed {} ({} MB), left by a write to {} that was killed", gone.path().getFileName(),
                        String.format("%.1f", gone.bytes() / 1e6), target);
            }
            sweep.kept().forEach(kept -> LOG.warn(kept.describe()));
        } catch (IOException e) {
            LOG.warn("could not remove what earlier writes to {} left beside it: {}", target, e.toString());
        }
    }

    private static boolean isEmptyDirectory(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /** The weights' writer (once per checkpoint); its tensors land in the temporary directory. */
    public SafetensorsWriter weights(List<TensorInfo> plan, long maxShardBytes, Map<String, String> metadata) {
        if (weights != null) {
            throw new IllegalStateException("weights already planned");
        }
        weights = SafetensorsWriter.create(temp, plan, maxShardBytes, metadata);
        return weights;
    }

    /**
     * Turns the committed weights into an ONNX model: a copy of {@code template} (the base's model.onnx) whose float
     * initializers are the written tensors ({@code model.onnx}), in place of the safetensors files. The merge must
     * have kept the template's tensors, names and shapes (an ONNX graph cannot gain or lose layers).
     */
    public void convertWeightsToOnnx(OnnxModel template) {
        if (weights == null || !weights.committed()) {
            throw new IllegalStateException("the weights are not written yet");
        }
        try (SafetensorsCheckpoint merged = SafetensorsCheckpoint.open(temp)) {
            for (TensorInfo t : merged.tensors()) {
                if (!template.contains(t.name()) || !template.info(t.name()).sameShape(t)) {
                    throw new EvomergeException(target + ": the merge made tensor '" + t.name() + "' " + java.util.Arrays.toString(t.shape())
                            + ", which " + template.location() + " has not; ONNX models merge with `models:` recipes that keep every layer");
                }
            }
            for (TensorInfo t : template.tensors()) {
                if (t.dtype().isFloat() && !merged.contains(t.name())) {
                    throw new EvomergeException(target + ": the merge made no tensor '" + t.name() + "' for " + template.location());
                }
            }
            template.writePatched(temp.resolve(OnnxModel.FILE), name -> merged.stored(name));
        }
        try (Stream<Path> files = Files.list(temp)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.endsWith(".safetensors") || n.equals(SafetensorsCheckpoint.INDEX)) {
                    Files.delete(f);
                }
            }
        } catch (IOException e) {
            throw new EvomergeException(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    public void writeFile(String name, byte[] content) {
        try {
            Files.write(temp.resolve(name), content);
        } catch (IOException e) {
            throw new EvomergeException(target + ": cannot write " + name + ": " + e.getMessage(), e);
        }
    }

    public void writeFile(String name, String content) {
        writeFile(name, content.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Copies a file (a tokenizer, say) into the checkpoint under its own name; the copy gets the permissions of a
     * new file, not the source's (which may be owner-only).
     */
    public void copyFile(Path file) {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            Files.copy(in, temp.resolve(file.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new EvomergeException(target + ": cannot copy " + file + ": " + e.getMessage(), e);
        }
    }

    /** Commits the weights (if not already), fsyncs every file and renames the directory into place. */
    public Path commit() {
        try {
            if (weights == null) {
                throw new IllegalStateException("a checkpoint needs weights");
            }
            if (!weights.committed()) {
                weights.commit();
            }
            try (Stream<Path> files = Files.list(temp)) {
                for (Path f : files.toList()) {
                    try (var channel = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
                        channel.force(true);
                    }
                }
            }
            AtomicFiles.syncDirectory(temp);
            if (Files.exists(target)) {
                if (!overwrite && !isEmptyDirectory(target)) {
                    throw new FileAlreadyExistsException(target.toString());
                }
                AtomicFiles.deleteTree(target);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.syncDirectory(target.getParent());
            done = true;
        } catch (IOException e) {
            throw new EvomergeException(target + ": cannot write: " + e.getMessage(), e);
        }
        try {
            staging.close(); // the directory is the target now: only its lock is left to remove
        } catch (IOException ignored) {
            // a lock file left behind is empty and hidden, and the next writer to this target removes it
        }
        return target;
    }

    @Override
    public void close() {
        if (done) {
            return;
        }
        if (weights != null) {
            weights.close();
        }
        try {
            staging.close();
        } catch (IOException ignored) {
            // a leftover hidden .partial directory never looks like a checkpoint, and the next writer removes it
        }
        done = true;
    }

}
