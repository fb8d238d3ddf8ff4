package dev.evomerge.fitness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StopStringTest {
    @Test
    void aStopStringSplitAcrossTokensIsFound() {
        StopString answer = new StopString("###");
        assertFalse(answer.append("42 #"));
        assertFalse(answer.append("#"));
        assertTrue(answer.append("# more"));
        assertEquals("42 ", answer.text());
    }

    @Test
    void aPartialMatchThatFailsDoesNotHideALaterOne() {
        StopString answer = new StopString("###");
        assertFalse(answer.append("##"));
        assertFalse(answer.append("x#"));
        assertTrue(answer.append("##"));
        assertEquals("##x", answer.text());
    }

    @Test
    void aStopStringAtTheStartLeavesAnEmptyAnswer() {
        StopString answer = new StopString("\n");
        assertTrue(answer.append("\nthe rest"));
        assertEquals("", answer.text());
        assertTrue(answer.stopped());
    }

    @Test
    void withoutTheStopStringTheAnswerIsAllTheText() {
        StopString answer = new StopString("\n\n");
        for (String piece : new String[] {"one", "\n", "two", " ", "\n", "three"}) {
            assertFalse(answer.append(piece));
        }
        assertFalse(answer.stopped());
        assertEquals("one\ntwo \nthree", answer.text());
    }

    @Test
    void textAfterTheStopIsIgnored() {
        StopString answer = new StopString("|");
        assertTrue(answer.append("a|b"));
        assertTrue(answer.append("c|"));
        assertEquals("a", answer.text());
    }

    @Test
    void emptyPiecesChangeNothing() {
        StopString answer = new StopString("ab");
        assertFalse(answer.append("a"));
        assertFalse(answer.append(""));
        assertTrue(answer.append("b"));
        assertEquals("", answer.text());
    }
}
