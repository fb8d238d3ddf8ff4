package dev.evomerge.report;

import dev.evomerge.experiment.RunDirectory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.experiment.RunResults;
import dev.evomerge.experiment.Runner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiveReportTest {
    @TempDir
    Path dir;

    @Test
    void theLastRedrawIsWrittenBeforeFinishReturns() throws IOException {
        Path runDir = dir.resolve("run");
        Runner.Summary summary;
        try (Runner runner = Runner.start(RunHistoryTest.config("nsga2", 3, 8, "zdt1"), runDir);
             LiveReport live = new LiveReport(runDir, 0)) {
            summary = runner.afterCheckpoint(live).run(false);
            live.finish();
            assertEquals(Files.readAllLines(runDir.resolve(RunDirectory.LOG)).size(), live.linesRead());
        }
        String html = Files.readString(runDir.resolve(HtmlReport.FILE));
        assertTrue(html.contains(summary.evaluations() + " evaluations"), "the report shows the end of the run");
        assertTrue(html.contains(summary.generations() + " generations"));
        int rows = html.split("<td class=\"cmd\">", -1).length - 1;
        assertEquals(RunResults.read(runDir).front().size(), rows, "the front table is the run's front");
        assertTrue(Files.size(runDir.resolve("plots/hypervolume.png")) > 1000);
    }

    @Test
    void signalsDuringARedrawQueueOneMoreAtMost() throws InterruptedException {
        Path runDir = dir.resolve("run");
        try (Runner runner = Runner.start(RunHistoryTest.config("nsga2", 3, 3, "zdt1"), runDir)) {
            runner.run(false);
        }
        try (LiveReport live = new LiveReport(runDir, 0)) {
            synchronized (live) {  // holds the first redraw at its start, as a slow one would be
                live.run();
                while (live.queued()) {
                    Thread.sleep(1);  // until the background thread has taken it
                }
                for (int i = 0; i < 50; i++) {
                    live.run();
                }
                assertTrue(live.queued(), "one redraw waits");
            }
            live.finish();
            assertEquals(2, live.draws(), "the one in progress and one after it");
        }
    }
}
