package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.ConfigItem;
import io.flotilla.agent.api.ConfigResult;
import io.flotilla.agent.api.InstanceDetails;
import io.flotilla.agent.api.RestartPolicy;
import io.flotilla.agent.api.SlowQuery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config, sessions, replication, details and the slow log of a real MariaDB, as the agent reads and changes them. */
class InstanceAdminTest {
    private static final String ID = "127.0.0.1:mariadb";

    @TempDir
    static Path dir;

    private static TestingMariaDb server;
    private static Supervisor supervisor;
    private static InstanceAdmin admin;
    private static Path optionFile;

    @BeforeAll
    static void startServer() throws Exception {
        Path template = dir.resolve("template");
        TestingMariaDb.installDataDir(template);
        server = TestingMariaDb.start(template, Files.createDirectories(dir.resolve("server")), 7);
        Path password = dir.resolve("admin.password");
        Files.writeString(password, "adm-secret-1\n");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        server.sql("CREATE USER 'admin'@'127.0.0.1' IDENTIFIED BY 'adm-secret-1';"
                + " GRANT ALL ON *.* TO 'admin'@'127.0.0.1'");
        optionFile = dir.resolve("my.cnf");
        Files.writeString(optionFile, """
                # Written by Flotilla
                [mariadbd]
                port = %d
                max-connections = 100

                [client]
                socket = /tmp/x.sock
                """.formatted(server.port()));
        supervisor = Supervisor.open(dir.resolve("agent"), RestartPolicy.DEFAULT);
        supervisor.put(server.spec(
                ID,
                dir,
                "admin",
                password,
                optionFile.toString(),
                dir.resolve("slow.log").toString()));
        admin = new InstanceAdmin(supervisor);
    }

