package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which real embedding models share a lineage, measured: the relative L2 distance per layer from bge-small-en. */
class OnnxLineageTest {
    @Test
    void bgeV15RefinesBgeWhileE5IsAnotherLineage() {
        try (ModelCheckpoint v1 = ModelCheckpoint.open(PretrainedEmbeddings.BGE_SMALL_EN.directory());
             ModelCheckpoint v15 = ModelCheckpoint.open(PretrainedEmbeddings.BGE_SMALL_EN_V15.directory());
             ModelCheckpoint e5 = ModelCheckpoint.open(PretrainedEmbeddings.E5_SMALL_V2.directory())) {
            Compatibility c = Compatibility.of(List.of(v1, v15, e5));
            assertTrue(c.mergeable(), "e5's extra integer tensor (position ids) is copied, not merged: " + c.differences());
            Map<Integer, Double> refined = c.distances().get(0);
            Map<Integer, Double> other = c.distances().get(1);
            assertTrue(refined.size() == 13 && other.size() == 13, "12 layers and the embeddings");
            // measured here: v1.5 is 0.017–0.030 from v1 in every layer, e5 0.50–1.53
            refined.forEach((layer, d) -> assertTrue(d < 0.05, "bge-v1.5 layer " + layer + ": " + d));
            other.forEach((layer, d) -> assertTrue(d > 0.3, "e5 layer " + layer + ": " + d));
        }
    }
}
