package dev.evomerge.report;

import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/** Writes a chart as PNG and SVG (each through a temporary file and a rename), or renders PNG bytes. */
public final class ChartFiles {
    private ChartFiles() {
    }

    /**
     * Writes {@code NAME.png} and {@code NAME.svg} under {@code dir}; returns the PNG's bytes, so that the
     * report can inline them without rendering the chart again.
     */
    public static byte[] write(Chart<?, ?> chart, Path dir, String name) {
        try {
            Files.createDirectories(dir);
            byte[] bytes = png(chart);
            Path png = dir.resolve("." + name + ".tmp.png");
            Files.write(png, bytes);
            Files.move(png, dir.resolve(name + ".png"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Path svg = dir.resolve("." + name + ".tmp.svg");
            VectorGraphicsEncoder.saveVectorGraphic(chart, svg.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            Files.move(svg, dir.resolve(name + ".svg"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return bytes;
        } catch (IOException e) {
            throw new EvomergeException(dir + ": cannot write the " + name + " chart: " + e.getMessage(), e);
        }
    }

    public static byte[] png(Chart<?, ?> chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
