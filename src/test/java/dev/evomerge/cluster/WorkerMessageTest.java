package dev.evomerge.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.EvomergeException;
import dev.evomerge.experiment.Evaluation;
import dev.evomerge.experiment.Objective;
import dev.evomerge.experiment.ParetoFinish;
import dev.evomerge.experiment.Problem;
import dev.evomerge.experiment.Racing;
import dev.evomerge.genome.Genome;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** What driver and worker send each other: signed, and read back to the same values. */
class WorkerMessageTest {
    private static final List<Objective> OBJECTIVES = List.of(new Objective("acc_low", true), new Objective("loss", false));

    @Test
    void aCandidatesRacingScreenIsRebuiltToTheSameDecisions() {
        List<double[]> front = List.of(new double[] {0.9, -0.3}, new double[] {0.7, -0.1});
        Problem.Screen screen = new Problem.Screen(new Racing(0.3, 0.05), 42, new ParetoFinish(OBJECTIVES, front, 0.05));
        Genome genome = Genome.of(0.1, 1.0 / 3, 2e-17);
        var sent = WorkerMessage.Candidate.of("s/1.1", "127.0.0.1:5701", "name: x\n", genome, screen);
        var read = (WorkerMessage.Candidate) WorkerMessage.parse(sent.toBytes());
        assertEquals(genome, read.genome(), "genome values exactly");
        Problem.Screen rebuilt = read.screen(OBJECTIVES);
        assertEquals(screen.racing(), rebuilt.racing());
        assertEquals(screen.seed(), rebuilt.seed());
        SplittableRandom random = new SplittableRandom(1);
        int finished = 0;
        for (int i = 0; i < 500; i++) {
            Evaluation partial = Evaluation.of(random.nextDouble(), random.nextDouble(0, 0.5));
            boolean decision = screen.finish().test(partial);
            assertEquals(decision, rebuilt.finish().test(partial), "evaluation " + i);
            finished += decision ? 1 : 0;
        }
        assertTrue(finished > 0 && finished < 500, "both decisions were tried: " + finished);
        var plain = (WorkerMessage.Candidate) WorkerMessage.parse(WorkerMessage.Candidate.of("s/2.1", "d", "y", genome, null).toBytes());
        assertNull(plain.screen(OBJECTIVES), "no racing, no screen");
        assertThrows(IllegalArgumentException.class, () -> WorkerMessage.Candidate.of("s/3.1", "d", "y", genome,
                new Problem.Screen(new Racing(0.3, 0), 1, e -> true)), "a screen that cannot be sent is a bug, said at once");
    }

    @Test
    void onlyTheSameSecretVerifiesAndAnyChangedByteFails() {
        SharedSecret secret = SharedSecret.of("sixteen-chars-or-more");
        byte[] body = new WorkerMessage.Evaluated("s/1.1", "{\"n\":0}", null, false).toBytes();
        byte[] signed = secret.sign(body);
        assertArrayEquals(body, secret.verified(signed));
        assertNull(SharedSecret.of("sixteen-chars-or-mord").verified(signed), "another secret");
        for (int i = 0; i < signed.length; i++) {
            byte[] altered = signed.clone();
            altered[i] ^= 1;
            assertNull(secret.verified(altered), "byte " + i + " altered");
        }
        assertNull(secret.verified(java.util.Arrays.copyOf(signed, signed.length - 1)), "cut");
        assertNull(secret.verified(new byte[0]), "the empty answer of a member without a worker");
        assertTrue(assertThrows(EvomergeException.class, () -> SharedSecret.of("short")).getMessage().contains("16"));
        assertTrue(assertThrows(EvomergeException.class, () -> SharedSecret.fromEnvironment("EVOMERGE_NO_SUCH_VARIABLE_SET"))
                .getMessage().contains("EVOMERGE_NO_SUCH_VARIABLE_SET"));
        assertTrue(!new String(signed, StandardCharsets.UTF_8).contains("sixteen"), "the secret never travels");
    }

    @Test
    void answersAndGreetingsReadBack() {
        var failed = (WorkerMessage.Evaluated) WorkerMessage.parse(WorkerMessage.Evaluated.failed("s/4.2", "problem.models[0]: not found", true).toBytes());
        assertEquals(WorkerMessage.Evaluated.failed("s/4.2", "problem.models[0]: not found", true), failed);
        assertEquals(new WorkerMessage.Hello("n", "127.0.0.1:1"), WorkerMessage.parse(new WorkerMessage.Hello("n", "127.0.0.1:1").toBytes()));
        assertEquals(new WorkerMessage.Welcome("n", "gpu:1"), WorkerMessage.parse(new WorkerMessage.Welcome("n", "gpu:1").toBytes()));
        assertThrows(IllegalArgumentException.class, () -> WorkerMessage.parse("{\"kind\":\"shell\"}".getBytes(StandardCharsets.UTF_8)));
    }
}
