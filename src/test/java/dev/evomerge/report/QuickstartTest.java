package dev.evomerge.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.cli.Main;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * The quickstart as a new user runs it, in a copy of the repository's experiment, task and fetch files: a
 * real search, a verified export, plots and a report that parses and that a browser renders.
 */
class QuickstartTest {
    @TempDir
    static Path home;

    private static Path runDir;

    @BeforeAll
    static void quickstart() throws IOException {
        for (String file : List.of("experiments/digits-halves-nsga2.yaml", "fitness/tasks/digits-0-4.yaml",
                "fitness/tasks/digits-5-9.yaml", "fitness/fetch-digits.sh")) {
            Files.createDirectories(home.resolve(file).getParent());
            Files.copy(Path.of(file), home.resolve(file));
        }
        String before = System.getProperty("evomerge.home");
        System.setProperty("evomerge.home", home.toString());
        try {
            assertEquals(0, Main.execute("quickstart", "--no-progress"));
        } finally {
            if (before == null) {
                System.clearProperty("evomerge.home");
            } else {
                System.setProperty("evomerge.home", before);
            }
        }
        try (Stream<Path> runs = Files.list(home.resolve("results/digits-halves-nsga2"))) {
            runDir = runs.findFirst().orElseThrow();
        }
    }

    @Test
    void writesAVerifiedExportPlotsAndAWellFormedReport() throws Exception {
        Path merged = runDir.resolve("merged-balanced");
        assertTrue(Files.exists(merged.resolve("model.safetensors")) && Files.exists(merged.resolve("recipe.yaml"))
                && Files.readString(merged.resolve("README.md")).contains("## Search"));
        for (String chart : List.of("pareto", "hypervolume", "best-accuracy_0_4", "best-accuracy_5_9", "genome")) {
            assertTrue(Files.size(runDir.resolve("plots/" + chart + ".png")) > 1000, chart);
            assertTrue(Files.readString(runDir.resolve("plots/" + chart + ".svg")).contains("<svg"), chart);
        }
        Document report = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(runDir.resolve(HtmlReport.FILE).toFile());
        assertEquals(5, report.getElementsByTagName("img").getLength());
        assertTrue(report.getElementsByTagName("tr").getLength() > 3, "the front as a table");
        // the sources alone and the untuned merge, for comparison: each source is good at its own half only
        var references = dev.evomerge.experiment.RunResults.read(runDir).references();
        assertEquals(List.of("init (base)", "low", "high", "untuned task_arithmetic"), references.stream().map(r -> r.label()).toList());
        assertTrue(references.get(1).evaluation().objectives()[0] > 0.9 && references.get(1).evaluation().objectives()[1] < 0.05);
        // the recipe the export wrote merges again, with the merge command, to the same weights
        assertEquals(0, Main.execute("merge", merged.resolve("recipe.yaml").toString(), "--out", home.resolve("again").toString()));
        assertEquals(-1, Files.mismatch(merged.resolve("model.safetensors"), home.resolve("again/model.safetensors")));
    }

    @Test
    void chromiumRendersTheReportWithEveryImageLoaded() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(chromium), "Chromium is not installed (apt-get install chromium)");
        // a copy that records, once loaded, whether every image decoded
        String html = Files.readString(runDir.resolve(HtmlReport.FILE)).replace("</body>",
                "<script>window.addEventListener('load', () => document.body.setAttribute('data-images',"
                        + " [...document.images].filter(i => i.complete &amp;&amp; i.naturalWidth > 0).length + '/' + document.images.length));</script></body>");
        Path page = home.resolve("report-check.html");
        Files.writeString(page, html.replace("&amp;&amp;", "&&"));
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + home.resolve("chromium"),
                "--virtual-time-budget=5000", "--dump-dom", page.toUri().toString())
                .redirectError(home.resolve("chromium.log").toFile()).start();
        String dom = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(dom.contains("data-images=\"5/5\""), "every image rendered: " + dom.replaceAll("(?s).*(data-images=\"[^\"]*\").*", "$1"));
    }
}
