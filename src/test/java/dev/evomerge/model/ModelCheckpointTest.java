package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.evomerge.EvomergeException;
import dev.evomerge.cli.Main;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCheckpointTest {
    @TempDir
    Path dir;

    @Test
    void opensAShardedLlamaWithConfigArchitectureAndCarriedFiles() {
        Path path = TinyCheckpoints.llama(dir.resolve("m"), 3, 16, 32, DType.BF16, 1, 0.02);
        try (ModelCheckpoint model = ModelCheckpoint.open(path)) {
            assertEquals("llama", model.architecture().family());
            assertEquals(3, model.architecture().layerCount());
            assertEquals(16, model.config().get("hidden_size").asInt());
            assertTrue(model.weights().shardCount() > 1);
            assertEquals(List.of("tokenizer_config.json"),
                    model.carriedFiles().stream().map(p -> p.getFileName().toString()).toList());
            assertEquals(TinyCheckpoints.llamaPlan(3, 16, 32, DType.BF16).size(), model.weights().tensors().size());
        }
    }

    @Test
    void architecturesPlaceTensorsInLayersAndModules() {
        var empty = JsonNodeFactory.instance.objectNode();
        Architecture llama = Architecture.detect(empty, List.of("model.layers.11.self_attn.q_proj.weight", "model.norm.weight"));
        assertEquals(OptionalInt.of(11), llama.layerOf("model.layers.11.self_attn.q_proj.weight"));
        assertEquals("self_attn.q_proj", llama.moduleOf("model.layers.11.self_attn.q_proj.weight"));
        assertEquals(OptionalInt.empty(), llama.layerOf("model.embed_tokens.weight"));
        assertEquals("embed", llama.moduleOf("model.embed_tokens.weight"));
        assertEquals("norm", llama.moduleOf("model.norm.weight"));
        assertEquals("head", llama.moduleOf("lm_head.weight"));
        assertEquals(12, llama.layerCount());

        Architecture gpt2 = Architecture.detect(empty, List.of("transformer.h.3.attn.c_attn.weight", "transformer.wte.weight"));
        assertEquals("gpt2", gpt2.family());
        assertEquals(OptionalInt.of(3), gpt2.layerOf("transformer.h.3.mlp.c_fc.bias"));
        assertEquals("embed", gpt2.moduleOf("transformer.wte.weight"));

        Architecture bert = Architecture.detect(empty, List.of("encoder.layer.5.attention.self.query.weight"));
        assertEquals("bert", bert.family());
        assertEquals(OptionalInt.of(5), bert.layerOf("bert.encoder.layer.5.output.dense.weight"));

        Architecture custom = Architecture.fromPattern("^blocks\\.(\\d+)\\.", empty, List.of("blocks.7.ff.weight"));
        assertEquals(OptionalInt.of(7), custom.layerOf("blocks.7.ff.weight"));
        assertEquals("ff", custom.moduleOf("blocks.7.ff.weight"));
        assertEquals(8, custom.layerCount());
        assertThrows(EvomergeException.class, () -> Architecture.fromPattern("^blocks\\.\\d+\\.", empty, List.of()));
        assertThrows(EvomergeException.class, () -> Architecture.fromPattern("([", empty, List.of()));
    }

    @Test
    void anInterruptedCheckpointWriteLeavesNoDirectoryThatLooksComplete() throws IOException {
        Path target = dir.resolve("out");
        try (CheckpointWriter writer = CheckpointWriter.create(target)) {
            var weights = writer.weights(List.of(TensorInfo.of("x", DType.F32, 2)), 1 << 20, Map.of());
            weights.write("x", new float[] {1, 2});
            writer.writeFile("config.json", "{}");
            // no commit: as if the process died here
        }
        assertFalse(Files.exists(target));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "temporary directory removed");
        }
    }

    @Test
    void refusesToWriteOverANonEmptyDirectory() throws IOException {
        Files.createDirectories(dir.resolve("busy"));
        Files.writeString(dir.resolve("busy/file"), "x");
        EvomergeException e = assertThrows(EvomergeException.class, () -> CheckpointWriter.create(dir.resolve("busy")));
        assertTrue(e.getMessage().contains("not empty"));
    }

    @Test
    void inspectSaysWhetherModelsCanBeMergedAndHowFarApartTheyAre() {
        Path a = TinyCheckpoints.llama(dir.resolve("a"), 2, 8, 16, DType.F32, 1, 0.02);
        Path b = TinyCheckpoints.llama(dir.resolve("b"), 2, 8, 16, DType.BF16, 2, 0.02);
        Path c = TinyCheckpoints.llama(dir.resolve("c"), 3, 8, 16, DType.F32, 3, 0.02);
        try (ModelCheckpoint ma = ModelCheckpoint.open(a); ModelCheckpoint mb = ModelCheckpoint.open(b);
             ModelCheckpoint mc = ModelCheckpoint.open(c)) {
            Compatibility ab = Compatibility.of(List.of(ma, mb));
            assertTrue(ab.mergeable());
            // independent Gaussian weights of equal scale: ‖b − a‖ / ‖a‖ ≈ √2
            assertEquals(Math.sqrt(2), ab.distances().getFirst().get(0), 0.15);
            assertEquals(Map.of(-1, 0.0, 0, 0.0, 1, 0.0), Compatibility.of(List.of(ma, ma)).distances().getFirst());
            Compatibility ac = Compatibility.of(List.of(ma, mc));
            assertFalse(ac.mergeable());
            assertTrue(ac.differences().stream().anyMatch(d -> d.startsWith("model.layers.2.") && d.contains("missing from a")),
                    ac.differences().toString());
        }
        assertEquals(0, Main.execute("inspect", "--tensors", a.toString(), b.toString()));
        assertEquals(1, Main.execute("inspect", a.toString(), c.toString()));
        assertEquals(1, Main.execute("inspect", dir.resolve("nothing").toString()));
    }
}
