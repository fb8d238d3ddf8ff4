package dev.evomerge;

import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;

/** The suggestion in an error about an unknown name: the closest known one, if it is close. */
public final class DidYouMean {
    private DidYouMean() {
    }

    /** {@code " (did you mean 'x'?)"} or, when nothing is close, {@code " (known: a, b, c)"}. */
    public static String suggest(String unknown, Collection<String> known) {
        String best = known.stream().min(Comparator.comparingInt(k -> distance(unknown, k))).orElse(null);
        if (best != null && distance(unknown, best) <= Math.max(2, best.length() / 3)) {
            return " (did you mean '" + best + "'?)";
        }
        return " (known: " + String.join(", ", known.stream().sorted().toList()) + ")";
    }

    /** Levenshtein distance, case-insensitive. */
    static int distance(String a, String b) {
        a = a.toLowerCase(Locale.ROOT);
        b = b.toLowerCase(Locale.ROOT);
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
