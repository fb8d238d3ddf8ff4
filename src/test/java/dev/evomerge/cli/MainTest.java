package dev.evomerge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void helpExitsZero() {
        assertEquals(0, Main.execute("--help"));
    }

    @Test
    void unknownFlagExitsTwo() {
        assertEquals(2, Main.execute("--no-such-flag"));
    }

    @Test
    void missingCommandExitsTwo() {
        assertEquals(2, Main.execute());
    }
}
