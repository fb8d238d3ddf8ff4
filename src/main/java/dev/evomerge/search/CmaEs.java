package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.random.RandomGenerator;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * {@code cmaes}: the CMA evolution strategy as in Hansen, "The CMA Evolution Strategy: A Tutorial"
 * (arXiv:1604.00772): weighted recombination of the best μ of λ samples, cumulative step-size adaptation,
 * rank-one and rank-μ covariance updates; the eigendecomposition (commons-math3) is refreshed lazily, every
 * 1 / (10 n (c₁ + c_μ)) generations. Defaults: λ = 4 + ⌊3 ln n⌋, μ = ⌊λ/2⌋, σ₀ = 0.3 × the mean bound width,
 * the start at the centre of the bounds.
 *
 * <p>{@code separable: true} keeps only the diagonal of C (Ros &amp; Hansen 2008, sep-CMA-ES: learning rates
 * c₁ and c_μ times (n + 2)/3): linear memory and time, for hundreds to tens of thousands of dimensions,
 * where a full n × n matrix (3 GB at n = 19,210) and its eigendecomposition are out of reach.
 *
 * <p>Single objective (objective {@code objective}, default 0), maximized. Bounds: a sample is evaluated at
 * its projection into the box, while the update uses the sample itself (so the search distribution is not
 * distorted; the projected point is what the run records).
 */
public final class CmaEs implements Strategy {
    private final Bounds bounds;
    private final int n;
    private final int lambda;
    private final int mu;
    private final double[] weights;
    private final double muEff;
    private final double cc;
    private final double cs;
    private final double c1;
    private final double cmu;
    private final double damps;
    private final double chiN;
    private final boolean separable;
    private final int objective;
    private final int eigenEvery;

    // state
    private double[] mean;
    private double sigma;
    private double[] pc;
    private double[] ps;
    private double[][] c;      // full covariance (null when separable)
    private double[] diagC;    // separable: the diagonal
    private double[][] b;      // eigenvectors (columns), full only
    private double[] d;        // sqrt of eigenvalues (or of diagC)
    private long generation;
    private long eigenGeneration;
    // the last ask's samples as y = (x − m)/σ, unclipped
    private double[][] pendingY;

    private CmaEs(Bounds bounds, int lambda, double sigma0, boolean separable, int objective, double[] start) {
        this.bounds = bounds;
        this.n = bounds.dimension();
        this.lambda = lambda;
        this.mu = lambda / 2;
        this.separable = separable;
        this.objective = objective;
        double[] w = new double[mu];
        double sum = 0;
        for (int i = 0; i < mu; i++) {
            w[i] = Math.log(mu + 0.5) - Math.log(i + 1);
            sum += w[i];
        }
        double sumSq = 0;
        for (int i = 0; i < mu; i++) {
            w[i] /= sum;
            sumSq += w[i] * w[i];
        }
        this.weights = w;
        this.muEff = 1 / sumSq;
        this.cc = (4 + muEff / n) / (n + 4 + 2 * muEff / n);
        this.cs = (muEff + 2) / (n + muEff + 5);
        double c1Full = 2 / ((n + 1.3) * (n + 1.3) + muEff);
        double cmuFull = Math.min(1 - c1Full, 2 * (muEff - 2 + 1 / muEff) / ((n + 2) * (n + 2) + muEff));
        if (separable) {
            this.c1 = Math.min(1, c1Full * (n + 2) / 3.0);
            this.cmu = Math.min(1 - this.c1, cmuFull * (n + 2) / 3.0);
        } else {
            this.c1 = c1Full;
            this.cmu = cmuFull;
        }
        this.damps = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cs;
        this.chiN = Math.sqrt(n) * (1 - 1.0 / (4 * n) + 1.0 / (21.0 * n * n));
        this.eigenEvery = Math.max(1, (int) (1 / (10 * n * (c1 + cmu))));
        this.mean = start.clone();
        this.sigma = sigma0;
        this.pc = new double[n];
        this.ps = new double[n];
        this.d = new double[n];
        Arrays.fill(d, 1);
        if (separable) {
            this.diagC = new double[n];
            Arrays.fill(diagC, 1);
        } else {
            this.c = identity(n);
            this.b = identity(n);
        }
    }

