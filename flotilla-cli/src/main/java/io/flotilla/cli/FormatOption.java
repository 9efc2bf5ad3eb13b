package io.flotilla.cli;

import picocli.CommandLine.Option;

/** {@code --format text|json}, for the commands that print a result. */
final class FormatOption {
    @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    private Format format;

    boolean json() {
        return format == Format.json;
    }
}
