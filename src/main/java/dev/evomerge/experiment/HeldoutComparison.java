package dev.evomerge.experiment;

import dev.evomerge.archive.ConfidenceInterval;
import dev.evomerge.archive.PairedTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a run's front is worth on data the search never read: each front point's objectives on the tasks'
 * held-out split with a 95 % bootstrap interval over the datapoints, and a paired test against every
 * reference (the base, each source, the untuned merge) on the same held-out datapoints: McNemar's exact
 * test for 0/1 scores, a paired bootstrap otherwise. Shown by {@code front}, the report and the model card,
 * so that a user sees whether a merge's gain is more than noise.
 */
public record HeldoutComparison(List<Objective> objectives, List<Row> rows, List<String> referenceLabels) {
    /** Resamples are seeded per front point and objective, so the figures are the same each time they are shown. */
    private static final long SEED = 20_261_202L;

    /**
     * One front point: its position on the front, its evaluation, each objective's held-out interval (null
     * before it was scored), and per reference per objective the paired test (null where a reference has
     * no held-out scores).
     */
    public record Row(int position, LoggedEvaluation searched, List<ConfidenceInterval> heldout, List<List<PairedTest>> versus) {
    }

    /** The comparison of {@code results}' front, or null when its tasks have no held-out split. */
    public static HeldoutComparison of(RunResults results) {
        if (!(results.config().problem() instanceof MergeProblemSpec spec)) {
            return null;
        }
        Map<Long, Evaluation> heldout = results.heldout();
        if (heldout.isEmpty()) {
            return null;
        }
        List<Problem.Reference> references = results.references().stream().filter(r -> r.heldout() != null).toList();
        List<Objective> objectives = results.objectives();
        List<Row> rows = new ArrayList<>();
        for (int k = 0; k < results.front().size(); k++) {
            LoggedEvaluation e = results.front().get(k);
            Evaluation held = heldout.get(e.number());
            List<ConfidenceInterval> intervals = new ArrayList<>();
            List<List<PairedTest>> versus = new ArrayList<>();
            references.forEach(r -> versus.add(new ArrayList<>()));
            for (int i = 0; i < objectives.size(); i++) {
                String task = spec.objectives().get(i).task();
                if (held == null) {
                    intervals.add(null);
                    versus.forEach(v -> v.add(null));
                    continue;
                }
                double[] scores = held.scores().get(task);
                long seed = SEED + 1_000L * e.number() + i;
                intervals.add(ConfidenceInterval.bootstrap(scores, seed));
                for (int r = 0; r < references.size(); r++) {
                    versus.get(r).add(PairedTest.of(scores, references.get(r).heldout().scores().get(task), seed));
                }
            }
            rows.add(new Row(k, e, intervals, versus));
        }
        return new HeldoutComparison(objectives, rows, references.stream().map(Problem.Reference::label).toList());
    }

    /** Plain text for a terminal: the held-out table, then the paired tests. */
    public String toText() {
        StringBuilder out = new StringBuilder("held-out split (never read by the search): mean [95 % bootstrap interval]\n");
        out.append(String.format("%-4s", "#"));
        objectives.forEach(o -> out.append(String.format(" %-30s", o.name() + (o.maximize() ? " ↑" : " ↓"))));
        out.append('\n');
        for (Row row : rows) {
            out.append(String.format("%-4d", row.position()));
            row.heldout().forEach(ci -> out.append(String.format(" %-30s", interval(ci))));
            out.append('\n');
        }
        if (!referenceLabels.isEmpty()) {
            out.append("\npaired tests on the held-out split: difference (front point − reference) and p-value\n"
                    + "(McNemar's exact test for 0/1 scores, a paired bootstrap otherwise)\n");
            for (Row row : rows) {
                for (int r = 0; r < referenceLabels.size(); r++) {
                    out.append(String.format("#%-3d vs %-28s", row.position(), referenceLabels.get(r)));
                    for (int i = 0; i < objectives.size(); i++) {
                        out.append(String.format(" %s %s", objectives.get(i).name(), test(row.versus().get(r).get(i))));
                    }
                    out.append('\n');
                }
            }
        }
        return out.toString();
    }

    /** A Markdown section on one front point, for its model card. */
    public String toMarkdown(int position) {
        Row row = rows.get(position);
        StringBuilder out = new StringBuilder("\n## Held-out evaluation\n\nScored on the tasks' held-out split, which the search never read "
                + "(mean and 95 % bootstrap interval over the datapoints):\n\n| objective | held-out |");
        referenceLabels.forEach(l -> out.append(" vs ").append(l).append(" |"));
        out.append("\n|---|---|").append("---|".repeat(referenceLabels.size())).append('\n');
        for (int i = 0; i < objectives.size(); i++) {
            out.append("| ").append(objectives.get(i).name()).append(" | ").append(interval(row.heldout().get(i))).append(" |");
            for (int r = 0; r < referenceLabels.size(); r++) {
                out.append(' ').append(test(row.versus().get(r).get(i))).append(" |");
            }
            out.append('\n');
        }
        out.append("\nEach \"vs\" column: the difference (this model − the reference) on the same held-out datapoints and its p-value "
                + "(McNemar's exact test for 0/1 scores, a paired bootstrap otherwise).\n");
        return out.toString();
    }

    static String interval(ConfidenceInterval ci) {
        return ci == null ? "(not scored yet)" : String.format("%.4g [%.4g, %.4g]", ci.mean(), ci.low(), ci.high());
    }

    static String test(PairedTest t) {
        if (t == null) {
            return "–";
        }
        return String.format("%+.4g (p%s)", t.meanDifference(), t.pValue() < 0.001 ? "<0.001" : String.format("=%.3f", t.pValue()));
    }
}
