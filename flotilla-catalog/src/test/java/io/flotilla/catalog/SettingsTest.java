package io.flotilla.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SettingsTest {
    private final Settings mariadb =
            Catalog.standard().kind("mariadb").settings().orElseThrow();

    @Test
    void tuningMayChangeWhateverCaseOrDashesItIsWrittenIn() {
        for (String name :
                List.of("max_connections", "Max-Connections", " long_query_time ", "innodb_buffer_pool_size")) {
            assertThat(mariadb.refusal(name)).as(name).isEmpty();
        }
    }

    @Test
    void whatGuardsTheServerIsRefusedWithItsReason() {
        assertThat(mariadb.refusal("SKIP-GRANT-TABLES"))
                .hasValue("SET CONFIG does not change skip_grant_tables on mariadb: it turns authentication off for"
                        + " every client. Nothing was changed");
        for (String name : List.of(
                "init_file",
                "init_connect",
                "plugin_load",
                "plugin_load_add",
                "plugin_dir",
                "secure_file_priv",
                "local_infile",
                "skip_networking",
                "bind_address",
                "port",
                "log_bin",
                "log_bin_basename",
                "server_id",
                "gtid_strict_mode",
                "read_only",
                "rpl_semi_sync_master_enabled",
                "general_log",
                "general_log_file",
                "slow_query_log_file",
                "datadir",
                "require_secure_transport",
                "ssl_cert")) {
            assertThat(mariadb.refusal(name))
                    .as(name)
                    .hasValueSatisfying(reason -> assertThat(reason)
                            .startsWith("SET CONFIG does not change %s on mariadb: ".formatted(name))
                            .doesNotContain("not one of the settings")
                            .endsWith(". Nothing was changed"));
        }
    }

    @Test
    void aSettingOutsideTheListIsRefusedAndSaysWhereItComesFromInstead() {
        assertThat(mariadb.refusal("innodb_force_recovery"))
                .hasValue("SET CONFIG does not change innodb_force_recovery on mariadb: it is not one of the settings"
                        + " Flotilla changes on a running cluster (the README lists them); settings beyond those come"
                        + " from the topology's server_configs, written at deploy. Nothing was changed");
    }

    @Test
    void aRefusalWinsOverTheList() {
        Settings settings = new Settings("x", java.util.Set.of("a_b"), java.util.Map.of("a*", "no"));
        assertThat(settings.refusal("a-b")).hasValue("SET CONFIG does not change a_b on x: no. Nothing was changed");
    }

    @Test
    void componentsThatDoNotSpeakSqlLeaveTheAnswerToTheirAgent() {
        assertThat(Catalog.standard().kind("etcd").settings()).isEmpty();
        assertThat(Catalog.standard().kind("haproxy").settings()).isEmpty();
    }
}
