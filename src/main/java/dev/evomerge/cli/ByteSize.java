package dev.evomerge.cli;

import dev.evomerge.EvomergeException;
import java.util.Locale;

/** Sizes as people write them: {@code 5GB}, {@code 500MB}, {@code 2GiB}, {@code 1048576}. */
final class ByteSize {
    private ByteSize() {
    }

    static long parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        var m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?").matcher(s);
        if (!m.matches()) {
            throw new EvomergeException("bad size '" + text + "': use e.g. 5GB, 500MB or 2GiB");
        }
        double value = Double.parseDouble(m.group(1));
        long unit = switch (m.group(2) == null ? "B" : m.group(2)) {
            case "KB" -> 1_000L;
            case "MB" -> 1_000_000L;
            case "GB" -> 1_000_000_000L;
            case "TB" -> 1_000_000_000_000L;
            case "KIB" -> 1L << 10;
            case "MIB" -> 1L << 20;
            case "GIB" -> 1L << 30;
            case "TIB" -> 1L << 40;
            default -> 1L;
        };
        long bytes = (long) (value * unit);
        if (bytes <= 0) {
            throw new EvomergeException("size '" + text + "' must be positive");
        }
        return bytes;
    }
}
