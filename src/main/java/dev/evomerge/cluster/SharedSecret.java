package dev.evomerge.cluster;

import dev.evomerge.EvomergeException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret a driver and its workers share, read from an environment variable (never from a file or a command
 * line, where other users of the machine could read it). Every message between them is signed with
 * HMAC-SHA256 under it: a member that joins the cluster without it gets no work and its answers are refused.
 * It authenticates messages; it does not encrypt them (genomes and scores cross the network readable).
 *
 * @implNote immutable and thread-safe; the key is never printed.
 */
public final class SharedSecret {
    /** Fewer characters than this are too easy to guess. */
    public static final int MINIMUM_LENGTH = 16;
    private static final String ALGORITHM = "HmacSHA256";
    private static final int MAC_BYTES = 32;
    private final SecretKeySpec key;

    private SharedSecret(byte[] key) {
        this.key = new SecretKeySpec(key, ALGORITHM);
    }

    /** The secret held by environment variable {@code variable}. */
    public static SharedSecret fromEnvironment(String variable) {
        String value = System.getenv(variable);
        if (value == null || value.isEmpty()) {
            throw new EvomergeException("the environment variable " + variable + " holding the cluster's secret is not set: set it, to the "
                    + "same value, where the driver and every worker start (at least " + MINIMUM_LENGTH + " characters)");
        }
        if (value.length() < MINIMUM_LENGTH) {
            throw new EvomergeException("the cluster's secret in " + variable + " has " + value.length() + " characters; use at least "
                    + MINIMUM_LENGTH + " (e.g. openssl rand -hex 24)");
        }
        return new SharedSecret(value.getBytes(StandardCharsets.UTF_8));
    }

    /** A secret given in code (tests); the same rules as one read from the environment. */
    public static SharedSecret of(String value) {
        if (value.length() < MINIMUM_LENGTH) {
            throw new EvomergeException("a cluster secret needs at least " + MINIMUM_LENGTH + " characters");
        }
        return new SharedSecret(value.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code body} followed by its HMAC. */
    public byte[] sign(byte[] body) {
        byte[] signed = Arrays.copyOf(body, body.length + MAC_BYTES);
        System.arraycopy(mac(body, body.length), 0, signed, body.length, MAC_BYTES);
        return signed;
    }

    /** The body of a message {@link #sign}ed under this secret, or null when it was not (another secret, altered, or cut). */
    public byte[] verified(byte[] signed) {
        if (signed == null || signed.length < MAC_BYTES) {
            return null;
        }
        int length = signed.length - MAC_BYTES;
        byte[] expected = mac(signed, length);
        // constant time, so the comparison does not tell how much of a forged MAC was right
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(signed, length, signed.length))) {
            return null;
        }
        return Arrays.copyOf(signed, length);
    }

    /** The part of a signed message before its MAC, unchecked: only for saying in a log what an unverified message claimed. */
    static byte[] unverifiedBody(byte[] signed) {
        return signed == null || signed.length < MAC_BYTES ? new byte[0] : Arrays.copyOf(signed, signed.length - MAC_BYTES);
    }

    private byte[] mac(byte[] data, int length) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM); // a Mac is stateful: one per call keeps this class thread-safe
            mac.init(key);
            mac.update(data, 0, length);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "SharedSecret[hidden]";
    }
}
