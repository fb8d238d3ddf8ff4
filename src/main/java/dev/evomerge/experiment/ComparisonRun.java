package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.archive.ParetoArchive;
import java.util.ArrayList;
import java.util.List;

/**
 * One finished run of a {@link Comparison}, as a line of its {@code runs.jsonl}: which strategy and seed, the
 * evaluation budget, and what the table needs of the run's first {@code budget} evaluations: their Pareto
 * front, and the worst and best value of each objective (a common reference point is derived from the
 * worst of all runs). Values are in objective units; {@code objectives} says which are maximized.
 *
 * @param evaluations what the run spent in all (a generation is never cut short, so it may pass the budget)
 * @param seconds     the run's wall time, across resumes
 */
public record ComparisonRun(String label, String strategy, String hyperparameters, long seed, long budget, long evaluations,
                            double seconds, List<Objective> objectives, List<double[]> front, double[] worst, double[] best,
                            String runDir) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ComparisonRun {
        objectives = List.copyOf(objectives);
        front = front.stream().map(double[]::clone).toList();
        worst = worst.clone();
        best = best.clone();
    }

    @Override
    public List<double[]> front() {
        return front.stream().map(double[]::clone).toList();
    }

    @Override
    public double[] worst() {
        return worst.clone();
    }

    @Override
    public double[] best() {
        return best.clone();
    }

    /**
     * Summarizes a run from its log: the first {@code budget} evaluations that were computed (repeats served
     * from the cache cost nothing and are not counted), raced ones kept out of the front as the Runner keeps
     * them out of its archive.
     */
    static ComparisonRun of(ComparedStrategy s, long seed, long budget, Runner.Summary summary, RunResults results, String runDir) {
        List<Objective> objectives = results.objectives();
        int m = objectives.size();
        ParetoArchive archive = new ParetoArchive();
        List<double[]> values = new ArrayList<>();
        double[] worst = new double[m];
        double[] best = new double[m];
        java.util.Arrays.fill(worst, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(best, Double.NEGATIVE_INFINITY);
        long counted = 0;
        for (LoggedEvaluation e : results.evaluations()) {
            if (e.cached()) {
                continue;
            }
            if (counted++ == budget) {
                break;
            }
            if (e.raced()) {
                continue;
            }
            double[] raw = e.evaluation().objectives();
            double[] oriented = new double[m];
            for (int i = 0; i < m; i++) {
                oriented[i] = objectives.get(i).orient(raw[i]);
                worst[i] = Math.min(worst[i], oriented[i]);
                best[i] = Math.max(best[i], oriented[i]);
            }
            if (archive.add(values.size(), oriented)) {
                values.add(raw);
            } else {
                values.add(null);
            }
        }
        if (values.isEmpty()) {
            throw new dev.evomerge.EvomergeException(runDir + ": no finished evaluation to compare (every one raced?)");
        }
        List<double[]> front = archive.front().stream().map(entry -> values.get((int) entry.evaluation())).toList();
        for (int i = 0; i < m; i++) { // back to objective units: orient is its own inverse
            worst[i] = objectives.get(i).orient(worst[i]);
            best[i] = objectives.get(i).orient(best[i]);
        }
        return new ComparisonRun(s.label(), s.strategy(), s.hyperparameters().toString(), seed, budget, summary.evaluations(),
                summary.seconds(), objectives, front, worst, best, runDir);
    }

    /** The oriented (larger is better) front, for the hypervolume. */
    List<double[]> orientedFront() {
        return front.stream().map(this::oriented).toList();
    }

    double[] oriented(double[] raw) {
        double[] o = new double[raw.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = objectives.get(i).orient(raw[i]);
        }
        return o;
    }

    String toJson() {
        ObjectNode n = JSON.createObjectNode().put("label", label).put("strategy", strategy).put("hyperparameters", hyperparameters)
                .put("seed", seed).put("budget", budget).put("evaluations", evaluations).put("seconds", seconds);
        ArrayNode o = n.putArray("objectives");
        objectives.forEach(obj -> o.addObject().put("name", obj.name()).put("maximize", obj.maximize()));
        ArrayNode f = n.putArray("front");
        front.forEach(p -> numbers(f.addArray(), p));
        numbers(n.putArray("worst"), worst);
        numbers(n.putArray("best"), best);
        n.put("run_dir", runDir);
        return n.toString();
    }

    static ComparisonRun parse(String line) throws java.io.IOException {
        JsonNode n = JSON.readTree(line);
        List<Objective> objectives = new ArrayList<>();
        for (JsonNode o : n.get("objectives")) {
            objectives.add(new Objective(o.get("name").asText(), o.get("maximize").asBoolean()));
        }
        List<double[]> front = new ArrayList<>();
        for (JsonNode p : n.get("front")) {
            front.add(numbers(p, objectives.size()));
        }
        return new ComparisonRun(n.get("label").asText(), n.get("strategy").asText(), n.get("hyperparameters").asText(), n.get("seed").asLong(),
                n.get("budget").asLong(), n.get("evaluations").asLong(), n.get("seconds").asDouble(), objectives, front,
                numbers(n.get("worst"), objectives.size()), numbers(n.get("best"), objectives.size()), n.get("run_dir").asText());
    }

    private static void numbers(ArrayNode a, double[] values) {
        for (double v : values) {
            a.add(v);
        }
    }

    private static double[] numbers(JsonNode a, int size) {
        if (a == null || !a.isArray() || a.size() != size) {
            throw new IllegalArgumentException("expected " + size + " numbers, got " + a);
        }
        double[] v = new double[size];
        for (int i = 0; i < size; i++) {
            if (!a.get(i).isNumber()) {
                throw new IllegalArgumentException("not a number: " + a.get(i));
            }
            v[i] = a.get(i).asDouble();
        }
        return v;
    }
}
