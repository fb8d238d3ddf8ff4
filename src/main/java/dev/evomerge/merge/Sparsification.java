package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.EvomergeException;
import java.util.SplittableRandom;

/**
 * How a task vector is thinned before it is merged (mergekit's {@code sparsify}); each keeps about a
 * {@code density} share of the entries and can rescale the survivors to the original L1 norm.
 */
public enum Sparsification {
    /** TIES: keep the {@code density} share of largest magnitudes (entries tied with the smallest kept stay too). */
    MAGNITUDE,
    /** DARE: keep each entry with probability {@code density}. */
    RANDOM,
    /** Breadcrumbs: drop the {@code gamma} share of largest magnitudes and the smallest, to keep {@code density}. */
    MAGNITUDE_OUTLIERS,
    /**
     * DELLA: keep each entry with a probability that grows linearly with its magnitude's rank within its row,
     * from {@code density − epsilon} (smallest) to {@code density + epsilon} (largest).
     */
    DELLA_MAGPRUNE;

    /** Returns the sparsified task vector, a new array in {@code manager}. */
    NDArray apply(NDArray tau, double density, double gamma, double epsilon, boolean rescale, long seed, NDManager manager) {
        if (density >= 1) {
            return tau.duplicate();
        }
        NDArray mask = switch (this) {
            case MAGNITUDE -> keepBetween(tau, 0, (long) (density * tau.size()));
            case MAGNITUDE_OUTLIERS -> {
                long n = tau.size();
                long target = (long) (density * n);
                long top = (long) (gamma * n);
                long bottom = n - target - top;
                if (bottom < 0) { // too many outliers asked for: drop fewer of them to keep the density
                    top += bottom;
                    bottom = 0;
                }
                yield keepBetween(tau, top, n - top - bottom);
            }
            case RANDOM -> uniform(tau.getShape(), seed, manager).lt(density);
            case DELLA_MAGPRUNE -> {
                if (density <= 0) {
                    yield tau.zerosLike(); // all dropped, whatever epsilon, as mergekit does
                }
                if (density + epsilon >= 1 || density - epsilon <= 0) {
                    throw new EvomergeException("della: epsilon " + epsilon + " must keep density ± epsilon inside (0, 1); density is " + density);
                }
                NDArray rows = tau.getShape().dimension() < 2 ? tau.reshape(1, -1) : tau;
                long columns = rows.getShape().get(rows.getShape().dimension() - 1);
                // rank of each magnitude within its row, 0 = smallest
                NDArray ranks = rows.abs().argSort(-1).argSort(-1).toType(DataType.FLOAT32, false);
                NDArray rankNorm = columns > 1 ? ranks.div(columns - 1) : ranks.zerosLike();
                NDArray probability = rankNorm.mul(2 * epsilon).add(density - epsilon);
                yield uniform(rows.getShape(), seed, manager).lt(probability).reshape(tau.getShape());
            }
        };
        NDArray masked = tau.mul(mask.toType(tau.getDataType(), false));
        if (!rescale) {
            return masked;
        }
        double before = tau.abs().sum().toType(DataType.FLOAT64, false).getDouble();
        double after = masked.abs().sum().toType(DataType.FLOAT64, false).getDouble();
        if (before < 1e-7 || after < 1e-7) {
            return masked;
        }
        return masked.muli(before / after);
    }

    /**
     * The mask of entries whose magnitude ranks between the {@code skipLargest} largest (excluded) and the
     * next {@code keep} (included), by thresholds selected in linear time.
     */
    private static NDArray keepBetween(NDArray tau, long skipLargest, long keep) {
        NDArray magnitude = tau.abs();
        if (keep <= 0) {
            return magnitude.lt(-1); // nothing survives
        }
        float[] values = magnitude.toFloatArray();
        int n = values.length;
        float low = MagnitudeSelect.kthSmallest(values, (int) (n - skipLargest - keep));
        NDArray mask = magnitude.gte(low);
        if (skipLargest == 0) {
            return mask;
        }
        float high = MagnitudeSelect.kthSmallest(values, (int) (n - 1 - skipLargest));
        return mask.logicalAnd(magnitude.lte(high));
    }

    /** Uniform [0, 1) floats from Java's generator, so drops are the same on every device and run. */
    static NDArray uniform(Shape shape, long seed, NDManager manager) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] u = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < u.length; i++) {
            u[i] = (float) random.nextDouble();
        }
        return manager.create(u, shape);
    }
}
