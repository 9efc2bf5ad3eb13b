package io.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's description is written in whole paragraphs: picocli lists a command by the first
 * one and wraps each to the terminal, so a paragraph cut mid-sentence showed as "each cluster is a".
 */
class HelpTextTest {
    @Test
    void everyDescriptionParagraphIsWholeSentencesAndTheFirstAShortSummary() {
        Output output =
                new Output(new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
        List<String> cut = new ArrayList<>();
        walk(new CommandLine(new FlotillaCommand(output)), cut);
        assertThat(cut).isEmpty();
    }

    private static void walk(CommandLine command, List<String> cut) {
        String[] description = command.getCommandSpec().usageMessage().description();
        if (description.length > 0 && description[0].length() > 120) {
            cut.add(command.getCommandSpec().qualifiedName() + ": its summary (the first paragraph) is over 120"
                    + " characters: '" + description[0] + "'");
        }
        for (String paragraph : description) {
            String text = paragraph.strip();
            boolean whole = text.endsWith(".") || text.endsWith(":") || text.endsWith(".)");
            if (!whole) {
                cut.add(command.getCommandSpec().qualifiedName() + ": '" + text + "'");
            }
        }
        command.getSubcommands().values().forEach(sub -> walk(sub, cut));
    }
}
