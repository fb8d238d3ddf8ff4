package dev.evomerge.report;

import dev.evomerge.EvomergeException;
import dev.evomerge.experiment.LoggedEvaluation;
import dev.evomerge.experiment.Objective;
import dev.evomerge.experiment.RunResults;
import dev.evomerge.tensor.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

/**
 * {@code report}: one self-contained HTML file for a run (charts inlined as PNG data, no other file
 * needed): the front as a table with the export command of each point, the charts, the configuration and
 * the timings. Well-formed XHTML, so any XML parser can check it.
 */
public final class HtmlReport {
    public static final String FILE = "report.html";

    private HtmlReport() {
    }

    /** The report of {@code run} as of its last checkpoint. */
    public static Path write(RunResults run, Path file) {
        RunHistory history = RunPlots.histories(List.of(run)).getFirst();
        List<RunPlots.Rendered> charts = RunPlots.charts(List.of(history)).stream()
                .map(c -> new RunPlots.Rendered(c.name(), c.title(), ChartFiles.png(c.chart()))).toList();
        return write(run, history, charts, file);
    }

    /**
     * The report from what is already known: {@code run} (its front as {@code history} has it), the history
     * and its charts as rendered.
     */
    public static Path write(RunResults run, RunHistory history, List<RunPlots.Rendered> charts, Path file) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<title>").append(escape(run.config().name())).append(" · evomerge</title>\n<style>")
                .append("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}")
                .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
                .append("td.cmd{text-align:left;font-family:monospace;font-size:90%}pre{background:#f6f6f6;padding:1em;overflow:auto}")
                .append("img{max-width:100%;border:1px solid #eee;margin:0.5em 0}</style>\n</head>\n<body>\n");
        h.append("<h1>").append(escape(run.config().name())).append("</h1>\n");
        h.append("<p>Run <code>").append(escape(run.runDir().toAbsolutePath().toString())).append("</code>: strategy <b>")
                .append(escape(run.config().strategy())).append("</b>, seed ").append(run.config().seed()).append(", ")
                .append(history.generations()).append(" generations, ").append(history.evaluations()).append(" evaluations, ")
                .append(String.format("%.1f s", elapsed(run))).append(String.format(" (%.1f ms per evaluation)", 1000 * history.seconds() / Math.max(1, history.evaluations())))
                .append(", final hypervolume ").append(run.hypervolume().isEmpty() ? "–" : String.format("%.6g", run.hypervolume().getLast()))
                .append(".</p>\n");

        h.append("<h2>Pareto front</h2>\n<table>\n<tr><th>#</th><th>evaluation</th><th>generation</th>");
        for (Objective o : run.objectives()) {
            h.append("<th>").append(escape(o.name())).append(o.maximize() ? " ↑" : " ↓").append("</th>");
        }
        h.append("<th>export</th></tr>\n");
        for (int k = 0; k < run.front().size(); k++) {
            LoggedEvaluation e = run.front().get(k);
            h.append("<tr><td>").append(k).append("</td><td>").append(e.number()).append("</td><td>").append(e.generation()).append("</td>");
            for (double v : e.evaluation().objectives()) {
                h.append("<td>").append(String.format("%.6g", v)).append("</td>");
            }
            h.append("<td class=\"cmd\">").append(e.evaluation().description() == null ? "–"
                    : escape("./run.sh export " + run.runDir() + " --pick front:" + k + " --out merged-" + k)).append("</td></tr>\n");
        }
        h.append("</table>\n");
        var references = run.references();
        if (!references.isEmpty()) {
            h.append("<h2>For comparison</h2>\n<table>\n<tr><th>model</th>");
            for (Objective o : run.objectives()) {
                h.append("<th>").append(escape(o.name())).append("</th>");
            }
            h.append("</tr>\n");
            for (var r : references) {
                h.append("<tr><td>").append(escape(r.label())).append("</td>");
                for (double v : r.evaluation().objectives()) {
                    h.append("<td>").append(String.format("%.6g", v)).append("</td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table>\n");
        }

        var heldout = dev.evomerge.experiment.HeldoutComparison.of(run);
        if (heldout != null) {
            h.append("<h2>Held-out split</h2>\n<p>The front scored on the tasks' held-out split, which the search never read, "
                    + "and compared with each reference on the same datapoints.</p>\n<pre>").append(escape(heldout.toText())).append("</pre>\n");
        }

        h.append("<h2>Charts</h2>\n");
        for (RunPlots.Rendered chart : charts) {
            h.append("<figure><img alt=\"").append(escape(chart.title())).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(chart.png())).append("\"/></figure>\n");
        }

        h.append("<h2>Configuration</h2>\n<pre>").append(escape(run.config().toYaml())).append("</pre>\n");
        h.append("<p>Made by evomerge. Resume with <code>./run.sh resume ").append(escape(run.runDir().toString()))
                .append("</code>.</p>\n</body>\n</html>\n");
        try {
            AtomicFiles.write(file, h.toString());
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot write: " + e.getMessage(), e);
        }
        return file;
    }

    private static double elapsed(RunResults run) {
        try {
            return dev.evomerge.experiment.Checkpoint.read(run.runDir()).elapsed();
        } catch (EvomergeException e) {
            return Double.NaN;
        }
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
