package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Progress on a terminal is a bar; anywhere else a plain line every 10 s of the display's clock; under -q nothing. */
class ProgressDisplayTest {
    private static final long SECOND = 1_000_000_000L;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong clock = new AtomicLong(1_000 * SECOND);

    private String written() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private void at(double seconds) {
        clock.set(1_000 * SECOND + (long) (seconds * SECOND));
    }

    @Test
    void offATerminalALineAtMostEveryTenSecondsOfTheClockAndNoCarriageReturn() {
        ProgressDisplay display = ProgressDisplay.of(ProgressDisplay.Mode.LINES, out, clock::get, 0);
        try (ProgressDisplay.Progress p = display.start("search", "evaluations", 0, 100)) {
            p.message("best acc=0.5");
            at(1);
            p.stepTo(10);
            at(9.9);
            p.stepTo(20);
            assertEquals("", written(), "nothing before 10 s");
            at(10);
            p.message("best acc=0.75");
            p.stepTo(40);
            at(15);
            p.stepBy(10);
            at(19.9);
            p.stepBy(10);
            at(20);
            p.stepBy(10);
        }
        List<String> lines = written().lines().toList();
        assertEquals(List.of(
                "search: 40/100 evaluations (40 %) · best acc=0.75 · 10 s elapsed, about 15 s left",
                "search: 70/100 evaluations (70 %) · best acc=0.75 · 20 s elapsed, about 9 s left"), lines);
        assertFalse(written().contains("\r"));
    }

    @Test
    void aResumedRunEstimatesFromWhatItDidSinceItStartedAndAnUnknownTotalHasNoEstimate() {
        ProgressDisplay display = ProgressDisplay.of(ProgressDisplay.Mode.LINES, out, clock::get, 0).named("nsga2 seed 3");
        try (ProgressDisplay.Progress p = display.start("search", "generations", 50, 100)) {
            at(60);
            p.stepTo(60); // 10 generations a minute: 40 more take 4 minutes
        }
        try (ProgressDisplay.Progress p = display.start("merge", "tensors", 0, 0)) {
            at(200);
            p.stepBy(7);
        }
        assertEquals(List.of("nsga2 seed 3: 60/100 generations (60 %) · 1 min 00 s elapsed, about 4 min 00 s left",
                "nsga2 seed 3: 7 tensors · 2 min 20 s elapsed"), written().lines().toList());
    }

    @Test
    void quietShowsNothing() {
        assertSame(ProgressDisplay.NONE, ProgressDisplay.onStandardError(true));
        ProgressDisplay display = ProgressDisplay.of(ProgressDisplay.Mode.NONE, out, clock::get, 0);
        try (ProgressDisplay.Progress p = display.start("search", "evaluations", 0, 100)) {
            for (int s = 0; s <= 60; s += 5) {
                at(s);
                p.message("best " + s);
                p.stepTo(s);
            }
        }
        assertEquals("", written());
    }

    @Test
    void onATerminalABarRedrawnWithCarriageReturns() {
        ProgressDisplay display = ProgressDisplay.of(ProgressDisplay.Mode.BAR, out, clock::get, 100);
        try (ProgressDisplay.Progress p = display.start("search", "generations", 0, 4)) {
            p.message("front 3");
            p.stepTo(3);
        }
        String drawn = written();
        assertTrue(drawn.startsWith("\r"), drawn);
        String last = drawn.substring(drawn.lastIndexOf('\r') + 1);
        assertTrue(last.startsWith("search") && last.contains("3/4 generations") && last.contains("front 3") && last.endsWith("\n"), last);
        assertTrue(last.strip().length() <= 100, last);
    }

    @Test
    void durationsReadAsAPersonWouldSayThem() {
        assertEquals("45 s", ProgressDisplay.duration(45 * SECOND));
        assertEquals("3 min 05 s", ProgressDisplay.duration(185 * SECOND));
        assertEquals("2 h 07 min", ProgressDisplay.duration((2 * 3600 + 7 * 60 + 30) * SECOND));
    }
}
