package dev.evomerge.experiment;

import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Which point of a Pareto front a user means:
 * {@code best} (one objective), {@code best:OBJECTIVE}, {@code front:K} (the K-th point as
 * {@code ./run.sh front} numbers them) or {@code weights:w1,w2,…} (the point with the best weighted sum of
 * objectives, each scaled to [0, 1] over the front and oriented so that larger is better).
 */
public sealed interface FrontPick {
    LoggedEvaluation choose(List<LoggedEvaluation> front, List<Objective> objectives);

    record Best(int objective) implements FrontPick {
        @Override
        public LoggedEvaluation choose(List<LoggedEvaluation> front, List<Objective> objectives) {
            Objective o = objectives.get(objective);
            return front.stream().max(Comparator.comparingDouble((LoggedEvaluation e) -> o.orient(e.evaluation().objectives()[objective]))
                    .thenComparing(Comparator.comparingLong(LoggedEvaluation::number).reversed())).orElseThrow();
        }
    }

    record Index(int k) implements FrontPick {
        @Override
        public LoggedEvaluation choose(List<LoggedEvaluation> front, List<Objective> objectives) {
            if (k >= front.size()) {
                throw new EvomergeException("front:" + k + " but the front has " + front.size() + " points (0 to " + (front.size() - 1) + ")");
            }
            return front.get(k);
        }
    }

    record Weights(double[] weights) implements FrontPick {
        @Override
        public LoggedEvaluation choose(List<LoggedEvaluation> front, List<Objective> objectives) {
            int m = objectives.size();
            double[] lo = new double[m];
            double[] hi = new double[m];
            Arrays.fill(lo, Double.POSITIVE_INFINITY);
            Arrays.fill(hi, Double.NEGATIVE_INFINITY);
            for (LoggedEvaluation e : front) {
                for (int i = 0; i < m; i++) {
                    double v = objectives.get(i).orient(e.evaluation().objectives()[i]);
                    lo[i] = Math.min(lo[i], v);
                    hi[i] = Math.max(hi[i], v);
                }
            }
            LoggedEvaluation best = null;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (LoggedEvaluation e : front) {
                double score = 0;
                for (int i = 0; i < m; i++) {
                    double v = objectives.get(i).orient(e.evaluation().objectives()[i]);
                    score += weights[i] * (hi[i] > lo[i] ? (v - lo[i]) / (hi[i] - lo[i]) : 1);
                }
                if (score > bestScore) {
                    bestScore = score;
                    best = e;
                }
            }
            return best;
        }
    }

    static FrontPick parse(String text, List<Objective> objectives) {
        List<String> names = objectives.stream().map(Objective::name).toList();
        if (text.equals("best")) {
            if (objectives.size() != 1) {
                throw new EvomergeException("--pick best needs a single objective; this run has " + names
                        + ": use best:NAME, front:K or weights:w1,w2");
            }
            return new Best(0);
        }
        if (text.startsWith("best:")) {
            String name = text.substring(5);
            if (!names.contains(name)) {
                throw new EvomergeException("--pick " + text + ": no objective '" + name + "'" + DidYouMean.suggest(name, names));
            }
            return new Best(names.indexOf(name));
        }
        try {
            if (text.startsWith("front:")) {
                return new Index(Integer.parseInt(text.substring(6)));
            }
            if (text.startsWith("weights:")) {
                double[] w = Arrays.stream(text.substring(8).split(",")).mapToDouble(Double::parseDouble).toArray();
                if (w.length != objectives.size()) {
                    throw new EvomergeException("--pick " + text + ": " + w.length + " weights for " + objectives.size() + " objectives " + names);
                }
                return new Weights(w);
            }
        } catch (NumberFormatException e) {
            throw new EvomergeException("--pick " + text + ": not a number where one is expected");
        }
        throw new EvomergeException("--pick " + text + ": use best, best:OBJECTIVE, front:K or weights:w1,w2,…");
    }
}
