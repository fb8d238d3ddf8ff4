package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.tensor.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticFineTunesTest {
    @TempDir
    Path dir;

    @Test
    void halfAGigabyteIsSixteenLlamaLayersOf147Tensors() {
        SyntheticFineTunes.Layout layout = SyntheticFineTunes.Layout.llama(500_000_000L);
        assertEquals(147, layout.tensors().size());
        long bytes = layout.tensors().stream().mapToLong(t -> t.byteSize()).sum();
        assertTrue(Math.abs(bytes - 500_000_000L) < 20_000_000L, bytes + " bytes");
    }

    @Test
    void fineTunesDifferFromTheBaseByFewBf16StepsWithOutliersAndTheSameBytesEveryTime() throws IOException {
        SyntheticFineTunes.Layout layout = SyntheticFineTunes.Layout.llama(1, 64, 128, 96);
        List<Path> models = SyntheticFineTunes.write(dir.resolve("one"), layout, 2);
        SyntheticFineTunes.write(dir.resolve("two"), layout, 2);
        String name = "model.layers.0.mlp.up_proj.weight";
        try (SafetensorsCheckpoint base = SafetensorsCheckpoint.open(models.get(0));
             SafetensorsCheckpoint ft1 = SafetensorsCheckpoint.open(models.get(1));
             SafetensorsCheckpoint ft2 = SafetensorsCheckpoint.open(models.get(2))) {
            float[] b = base.readFloats(name);
            float[] x = ft1.readFloats(name);
            float[] y = ft2.readFloats(name);
            int zero = 0;
            int large = 0;
            int agree = 0;
            double squares = 0;
            for (int i = 0; i < b.length; i++) {
                float d = x[i] - b[i];
                zero += d == 0 ? 1 : 0;
                large += Math.abs(d) > 3e-3 ? 1 : 0;
                agree += Math.signum(d) == Math.signum(y[i] - b[i]) ? 1 : 0;
                squares += d * d;
            }
            double rms = Math.sqrt(squares / b.length);
            assertTrue(rms > 2e-4 && rms < 1e-3, "a few bf16 steps at the base's magnitude: " + rms);
            assertTrue(zero > b.length / 50 && zero < b.length / 3, "some differences round away in bf16: " + zero + " of " + b.length);
            assertTrue(large > 0 && large < b.length / 100, "a few outliers: " + large);
            assertTrue(agree < b.length * 0.8, "the fine-tunes do not move together: " + agree + " of " + b.length + " agree");
        }
        for (String m : List.of("base", "ft1", "ft2")) {
            try (var a = Files.list(dir.resolve("one").resolve(m)); var c = Files.list(dir.resolve("two").resolve(m))) {
                List<Path> files = a.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList();
                assertEquals(files.size(), c.filter(f -> f.toString().endsWith(".safetensors")).count());
                for (Path f : files) {
                    assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(dir.resolve("two").resolve(m).resolve(f.getFileName())), m + "/" + f.getFileName());
                }
            }
        }
    }
}
