package io.flotilla.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Topology files a careless or hostile user might give, by class of input: each is refused with a
 * problem that names the file, its line and column and what to do (or, where marked, read as the
 * harmless value it is), never with another exception, and in bounded time.
 */
class HostileInputTest {
    private static final String HOST = "mariadb_servers:\n  - host: 10.0.0.1\n";

    @TempDir
    Path dir;

    static Stream<Arguments> inputs() {
        return Stream.of(
                // hosts
                refused("host: shell", "mariadb_servers:\n  - host: \"10.0.0.1; rm -rf /\"\n", "2:11:", "is neither"),
                refused("host: ssh option", "mariadb_servers:\n  - host: -oProxyCommand=x\n", "2:11:", "is neither"),
                refused("host: octet over 255", "mariadb_servers:\n  - host: 10.0.0.256\n", "2:11:", "is neither"),
                refused(
                        "host: hex address",
                        "mariadb_servers:\n  - host: 0x7f000001\n",
                        "2:11:",
                        "hex, octal or short"),
                refused("host: hex parts", "mariadb_servers:\n  - host: 0x7f.0.0.1\n", "2:11:", "hex, octal or short"),
                refused("host: underscore", "mariadb_servers:\n  - host: db_1\n", "2:11:", "is neither"),
                refused("host: fullwidth digit", "mariadb_servers:\n  - host: 10.0.0.\uff11\n", "2:11:", "is neither"),
                refused(
                        "host: label of 64",
                        "mariadb_servers:\n  - host: " + "a".repeat(64) + ".x\n",
                        "2:11:",
                        "is neither"),
                refused(
                        "host: IPv6 in brackets",
                        "mariadb_servers:\n  - host: \"[fd00::1]\"\n",
                        "2:11:",
                        "without them"),
                refused(
                        "host: IPv6 with a zone",
                        "mariadb_servers:\n  - host: \"fe80::1%eth0\"\n",
                        "2:11:",
                        "interface"),
                refused("host: two '::'", "mariadb_servers:\n  - host: \"fd00::1::2\"\n", "2:11:", "not an IPv6"),
                refused(
                        "host: with a port",
                        "mariadb_servers:\n  - host: \"10.0.0.1:22\"\n",
                        "2:11:",
                        "without a port"),
                refused("host: trailing dot", "mariadb_servers:\n  - host: db1.example.\n", "2:11:", "without the dot"),
                refused("host: null", "mariadb_servers:\n  - host: ~\n", "2:5:", "has no host"),
                refused(
                        "host: newline",
                        "mariadb_servers:\n  - host: \"10.0.0.1\\nx\"\n",
                        "2:11:",
                        "control character"),
                refused("manage_host: space", HOST + "    manage_host: \"a b\"\n", "3:18:", "is neither"),
                refused("listen_host: shell", "global:\n  listen_host: \"0.0.0.0; x\"\n" + HOST, "2:16:", "is neither"),
                // users
                refused("user: shell", "global:\n  user: \"root; rm -rf /\"\n" + HOST, "2:9:", "Linux user name"),
                refused("user: option", "global:\n  user: -oProxyCommand\n" + HOST, "2:9:", "Linux user name"),
                refused(
                        "user: 40 letters",
                        "global:\n  user: " + "a".repeat(40) + "\n" + HOST,
                        "2:9:",
                        "Linux user name"),
                refused("user: upper case", "global:\n  user: Root\n" + HOST, "2:9:", "Linux user name"),
                // dirs
                refused("dir: /", HOST + "    data_dir: /\n", "2:5:", "give the instance a folder"),
                refused("dir: /etc", HOST + "    data_dir: /etc/mysql\n", "2:5:", "give the instance a folder"),
                refused("dir: system data", HOST + "    data_dir: /var/lib/mysql\n", "2:5:", "system's own packages"),
                refused("dir: climbs out", HOST + "    data_dir: ../../etc\n", "3:15:", "climbs out"),
                refused("dir: control char", HOST + "    log_dir: \"/srv/a\\tb\\rc\"\n", "3:14:", "U+000D"),
                refused(
                        "dir: too long",
                        HOST + "    deploy_dir: /srv/" + "a".repeat(300) + "\n",
                        "2:5:",
                        "longer than Linux"),
                refused(
                        "dir: too long once resolved under its deploy dir",
                        HOST + "    deploy_dir: /srv" + ("/" + "a".repeat(250)).repeat(15) + "\n    data_dir: "
                                + "b".repeat(250) + "/" + "c".repeat(200) + "\n",
                        "2:5:",
                        "data_dir of mariadb 10.0.0.1:3306 is longer than Linux allows a path"),
                // config keys and values
                refused(
                        "config key: newline",
                        "server_configs:\n  mariadb:\n    \"a\\nb\": 1\n" + HOST,
                        "3:5:",
                        "U+000A"),
                refused(
                        "config value: newline",
                        HOST + "    config:\n      sql_mode: \"a\\n[mysqld]\"\n",
                        "4:17:",
                        "U+000A"),
                refused("config value: NUL escape", HOST + "    config:\n      x: \"a\\0b\"\n", "4:10:", "U+0000"),
                refused(
                        "config key: space",
                        HOST + "    config:\n      max connections: 1\n",
                        "4:7:",
                        "not a setting name"),
                refused(
                        "config key: section",
                        "server_configs:\n  mariadb:\n    \"[client]\": 1\n" + HOST,
                        "3:5:",
                        "not a setting name"),
                refused("config key: '='", HOST + "    config:\n      \"a=b\": 1\n", "4:7:", "not a setting name"),
                refused("config key: '#'", HOST + "    config:\n      \"log#bin\": 1\n", "4:7:", "not a setting name"),
                readAs(
                        "config value: '#', quotes and spaces are quoted in my.cnf",
                        HOST + "    config:\n      sql_mode: \" a # \\\"b\\\" \"\n"),
                // numbers
                refused("port: 0", HOST + "    port: 0\n", "3:11:", "out of range"),
                refused("port: 65536", HOST + "    port: 65536\n", "3:11:", "out of range"),
                refused("port: text", HOST + "    port: abc\n", "3:11:", "expected a number"),
                refused("port: float", HOST + "    port: 1e3\n", "3:11:", "expected a number"),
                refused(
                        "port: 30 digits",
                        HOST + "    port: 123456789012345678901234567890\n",
                        "3:11:",
                        "expected a number"),
                refused("server_id: text", HOST + "    server_id: abc\n", "3:16:", "expected a number"),
                refused("server_id: 0", HOST + "    server_id: 0\n", "3:16:", "outside 1..4294967295"),
                refused("server_id: 2^32", HOST + "    server_id: 4294967296\n", "3:16:", "outside 1..4294967295"),
                refused(
                        "server_id: twice",
                        HOST + "    server_id: 2\n  - host: 10.0.0.2\n",
                        "4:5:",
                        "server_id conflict"),
                // YAML structure
                refused("alias bomb", bomb(), "1:1:", "aliases"),
                refused(
                        "nested 20000 deep",
                        "a: " + "[".repeat(20_000) + "]".repeat(20_000) + "\n",
                        "1:67:",
                        "nest deeper"),
                refused("two documents", HOST + "---\nx: 1\n", "3:1:", "another document"),
                refused("a list", "- a\n- b\n", "1:1:", "expected a map"),
                refused("a scalar", "hello\n", "1:1:", "expected a map"),
                refused("empty", "", "1:1:", "no valid instance"),
                refused(
                        "duplicate key",
                        "mariadb_servers:\n  - host: 10.0.0.1\n    host: 10.0.0.2\n",
                        "3:5:",
                        "duplicate key"),
                refused(
                        "unknown key, look-alike letter",
                        HOST + "    p\u03bfrt: 3306\n",
                        "3:5:",
                        "did you mean 'port'"),
                refused("unclosed quote", "mariadb_servers:\n  - host: \"10.0.0.1\n", "", "invalid YAML"),
                readAs(
                        "a language tag is only a string",
                        "mariadb_servers:\n  - host: !!python/object:os.system 10.0.0.1\n"),
                readAs("an alias used as a value", "global:\n  user: &u tidb\n  group: *u\n" + HOST));
    }

