package io.flotilla.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShellQuotingTest {
    @Test
    void plainArgumentsStayBareAndOthersAreSingleQuoted() {
        assertThat(ShellQuoting.join(List.of("mkdir", "-p", "/data/mariadb-3306", "key=value,x:y@z%")))
                .isEqualTo("mkdir -p /data/mariadb-3306 key=value,x:y@z%");
        assertThat(ShellQuoting.quote("")).isEqualTo("''");
        assertThat(ShellQuoting.quote("two words")).isEqualTo("'two words'");
        assertThat(ShellQuoting.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(ShellQuoting.quote("$HOME; rm -rf /")).isEqualTo("'$HOME; rm -rf /'");
        assertThat(ShellQuoting.quote("~")).isEqualTo("'~'");
    }

    @Test
    void nulAndEmptyCommandsAreRefused() {
        assertThatThrownBy(() -> ShellQuoting.quote("a\0b")).hasMessage("a shell argument cannot hold a NUL character");
        assertThatThrownBy(() -> ShellQuoting.join(List.of())).hasMessage("a command needs at least one argument");
    }

    @Test
    void randomArgumentsSurviveARealShellUnchanged() {
        String alphabet = "ab ' \" $ ; & | < > ( ) { } [ ] * ? ~ ` \\ ! # = % \t\n,.-_/é";
        Random random = new Random(20261121);
        LocalExecutor local = new LocalExecutor("127.0.0.1");
        for (int round = 0; round < 20; round++) {
            List<String> arguments = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                StringBuilder argument = new StringBuilder();
                int length = random.nextInt(12);
                for (int j = 0; j < length; j++) {
                    argument.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                arguments.add(argument.toString());
            }
            List<String> printf = new ArrayList<>(List.of("printf", "[%s]"));
            printf.addAll(arguments);
            CommandResult result = local.run(List.of("sh", "-c", ShellQuoting.join(printf)), Duration.ofSeconds(10));
            StringBuilder expected = new StringBuilder();
            arguments.forEach(argument -> expected.append('[').append(argument).append(']'));
            assertThat(result.stdout())
                    .as("seed round %d: %s", round, arguments)
                    .isEqualTo(expected.toString());
        }
    }
}