    @AfterAll
    static void stopServer() {
        if (supervisor != null) {
            supervisor.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aDynamicVariableChangesLiveAndInTheOptionFile() throws Exception {
        ConfigResult result = admin.set(ID, "max-connections", "222");

        assertThat(result).isEqualTo(new ConfigResult(ID, "max_connections", "222", true, true, ""));
        assertThat(server.sql("SELECT @@GLOBAL.max_connections").strip()).isEqualTo("222");
        // The line that set it is replaced where it was; the rest of the file stays as it was.
        assertThat(Files.readString(optionFile, UTF_8))
                .startsWith("""
                        # Written by Flotilla
                        [mariadbd]
                        port = %d
                        max_connections = 222
                        """.formatted(server.port()))
                .endsWith("""

                        [client]
                        socket = /tmp/x.sock
                        """)
                .doesNotContain("max-connections");
        assertThat(admin.config(ID)).contains(new ConfigItem("max_connections", "222"));
    }

    @Test
    void aStaticVariableIsWrittenForTheNextStartAndSaysSo() throws Exception {
        ConfigResult result = admin.set(ID, "back_log", "91");

        assertThat(result.live()).isFalse();
        assertThat(result.needsRestart()).isTrue();
        assertThat(result.detail())
                .isEqualTo(
                        "back_log is not dynamic in mariadb %s: written to %s, it takes effect when the instance restarts"
                                .formatted(ID, optionFile));
        assertThat(Files.readString(optionFile, UTF_8)).contains("back_log = 91\n\n[client]");
        assertThat(server.sql("SELECT @@GLOBAL.back_log").strip()).isNotEqualTo("91");
    }

    @Test
    void aStaticValueTheServerWouldRefuseAtItsNextStartIsNotWritten() throws Exception {
        String before = Files.readString(optionFile, UTF_8);
        assertThatThrownBy(() -> admin.set(ID, "innodb_flush_method", "garbage"))
                .isInstanceOf(AgentException.class)
                .hasMessageStartingWith(
                        "mariadb %s refused innodb_flush_method = garbage: 'garbage' is not one of ".formatted(ID))
                .hasMessageContaining("O_DIRECT")
                .hasMessageEndingWith("; it is read at start only, so nothing was written");
        assertThatThrownBy(() -> admin.set(ID, "back_log", "lots"))
                .hasMessage("mariadb %s refused back_log = lots: it takes a whole number (with K, M or G for a size);"
                                .formatted(ID)
                        + " it is read at start only, so nothing was written");
        assertThatThrownBy(() -> admin.set(ID, "back_log", "70000"))
                .hasMessage("mariadb %s refused back_log = 70000: it takes 0 to 65535 (the server would run it as"
                                .formatted(ID)
                        + " 65535); it is read at start only, so nothing was written");
        assertThatThrownBy(() -> admin.set(ID, "innodb_flush_method", "O_DIR"))
                .hasMessage("mariadb %s refused innodb_flush_method = O_DIR: 'O_DIR' could be any of O_DIRECT,"
                                .formatted(ID)
                        + " O_DIRECT_NO_FSYNC; write it whole; it is read at start only, so nothing was written");
        assertThatThrownBy(() -> admin.set(ID, "innodb_flush_method", "9"))
                .hasMessageStartingWith("mariadb %s refused innodb_flush_method = 9: '9' is not one of ".formatted(ID));
        assertThatThrownBy(() -> admin.set(ID, "performance_schema", "maybe"))
                .hasMessageContaining("performance_schema = maybe: it takes ON or OFF;");
        assertThat(Files.readString(optionFile, UTF_8)).isEqualTo(before);
        // The server's option parser takes a word's unique prefix, in any case, and an ENUM's index.
        assertThat(admin.set(ID, "innodb_flush_method", "little").needsRestart())
                .isTrue();
        assertThat(admin.set(ID, "innodb_flush_method", "1").needsRestart()).isTrue();
        assertThat(admin.set(ID, "innodb_flush_method", "fsync").needsRestart()).isTrue();
        assertThat(admin.set(ID, "aria_pagecache_buffer_size", "16M").needsRestart())
                .isTrue();
        assertThat(Files.readString(optionFile, UTF_8))
                .contains("innodb_flush_method = fsync\n")
                .contains("aria_pagecache_buffer_size = 16M\n");
    }

    @Test
    void aRefusedValueOrAnUnknownVariableSaysWhyAndChangesNothing() throws Exception {
        String before = Files.readString(optionFile, UTF_8);
        assertThatThrownBy(() -> admin.set(ID, "max_connections", "lots"))
                .isInstanceOf(AgentException.class)
                .hasMessageStartingWith("mariadb %s refused max_connections = lots: ".formatted(ID))
                .hasMessageContaining("Incorrect argument type to variable 'max_connections'")
                .extracting(e -> ((AgentException) e).code())
                .isEqualTo(Code.REFUSED);
        assertThatThrownBy(() -> admin.set(ID, "no_such_thing", "1"))
                .isInstanceOf(AgentException.class)
                .hasMessage("mariadb %s has no variable no_such_thing".formatted(ID));
        assertThatThrownBy(() -> admin.set(ID, "max_connections; DROP", "1"))
                .isInstanceOf(AgentException.class)
                .hasMessage("max_connections; DROP is not a setting name: use letters, digits, '_', '-' and '.'");
        assertThat(Files.readString(optionFile, UTF_8)).isEqualTo(before);
    }

    @Test
    void sessionsDetailsAndReplicationOfAServerThatReplicatesFromNobody() {
        assertThat(admin.sessions(ID))
                .anySatisfy(session -> assertThat(session.info()).contains("information_schema.PROCESSLIST"));
        assertThat(admin.replication(ID)).isEmpty();
        InstanceDetails details = admin.details(ID);
        assertThat(details.version()).startsWith("10.11.");
        assertThat(details.startTime()).isNull();
    }

    @Test
    void theSlowLogParserReadsMariaDbEntries() {
        InstanceAdmin.SlowParser parser = new InstanceAdmin.SlowParser();
        List<String> lines = List.of(
                "/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:",
                "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock",
                "Time\t\t    Id Command\tArgument",
                "# Time: 261122  1:02:03",
                "# User@Host: root[root] @  [127.0.0.1]",
                "# Thread_id: 31  Schema: shop  QC_hit: No",
                "# Query_time: 0.600233  Lock_time: 0.000011  Rows_sent: 1  Rows_examined: 0",
                "# Rows_affected: 0  Bytes_sent: 63",
                "use shop;",
                "SET timestamp=1795309323;",
                "SELECT SLEEP(0.6)",
                "  FROM dual;",
                "# User@Host: app[app] @ web1 [10.0.0.5]",
                "# Thread_id: 32  Schema:   QC_hit: No",
                "# Query_time: 2.5  Lock_time: 0.1  Rows_sent: 0  Rows_examined: 1000",
                "SET timestamp=1795309324;",
                "UPDATE t SET a = 1;");
        List<SlowQuery> entries = lines.stream()
                .map(parser::line)
                .filter(java.util.Objects::nonNull)
                .toList();

        assertThat(entries)
                .containsExactly(
                        new SlowQuery(
                                Instant.ofEpochSecond(1795309323),
                                "root",
                                "127.0.0.1",
                                31,
                                0.600233,
                                0.000011,
                                1,
                                0,
                                "shop",
                                "SELECT SLEEP(0.6)\n  FROM dual"),
                        new SlowQuery(
                                Instant.ofEpochSecond(1795309324),
                                "app",
                                "web1",
                                32,
                                2.5,
                                0.1,
                                0,
                                1000,
                                "",
                                "UPDATE t SET a = 1"));
    }
}
