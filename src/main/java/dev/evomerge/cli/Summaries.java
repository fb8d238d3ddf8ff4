package dev.evomerge.cli;

import dev.evomerge.experiment.Runner;

/** How run and resume report a finished run. */
final class Summaries {
    private Summaries() {
    }

    static void print(Runner.Summary s) {
        System.out.printf("%d generations, %d evaluations, %.1f s; Pareto front of %d, hypervolume %.6g%n",
                s.generations(), s.evaluations(), s.seconds(), s.frontSize(), s.hypervolume());
        System.out.printf("results: %s (front: ./run.sh front %s; report: %s)%n", s.runDir(), s.runDir(),
                s.runDir().resolve(dev.evomerge.report.HtmlReport.FILE));
    }
}
