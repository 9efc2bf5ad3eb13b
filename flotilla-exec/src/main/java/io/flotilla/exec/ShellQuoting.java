package io.flotilla.exec;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns an argument list into one command line for a remote POSIX shell, which is what SSH
 * carries: each argument reaches the program exactly as given, nothing in it is expanded.
 */
public final class ShellQuoting {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private ShellQuoting() {}

    /** One argument, left bare when it holds only characters no shell treats specially. */
    public static String quote(String argument) {
        if (argument.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a shell argument cannot hold a NUL character");
        }
        if (!argument.isEmpty() && SAFE.matcher(argument).matches()) {
            return argument;
        }
        // Inside single quotes nothing is special but the single quote itself: close, escape, reopen.
        return "'" + argument.replace("'", "'\\''") + "'";
    }

    public static String join(List<String> arguments) {
        if (arguments.isEmpty()) {
            throw new IllegalArgumentException("a command needs at least one argument");
        }
        return arguments.stream().map(ShellQuoting::quote).collect(Collectors.joining(" "));
    }
}
