package dev.evomerge.search;

import dev.evomerge.EvomergeException;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.linear.SingularMatrixException;

/**
 * MAP's surrogate of one metric over the scaling coefficients c (Li et al., "MAP: Low-compute Model Merging
 * with Amortized Pareto Fronts via Quadratic Approximation", 2024): M(c) ≈ e + bᵀc + ½ cᵀAc, fitted by least
 * squares (commons-math3 QR). For an accuracy (every observed value within [0, 1]) the quadratic is fitted
 * to the logit of the values and wrapped in a sigmoid, so predictions stay within [0, 1] as accuracies do.
 *
 * @param coefficients e, then b₁…b_k, then the k(k+1)/2 entries cᵢcⱼ (i ≤ j) of the quadratic part
 * @param sigmoid      whether the quadratic is wrapped in a sigmoid
 */
public record QuadraticSurrogate(double[] coefficients, boolean sigmoid) {
    /** Values this close to 0 or 1 are moved in by it before the logit (a 0 or 100 % accuracy is finite). */
    static final double LOGIT_MARGIN = 1e-3;

    public QuadraticSurrogate {
        coefficients = coefficients.clone();
    }

    /** The number of coefficients of a quadratic in k variables: (k + 1)(k + 2) / 2. */
    public static int terms(int k) {
        return (k + 1) * (k + 2) / 2;
    }

    /** Fits values y at points x (rows); {@code sigmoid} null: decide by whether every y is within [0, 1]. */
    public static QuadraticSurrogate fit(double[][] x, double[] y, Boolean sigmoid) {
        int k = x[0].length;
        if (x.length < terms(k)) {
            throw new EvomergeException("a quadratic surrogate in " + k + " coefficients needs at least " + terms(k) + " evaluations, got " + x.length);
        }
        boolean wrap = sigmoid != null ? sigmoid : java.util.Arrays.stream(y).allMatch(v -> v >= 0 && v <= 1);
        double[][] design = new double[x.length][];
        double[] target = new double[y.length];
        for (int r = 0; r < x.length; r++) {
            design[r] = features(x[r]);
            target[r] = wrap ? logit(y[r]) : y[r];
        }
        try {
            RealVector solution = new QRDecomposition(new Array2DRowRealMatrix(design, false), 1e-12).getSolver()
                    .solve(new ArrayRealVector(target, false));
            return new QuadraticSurrogate(solution.toArray(), wrap);
        } catch (SingularMatrixException e) {
            throw new EvomergeException("the evaluated scaling vectors do not determine a quadratic (points repeated or on a line)");
        }
    }

    /** 1, c₁…c_k, cᵢcⱼ for i ≤ j. */
    static double[] features(double[] c) {
        int k = c.length;
        double[] f = new double[terms(k)];
        f[0] = 1;
        System.arraycopy(c, 0, f, 1, k);
        int at = k + 1;
        for (int i = 0; i < k; i++) {
            for (int j = i; j < k; j++) {
                f[at++] = c[i] * c[j];
            }
        }
        return f;
    }

    public double predict(double[] c) {
        double[] f = features(c);
        double q = 0;
        for (int i = 0; i < f.length; i++) {
            q += coefficients[i] * f[i];
        }
        return sigmoid ? 1 / (1 + Math.exp(-q)) : q;
    }

    /** The linear part b (for pairing tasks whose metrics respond alike). */
    double[] linear(int k) {
        return java.util.Arrays.copyOfRange(coefficients, 1, k + 1);
    }

    static double logit(double v) {
        double p = Math.clamp(v, LOGIT_MARGIN, 1 - LOGIT_MARGIN);
        return Math.log(p / (1 - p));
    }

    @Override
    public double[] coefficients() {
        return coefficients.clone();
    }
}
