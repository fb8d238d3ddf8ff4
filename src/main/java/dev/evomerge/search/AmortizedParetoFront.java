package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.archive.Dominance;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * {@code map}: Model merging with Amortized Pareto fronts (Li et al., 2024). A few real evaluations of
 * scaling vectors train one {@link QuadraticSurrogate} per metric; NSGA-II runs on the surrogates, which cost
 * nothing to evaluate; the predicted Pareto set is then evaluated for real, and the gap between predicted
 * and real metrics is kept as the surrogate error ({@link #note}). Further rounds refit on every real
 * evaluation so far and evaluate the new predicted points, until the budget ends.
 *
 * <p>A {@link Job} is one such MAP over k directions in genome space (genome = Σ cᵢ·directionᵢ, clipped to
 * the bounds) and m metrics (each the mean of some objectives). Plain MAP is one job: the genes themselves
 * (e.g. one task-vector weight per model), each objective a metric, {@code samples} = (k+1)(k+2) by default.
 *
 * <p>{@code nested: true} is Nested MAP for many tasks: gene i scales task vector i and objective i
 * measures task i. A linear probe of 2(N+1) evaluations measures how each task's metric responds to every
 * coefficient; the groups whose responses are most alike (cosine) are paired first; each pair is a
 * two-coefficient MAP whose preferred point (best predicted mean) becomes one merged direction; pairs of
 * merged groups follow (coefficients in [0, 1]) until two groups remain, whose MAP front is the result.
 * (The paper pairs by task-vector similarity; a strategy sees no weights, so the probe stands in for it.)
 */
public final class AmortizedParetoFront implements Strategy {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Bounds bounds;
    private final int objectives;
    private final int samples;
    private final int front;
    private final int surrogatePopulation;
    private final int surrogateGenerations;
    private final boolean sigmoid;
    private final boolean nested;

    /** Nested: the current groups (direction, tasks); jobs running in this stage. */
    private List<Group> groups = new ArrayList<>();
    private List<Job> jobs = new ArrayList<>();
    private List<double[]> probe = new ArrayList<>();
    private List<double[]> probeValues = new ArrayList<>();
    private int stage;
    /** The surrogate errors of the nested stages already merged, for the note. */
    private List<String> finished = new ArrayList<>();
    /** What each job asked last (coefficients), so tell can hand each its outcomes. */
    private int[] asked = new int[0];
    private final List<List<double[]>> pendingCoefficients = new ArrayList<>();

    private AmortizedParetoFront(Bounds bounds, int objectives, int samples, int front, int surrogatePopulation, int surrogateGenerations,
                                 boolean sigmoid, boolean nested) {
        this.bounds = bounds;
        this.objectives = objectives;
        this.samples = samples;
        this.front = front;
        this.surrogatePopulation = surrogatePopulation;
        this.surrogateGenerations = surrogateGenerations;
        this.sigmoid = sigmoid;
        this.nested = nested;
        if (nested) {
            if (bounds.dimension() != objectives || objectives < 3) {
                throw new EvomergeException("map with nested: true needs one gene per task and one objective per task, at least 3 (have "
                        + bounds.dimension() + " genes, " + objectives + " objectives); plain map suits 2 tasks");
            }
            for (int i = 0; i < objectives; i++) {
                double[] direction = new double[objectives];
                direction[i] = 1;
                groups.add(new Group(direction, new int[] {i}, new double[objectives]));
            }
        } else {
            double[][] identity = new double[bounds.dimension()][bounds.dimension()];
            int[][] metrics = new int[objectives][];
            for (int i = 0; i < identity.length; i++) {
                identity[i][i] = 1;
            }
            for (int j = 0; j < objectives; j++) {
                metrics[j] = new int[] {j};
            }
            jobs.add(new Job(identity, bounds.lower(), bounds.upper(), metrics, true, samples > 0 ? samples : 2 * QuadraticSurrogate.terms(identity.length)));
        }
    }

    static AmortizedParetoFront of(Hyperparameters h, Bounds bounds, int objectives) {
        return new AmortizedParetoFront(bounds, objectives, h.integer("samples", 0, 0), h.integer("population", 10, 1),
                h.integer("surrogate_population", 40, 4), h.integer("surrogate_generations", 100, 1), h.flag("sigmoid", true),
                h.flag("nested", false));
    }

    @Override
    public String name() {
        return "map";
    }

    // --- one MAP over k directions and m metrics

    /** A group of tasks merged so far: its direction in genome space and its tasks' linear response. */
    private record Group(double[] direction, int[] tasks, double[] response) {
    }

    private final class Job {
        final double[][] directions;
        final double[] lower;
        final double[] upper;
        final int[][] metrics;
        final boolean last;
        final int design;
        final List<double[]> points = new ArrayList<>();
        final List<double[]> values = new ArrayList<>();
        /** Predicted metrics of the points asked in this round (null while designing). */
        List<double[]> predicted;
        double[] errorSum;
        int errorCount;
        double[] chosen;
        boolean done;

        Job(double[][] directions, double[] lower, double[] upper, int[][] metrics, boolean last, int design) {
            this.directions = directions;
            this.lower = lower;
            this.upper = upper;
            this.metrics = metrics;
            this.last = last;
            this.design = design;
            this.errorSum = new double[metrics.length];
        }

        List<double[]> ask(RandomGenerator random) {
            predicted = null;
            if (points.size() < design) {
                List<double[]> out = new ArrayList<>();
                for (int s = points.size(); s < design; s++) {
                    out.add(uniform(random));
                }
                return out;
            }
            QuadraticSurrogate[] surrogates = new QuadraticSurrogate[metrics.length];
            double[][] x = points.toArray(double[][]::new);
            for (int j = 0; j < metrics.length; j++) {
                final int metric = j;
                surrogates[j] = QuadraticSurrogate.fit(x, values.stream().mapToDouble(v -> v[metric]).toArray(), sigmoid ? null : false);
            }
            List<double[]> set = predictedParetoSet(surrogates, random);
            List<double[]> out = new ArrayList<>();
            if (!last) {
                out.add(set.stream().max(Comparator.comparingDouble(c -> mean(predict(surrogates, c)))).orElseThrow());
            } else {
                set.removeIf(c -> points.stream().anyMatch(p -> distance(p, c) < 1e-9));
                set.sort(Comparator.comparingDouble(c -> predict(surrogates, c)[0]));
                int n = Math.min(front, set.size());
                for (int i = 0; i < n; i++) {
                    out.add(set.get(n == 1 ? 0 : (int) Math.round(i * (set.size() - 1.0) / (n - 1))));
                }
                while (out.size() < Math.min(front, 2)) {
                    out.add(uniform(random)); // nothing new predicted: explore
                }
            }
            predicted = out.stream().map(c -> predict(surrogates, c)).toList();
            return out;
        }

        void tell(List<double[]> coefficients, List<Outcome> outcomes) {
            for (int i = 0; i < coefficients.size(); i++) {
                if (outcomes.get(i).raced()) {
                    continue; // a sample's scores would bias the surrogate's fit
                }
                double[] real = metricValues(outcomes.get(i));
                points.add(coefficients.get(i));
                values.add(real);
                if (predicted != null && i < predicted.size()) {
                    for (int j = 0; j < real.length; j++) {
                        errorSum[j] += Math.abs(predicted.get(i)[j] - real[j]);
                    }
                    errorCount++;
                }
            }
            if (predicted != null && !last) {
                chosen = coefficients.getFirst();
                done = true;
            }
            predicted = null;
        }

        double[] metricValues(Outcome o) {
            double[] v = new double[metrics.length];
            for (int j = 0; j < metrics.length; j++) {
                for (int t : metrics[j]) {
                    v[j] += o.objective(t) / metrics[j].length;
                }
            }
            return v;
        }

        double[] uniform(RandomGenerator random) {
            double[] c = new double[lower.length];
            for (int i = 0; i < c.length; i++) {
                c[i] = lower[i] + random.nextDouble() * (upper[i] - lower[i]);
            }
            return c;
        }

        Genome genome(double[] c) {
            double[] x = new double[bounds.dimension()];
            for (int d = 0; d < directions.length; d++) {
                for (int i = 0; i < x.length; i++) {
                    x[i] += c[d] * directions[d][i];
                }
            }
            return bounds.clip(x);
        }

        /** NSGA-II on the surrogates: the non-dominated members of its final population. */
        List<double[]> predictedParetoSet(QuadraticSurrogate[] surrogates, RandomGenerator random) {
            ObjectNode h = JSON.createObjectNode().put("population", surrogatePopulation);
            Nsga2 nsga2 = (Nsga2) Strategies.create("nsga2", h, new Bounds(lower, upper), metrics.length);
            for (int g = 0; g < surrogateGenerations; g++) {
                List<Genome> asked = nsga2.ask(random);
                nsga2.tell(asked, asked.stream().map(c -> Outcome.of(predict(surrogates, c.toArray()))).toList());
            }
            List<double[]> members = nsga2.population().stream().map(Genome::toArray).toList();
            List<double[]> values = members.stream().map(c -> predict(surrogates, c)).toList();
            List<double[]> set = new ArrayList<>();
            for (int i = 0; i < members.size(); i++) {
                boolean dominated = false;
                for (int j = 0; j < members.size() && !dominated; j++) {
                    dominated = Dominance.dominates(values.get(j), values.get(i));
                }
                double[] c = members.get(i);
                if (!dominated && set.stream().noneMatch(other -> Arrays.equals(other, c))) {
                    set.add(c);
                }
            }
            return set;
        }

        String error() {
            if (errorCount == 0) {
                return "–";
            }
            StringBuilder s = new StringBuilder();
            for (double e : errorSum) {
                s.append(s.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", e / errorCount));
            }
            return "[" + s + "]";
        }
    }

    private static double[] predict(QuadraticSurrogate[] surrogates, double[] c) {
        double[] p = new double[surrogates.length];
        for (int j = 0; j < p.length; j++) {
            p[j] = surrogates[j].predict(c);
        }
        return p;
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(0);
    }

    private static double distance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s);
    }

    // --- ask / tell

    @Override
    public List<Genome> ask(RandomGenerator random) {
        List<Genome> out = new ArrayList<>();
        if (nested && jobs.isEmpty()) {
            int n = 2 * (objectives + 1);
            for (int s = probe.size(); s < n; s++) {
                double[] c = new double[objectives];
                for (int i = 0; i < c.length; i++) {
                    c[i] = bounds.lower(i) + random.nextDouble() * (bounds.upper(i) - bounds.lower(i));
                }
                out.add(bounds.clip(c));
            }
            asked = new int[0];
            return out;
        }
        asked = new int[jobs.size()];
        for (int k = 0; k < jobs.size(); k++) {
            Job job = jobs.get(k);
            List<double[]> points = job.done ? List.of() : job.ask(random);
            asked[k] = points.size();
            points.forEach(c -> out.add(job.genome(c)));
            pendingCoefficients.add(points);
        }
        return out;
    }

    @Override
    public void tell(List<Genome> genomes, List<Outcome> outcomes) {
        if (nested && jobs.isEmpty()) {
            for (int i = 0; i < genomes.size(); i++) {
                probe.add(genomes.get(i).toArray());
                probeValues.add(outcomes.get(i).objectives());
            }
            linearResponses();
            nextStage();
            return;
        }
        int at = 0;
        for (int k = 0; k < jobs.size(); k++) {
            List<double[]> coefficients = pendingCoefficients.get(k);
            jobs.get(k).tell(coefficients, outcomes.subList(at, at + asked[k]));
            at += asked[k];
        }
        pendingCoefficients.clear();
        if (nested && jobs.stream().allMatch(j -> j.done)) {
            finished.add("stage " + stage + jobErrors());
            List<Group> merged = new ArrayList<>();
            for (Job job : jobs) {
                merged.add(mergedGroup(job));
            }
            groups.stream().filter(g -> jobs.stream().noneMatch(j -> covers(j, g))).forEach(merged::add);
            groups = merged;
            nextStage();
        }
    }

    /** Fits a linear model of each task's metric over all coefficients (the probe): its gradient is the task's response. */
    private void linearResponses() {
        int n = objectives;
        double[][] design = new double[probe.size()][];
        for (int r = 0; r < design.length; r++) {
            double[] f = new double[n + 1];
            f[0] = 1;
            System.arraycopy(probe.get(r), 0, f, 1, n);
            design[r] = f;
        }
        var solver = new org.apache.commons.math3.linear.QRDecomposition(new org.apache.commons.math3.linear.Array2DRowRealMatrix(design, false), 1e-12).getSolver();
        List<Group> withResponse = new ArrayList<>();
        for (Group g : groups) {
            int task = g.tasks()[0];
            double[] y = probeValues.stream().mapToDouble(v -> v[task]).toArray();
            double[] b = solver.solve(new org.apache.commons.math3.linear.ArrayRealVector(y, false)).toArray();
            withResponse.add(new Group(g.direction(), g.tasks(), Arrays.copyOfRange(b, 1, n + 1)));
        }
        groups = withResponse;
    }

    /** Pairs the current groups, most alike responses first, into the next stage's jobs. */
    private void nextStage() {
        stage++;
        List<Group> left = new ArrayList<>(groups);
        List<Job> next = new ArrayList<>();
        boolean last = groups.size() == 2;
        while (left.size() >= 2) {
            int bestA = 0;
            int bestB = 1;
            double best = Double.NEGATIVE_INFINITY;
            for (int a = 0; a < left.size(); a++) {
                for (int b = a + 1; b < left.size(); b++) {
                    double cos = Variation.cosine(left.get(a).response(), left.get(b).response(), 0);
                    if (cos > best) {
                        best = cos;
                        bestA = a;
                        bestB = b;
                    }
                }
            }
            Group a = left.get(bestA);
            Group b = left.get(bestB);
            left.remove(bestB);
            left.remove(bestA);
            boolean singles = a.tasks().length == 1 && b.tasks().length == 1;
            double[] lower = singles ? new double[] {bounds.lower(a.tasks()[0]), bounds.lower(b.tasks()[0])} : new double[] {0, 0};
            double[] upper = singles ? new double[] {bounds.upper(a.tasks()[0]), bounds.upper(b.tasks()[0])} : new double[] {1, 1};
            next.add(new Job(new double[][] {a.direction(), b.direction()}, lower, upper, new int[][] {a.tasks(), b.tasks()}, last,
                    samples > 0 ? samples : 2 * QuadraticSurrogate.terms(2)));
        }
        jobs = next;
    }

    private static boolean covers(Job job, Group g) {
        return Arrays.equals(job.metrics[0], g.tasks()) || Arrays.equals(job.metrics[1], g.tasks());
    }

    private Group mergedGroup(Job job) {
        double[] direction = new double[bounds.dimension()];
        double[] response = new double[objectives];
        int[] tasks = new int[job.metrics[0].length + job.metrics[1].length];
        for (int d = 0; d < 2; d++) {
            for (int i = 0; i < direction.length; i++) {
                direction[i] += job.chosen[d] * job.directions[d][i];
            }
        }
        System.arraycopy(job.metrics[0], 0, tasks, 0, job.metrics[0].length);
        System.arraycopy(job.metrics[1], 0, tasks, job.metrics[0].length, job.metrics[1].length);
        for (Group g : groups) {
            if (covers(job, g)) {
                for (int i = 0; i < response.length; i++) {
                    response[i] += g.response()[i] * g.tasks().length / tasks.length;
                }
            }
        }
        return new Group(direction, tasks, response);
    }

    /** The surrogate error so far, per job: mean |predicted − real| per metric over the predicted points evaluated. */
    @Override
    public String note() {
        List<String> stages = new ArrayList<>(finished);
        stages.add("stage " + stage + jobErrors());
        return "map surrogate error (mean |predicted − real| per metric): " + String.join("; ", stages);
    }

    /** Each job's tasks and error, e.g. " [0]+[2] [0.0512, 0.0301]". */
    private String jobErrors() {
        StringBuilder s = new StringBuilder();
        for (Job job : jobs) {
            s.append(' ');
            if (nested) {
                s.append(Arrays.stream(job.metrics).map(Arrays::toString).collect(java.util.stream.Collectors.joining("+")).replace(" ", "")).append(' ');
            }
            s.append(job.error());
        }
        return s.toString();
    }

    // --- state

    @Override
    public JsonNode state() {
        ObjectNode state = JSON.createObjectNode();
        state.put("stage", stage);
        state.set("finished", JSON.valueToTree(finished));
        ArrayNode g = state.putArray("groups");
        for (Group group : groups) {
            ObjectNode node = g.addObject();
            node.set("direction", JeneticsPopulation.array(group.direction()));
            node.set("tasks", JSON.valueToTree(group.tasks()));
            node.set("response", JeneticsPopulation.array(group.response()));
        }
        ArrayNode p = state.putArray("probe");
        for (int i = 0; i < probe.size(); i++) {
            p.addObject().<ObjectNode>set("c", JeneticsPopulation.array(probe.get(i))).set("v", JeneticsPopulation.array(probeValues.get(i)));
        }
        ArrayNode j = state.putArray("jobs");
        for (Job job : jobs) {
            ObjectNode node = j.addObject();
            node.set("directions", JSON.valueToTree(job.directions));
            node.set("lower", JeneticsPopulation.array(job.lower));
            node.set("upper", JeneticsPopulation.array(job.upper));
            node.set("metrics", JSON.valueToTree(job.metrics));
            node.put("last", job.last).put("design", job.design).put("done", job.done).put("error_count", job.errorCount);
            node.set("error_sum", JeneticsPopulation.array(job.errorSum));
            if (job.chosen != null) {
                node.set("chosen", JeneticsPopulation.array(job.chosen));
            }
            ArrayNode points = node.putArray("points");
            for (int i = 0; i < job.points.size(); i++) {
                points.addObject().<ObjectNode>set("c", JeneticsPopulation.array(job.points.get(i))).set("v", JeneticsPopulation.array(job.values.get(i)));
            }
        }
        return state;
    }

    @Override
    public void restore(JsonNode state) {
        try {
            stage = state.get("stage").asInt();
            finished = new ArrayList<>(List.of(JSON.treeToValue(state.get("finished"), String[].class)));
            groups = new ArrayList<>();
            for (JsonNode node : state.get("groups")) {
                groups.add(new Group(JeneticsPopulation.doubles(node.get("direction")), JSON.treeToValue(node.get("tasks"), int[].class),
                        JeneticsPopulation.doubles(node.get("response"))));
            }
            probe = new ArrayList<>();
            probeValues = new ArrayList<>();
            for (JsonNode node : state.get("probe")) {
                probe.add(JeneticsPopulation.doubles(node.get("c")));
                probeValues.add(JeneticsPopulation.doubles(node.get("v")));
            }
            jobs = new ArrayList<>();
            for (JsonNode node : state.get("jobs")) {
                Job job = new Job(JSON.treeToValue(node.get("directions"), double[][].class), JeneticsPopulation.doubles(node.get("lower")),
                        JeneticsPopulation.doubles(node.get("upper")), JSON.treeToValue(node.get("metrics"), int[][].class),
                        node.get("last").asBoolean(), node.get("design").asInt());
                job.done = node.get("done").asBoolean();
                job.errorCount = node.get("error_count").asInt();
                job.errorSum = JeneticsPopulation.doubles(node.get("error_sum"));
                job.chosen = node.has("chosen") ? JeneticsPopulation.doubles(node.get("chosen")) : null;
                for (JsonNode point : node.get("points")) {
                    job.points.add(JeneticsPopulation.doubles(point.get("c")));
                    job.values.add(JeneticsPopulation.doubles(point.get("v")));
                }
                jobs.add(job);
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new EvomergeException("map: unreadable state: " + e.getMessage(), e);
        }
    }
}