    static CmaEs of(Hyperparameters h, Bounds bounds, int objectives) {
        int n = bounds.dimension();
        double width = 0;
        double[] centre = new double[n];
        for (int i = 0; i < n; i++) {
            width += (bounds.upper(i) - bounds.lower(i)) / n;
            centre[i] = (bounds.lower(i) + bounds.upper(i)) / 2;
        }
        int lambda = h.integer("population", 4 + (int) Math.floor(3 * Math.log(n)), 4);
        double sigma0 = h.number("sigma0", 0.3 * width, Double.MIN_VALUE, Double.MAX_VALUE);
        boolean separable = h.flag("separable", n > 200);
        int objective = h.integer("objective", 0, 0);
        if (objective >= objectives) {
            throw new dev.evomerge.EvomergeException("strategy.objective = " + objective + " but there are " + objectives + " objectives");
        }
        return new CmaEs(bounds, lambda, sigma0, separable, objective, centre);
    }

    /** For tests and callers that start elsewhere than the centre. */
    static CmaEs starting(Bounds bounds, double[] start, double sigma0, boolean separable) {
        return new CmaEs(bounds, 4 + (int) Math.floor(3 * Math.log(bounds.dimension())), sigma0, separable, 0, start);
    }

    private static double[][] identity(int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            m[i][i] = 1;
        }
        return m;
    }

    @Override
    public String name() {
        return "cmaes";
    }

    public double sigma() {
        return sigma;
    }

    /** Starts the search distribution at the mean of the given genomes (e.g. the average of pretrained models). */
    @Override
    public void startFrom(List<Genome> starts) {
        if (generation > 0 || starts.isEmpty()) {
            throw new dev.evomerge.EvomergeException("cmaes starts from at least one genome, before its first generation");
        }
        double[] m = new double[n];
        for (Genome g : starts) {
            for (int i = 0; i < n; i++) {
                m[i] += g.get(i) / starts.size();
            }
        }
        mean = m;
    }

    @Override
    public List<Genome> ask(RandomGenerator random) {
        pendingY = new double[lambda][n];
        List<Genome> genomes = new ArrayList<>(lambda);
        double[] z = new double[n];
        for (int k = 0; k < lambda; k++) {
            for (int i = 0; i < n; i++) {
                z[i] = random.nextGaussian();
            }
            double[] y = pendingY[k];
            if (separable) {
                for (int i = 0; i < n; i++) {
                    y[i] = d[i] * z[i];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0; j < n; j++) {
                        s += b[i][j] * d[j] * z[j];
                    }
                    y[i] = s;
                }
            }
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = mean[i] + sigma * y[i];
            }
            genomes.add(bounds.clip(x));
        }
        return genomes;
    }

    @Override
    public void tell(List<Genome> genomes, List<Outcome> outcomes) {
        if (pendingY == null || outcomes.size() != lambda) {
            throw new IllegalStateException("tell must follow ask with " + lambda + " outcomes");
        }
        Integer[] order = new Integer[lambda];
        for (int k = 0; k < lambda; k++) {
            order[k] = k;
        }
        // best first (maximized); ties keep sampling order so the run is reproducible
        Arrays.sort(order, Comparator.comparingDouble((Integer k) -> -outcomes.get(k).objective(objective)));
        double[] yw = new double[n];
        for (int r = 0; r < mu; r++) {
            double[] y = pendingY[order[r]];
            for (int i = 0; i < n; i++) {
                yw[i] += weights[r] * y[i];
            }
        }
        for (int i = 0; i < n; i++) {
            mean[i] += sigma * yw[i];
        }
        // p_σ ← (1 − c_σ) p_σ + √(c_σ(2 − c_σ) μ_eff) C^(−1/2) y_w
        double[] invSqrtY = invSqrtC(yw);
        double csFactor = Math.sqrt(cs * (2 - cs) * muEff);
        double psNorm = 0;
        for (int i = 0; i < n; i++) {
            ps[i] = (1 - cs) * ps[i] + csFactor * invSqrtY[i];
            psNorm += ps[i] * ps[i];
        }
        psNorm = Math.sqrt(psNorm);
        generation++;
        boolean hsig = psNorm / Math.sqrt(1 - Math.pow(1 - cs, 2.0 * generation)) / chiN < 1.4 + 2.0 / (n + 1);
        double ccFactor = Math.sqrt(cc * (2 - cc) * muEff);
        for (int i = 0; i < n; i++) {
            pc[i] = (1 - cc) * pc[i] + (hsig ? ccFactor * yw[i] : 0);
        }
        double oldWeight = 1 - c1 - cmu + (hsig ? 0 : c1 * cc * (2 - cc));
        if (separable) {
            for (int i = 0; i < n; i++) {
                double rankMu = 0;
                for (int r = 0; r < mu; r++) {
                    double y = pendingY[order[r]][i];
                    rankMu += weights[r] * y * y;
                }
                diagC[i] = oldWeight * diagC[i] + c1 * pc[i] * pc[i] + cmu * rankMu;
                d[i] = Math.sqrt(diagC[i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    double rankMu = 0;
                    for (int r = 0; r < mu; r++) {
                        double[] y = pendingY[order[r]];
                        rankMu += weights[r] * y[i] * y[j];
                    }
                    double v = oldWeight * c[i][j] + c1 * pc[i] * pc[j] + cmu * rankMu;
                    c[i][j] = v;
                    c[j][i] = v;
                }
            }
            if (generation - eigenGeneration >= eigenEvery) {
                decompose();
            }
        }
        sigma *= Math.exp(cs / damps * (psNorm / chiN - 1));
        pendingY = null;
    }

    /** C^(−1/2) y = B D⁻¹ Bᵀ y (full) or y / √diag(C) (separable). */
    private double[] invSqrtC(double[] y) {
        double[] out = new double[n];
        if (separable) {
            for (int i = 0; i < n; i++) {
                out[i] = y[i] / d[i];
            }
            return out;
        }
        double[] t = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += b[i][j] * y[i];
            }
            t[j] = s / d[j];
        }
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                s += b[i][j] * t[j];
            }
            out[i] = s;
        }
        return out;
    }

    private void decompose() {
        RealMatrix matrix = new Array2DRowRealMatrix(c, true);
        EigenDecomposition eigen = new EigenDecomposition(matrix);
        RealMatrix v = eigen.getV();
        double[] values = eigen.getRealEigenvalues();
        for (int j = 0; j < n; j++) {
            d[j] = Math.sqrt(Math.max(values[j], 1e-300));
            for (int i = 0; i < n; i++) {
                b[i][j] = v.getEntry(i, j);
            }
        }
        eigenGeneration = generation;
    }

    @Override
    public JsonNode state() {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("generation", generation);
        s.put("eigen_generation", eigenGeneration);
        s.put("sigma", sigma);
        s.set("mean", JeneticsPopulation.array(mean));
        s.set("pc", JeneticsPopulation.array(pc));
        s.set("ps", JeneticsPopulation.array(ps));
        s.set("d", JeneticsPopulation.array(d));
        if (separable) {
            s.set("diag_c", JeneticsPopulation.array(diagC));
        } else {
            s.set("c", matrix(c));
            s.set("b", matrix(b));
        }
        return s;
    }

    @Override
    public void restore(JsonNode s) {
        generation = s.get("generation").asLong();
        eigenGeneration = s.get("eigen_generation").asLong();
        sigma = s.get("sigma").asDouble();
        mean = JeneticsPopulation.doubles(s.get("mean"));
        pc = JeneticsPopulation.doubles(s.get("pc"));
        ps = JeneticsPopulation.doubles(s.get("ps"));
        d = JeneticsPopulation.doubles(s.get("d"));
        if (separable) {
            diagC = JeneticsPopulation.doubles(s.get("diag_c"));
        } else {
            c = matrix(s.get("c"));
            b = matrix(s.get("b"));
        }
        pendingY = null;
    }

    private static ArrayNode matrix(double[][] m) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (double[] row : m) {
            a.add(JeneticsPopulation.array(row));
        }
        return a;
    }

    private static double[][] matrix(JsonNode node) {
        double[][] m = new double[node.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = JeneticsPopulation.doubles(node.get(i));
        }
        return m;
    }
}