    static Stream<Arguments> files() {
        byte[] text = HOST.getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[text.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(text, 0, withBom, 3, text.length);
        return Stream.of(
                Arguments.of(
                        "UTF-16",
                        HOST.getBytes(StandardCharsets.UTF_16),
                        "1:1: the file holds bytes that are not UTF-8"),
                Arguments.of(
                        "Latin-1",
                        "global:\n  user: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1),
                        "2:12: the file holds bytes that are not UTF-8"),
                Arguments.of(
                        "a NUL byte",
                        "global:\n  user: t\0x\n".getBytes(StandardCharsets.UTF_8),
                        "2:10: the file holds a NUL byte"),
                Arguments.of(
                        "binary",
                        new byte[] {(byte) 0x7F, 'E', 'L', 'F', 2, 1, 1, 0},
                        "1:8: the file holds a NUL byte"),
                Arguments.of("5 MB", new byte[5 << 20], "1:1: the file is 5242880 bytes, more than the 4194304"),
                Arguments.of("UTF-8 with a BOM", withBom, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void eachHostileTopologyGetsItsProblemAtItsPlace(String name, String yaml, String position, String words) {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            if (words == null) {
                assertThat(TopologyParser.parse(yaml, "t.yaml").instances()).isNotEmpty();
                return;
            }
            assertThatThrownBy(() -> TopologyParser.parse(yaml, "t.yaml"))
                    .isExactlyInstanceOf(TopologyException.class)
                    .hasMessageContaining("t.yaml:" + position)
                    .hasMessageContaining(words);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void aFileThatIsNoTextIsRefusedBeforeItIsParsed(String name, byte[] bytes, String problem) throws Exception {
        Path file = dir.resolve("t.yaml");
        Files.write(file, bytes);
        if (problem == null) {
            assertThat(TopologyParser.parse(file).instances()).isNotEmpty();
            return;
        }
        assertThatThrownBy(() -> TopologyParser.parse(file))
                .isExactlyInstanceOf(TopologyException.class)
                .hasMessageStartingWith(file + ":" + problem);
    }

    private static Arguments refused(String name, String yaml, String position, String words) {
        return Arguments.of(name, yaml, position, words);
    }

    private static Arguments readAs(String name, String yaml) {
        return Arguments.of(name, yaml, null, null);
    }

    /** A billion laughs: nine levels of ten aliases each. */
    private static String bomb() {
        StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int level = 1; level < 10; level++) {
            yaml.append("a%d: &a%d [".formatted(level, level));
            for (int i = 0; i < 10; i++) {
                yaml.append(i == 0 ? "" : ", ").append("*a").append(level - 1);
            }
            yaml.append("]\n");
        }
        return yaml.toString();
    }
}
