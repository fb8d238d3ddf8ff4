package dev.evomerge.cluster;

import dev.evomerge.EvomergeException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a cluster member listens: an IPv4 address (or a host name, for join lists) and a TCP port, written
 * {@code HOST:PORT}.
 */
public record MemberAddress(String host, int port) {
    private static final Pattern FORM = Pattern.compile("([A-Za-z0-9.-]+):(\\d{1,5})");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}");

    public MemberAddress {
        if (host == null || host.isBlank()) {
            throw new EvomergeException("a member address needs a host");
        }
        checkPort(port, "port of " + host);
    }

    /** Parses {@code HOST:PORT}; {@code what} names the option or key in the error. */
    public static MemberAddress parse(String text, String what) {
        Matcher m = FORM.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new EvomergeException(what + ": '" + text + "' is not HOST:PORT (e.g. 127.0.0.1:5701)");
        }
        int port = Integer.parseInt(m.group(2));
        checkPort(port, what);
        return new MemberAddress(m.group(1), port);
    }

    /** Checks that {@code ip} is a literal IPv4 address: members bind to one interface, never to a name that may resolve to several. */
    public static String checkInterface(String ip, String what) {
        if (ip == null || !IPV4.matcher(ip).matches()) {
            throw new EvomergeException(what + ": '" + ip + "' is not an IPv4 address (e.g. 127.0.0.1 or 10.0.0.5)");
        }
        if (ip.equals("0.0.0.0")) {
            throw new EvomergeException(what + ": 0.0.0.0 would listen on every interface; give the one address the other members reach this one at");
        }
        return ip;
    }

    public static int checkPort(int port, String what) {
        if (port < 1 || port > 65535) {
            throw new EvomergeException(what + ": port " + port + " is not between 1 and 65535");
        }
        return port;
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
