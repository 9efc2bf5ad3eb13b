package io.flotilla.topology;

import static io.flotilla.topology.TopologyValidationTest.messages;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** An instance's directories are folders of its own: never a system folder, never climbing out with '..'. */
class OwnFoldersTest {
    @Test
    void systemFoldersAndThePackagesDataAreRefused() {
        assertThat(messages("""
                mariadb_servers:
                  - host: 10.0.0.1
                    deploy_dir: /
                    data_dir: /var/lib/mysql
                  - host: 10.0.0.2
                    deploy_dir: /etc/mariadb
                    data_dir: /srv
                """))
                .containsExactly(
                        "t.yaml:2:5: mariadb_servers:10.0.0.1.deploy_dir of mariadb 10.0.0.1:3306: '/' is a folder the"
                                + " whole system shares; give the instance a folder of its own, such as /srv/mariadb-3306",
                        "t.yaml:2:5: mariadb_servers:10.0.0.1.data_dir of mariadb 10.0.0.1:3306: '/var/lib/mysql' holds"
                                + " the data of the system's own packages (/var/lib/mysql); give the instance a folder of"
                                + " its own, such as /srv/mariadb-3306",
                        "t.yaml:5:5: mariadb_servers:10.0.0.2.deploy_dir of mariadb 10.0.0.2:3306: '/etc/mariadb' is"
                                + " inside the system's folder /etc; give the instance a folder of its own, such as"
                                + " /srv/mariadb-3306",
                        "t.yaml:5:5: mariadb_servers:10.0.0.2.data_dir of mariadb 10.0.0.2:3306: '/srv' is a folder the"
                                + " whole system shares; give the instance a folder of its own, such as /srv/mariadb-3306",
                        "t.yaml:5:5: mariadb_servers:10.0.0.2.log_dir of mariadb 10.0.0.2:3306: '/etc/mariadb/log' is"
                                + " inside the system's folder /etc; give the instance a folder of its own, such as"
                                + " /srv/mariadb-3306");
    }

    @Test
    void aGlobalDirInASystemFolderIsRefusedForEveryInstanceBelowIt() {
        assertThat(messages("""
                global:
                  deploy_dir: /usr/local/flotilla
                etcd_servers:
                  - host: 10.0.0.1
                """))
                .allSatisfy(message -> assertThat(message).contains("inside the system's folder /usr"))
                .anySatisfy(message ->
                        assertThat(message).contains("etcd_servers:10.0.0.1.deploy_dir of etcd 10.0.0.1:2379"));
    }

    @Test
    void dotDotThatClimbsOutAndControlCharactersAreRefusedAtTheirValue() {
        assertThat(messages("""
                mariadb_servers:
                  - host: 10.0.0.1
                    data_dir: ../../etc
                    log_dir: "log\\nbind-address = 0.0.0.0"
                  - host: 10.0.0.2
                    data_dir: /srv/data/../../etc
                """))
                .containsExactly(
                        "t.yaml:3:15: mariadb_servers[0].data_dir '../../etc' climbs out of the folder it is relative"
                                + " to with '..'; write the folder it means",
                        "t.yaml:4:14: 'log\\u000abind-address = 0.0.0.0' holds a control character (U+000A); write the"
                                + " value without it (a YAML block scalar keeps its last line break unless written '|-')",
                        "t.yaml:5:5: mariadb_servers:10.0.0.2.data_dir of mariadb 10.0.0.2:3306: '/etc' is the"
                                + " system's folder /etc; give the instance a folder of its own, such as /srv/mariadb-3306");
    }

    @Test
    void aSettingNameAnOptionFileWouldReadOtherwiseIsRefusedAtTheName() {
        assertThat(messages("""
                server_configs:
                  mariadb:
                    "max connections": 10
                    "log#bin": 1
                    max_connections: 100
                mariadb_servers:
                  - host: 10.0.0.1
                    config:
                      "a=b": 1
                      innodb: { "buffer pool": 1 }
                """))
                .containsExactly(
                        "t.yaml:3:5: setting 'max connections' of server_configs.mariadb is not a setting name: a name"
                                + " holds only letters, digits, '_', '-' and '.'",
                        "t.yaml:4:5: setting 'log#bin' of server_configs.mariadb is not a setting name: a name holds"
                                + " only letters, digits, '_', '-' and '.'",
                        "t.yaml:9:7: setting 'a=b' of mariadb_servers[0].config is not a setting name: a name holds"
                                + " only letters, digits, '_', '-' and '.'",
                        "t.yaml:10:17: setting 'buffer pool' of mariadb_servers[0].config.innodb is not a setting"
                                + " name: a name holds only letters, digits, '_', '-' and '.'");
    }

    @Test
    void aDataDirThatHoldsTheInstancesDeployDirIsRefused() {
        assertThat(messages("""
                mariadb_servers:
                  - host: 10.0.0.1
                    data_dir: .
                """))
                .containsExactly(
                        "t.yaml:2:5: data_dir '/home/tidb/deploy/mariadb-3306' of mariadb 10.0.0.1:3306 at line 2"
                                + " holds its deploy_dir '/home/tidb/deploy/mariadb-3306', which a bootstrap or a clone would"
                                + " empty; give the data a folder of its own");
    }

    @Test
    void aControlCharacterInAnyKeyOrValueIsRefusedWhereItStands() {
        assertThat(messages("""
                server_configs:
                  mariadb:
                    init_connect: "SET x = 1\\r\\n[mysqld]\\nskip_grant_tables = ON"
                mariadb_servers:
                  - host: 10.0.0.1
                """))
                .containsExactly("t.yaml:3:19: 'SET x = 1\\u000d\\u000a[mysqld]\\u000askip_grant_tables = ON' holds a"
                        + " control character (U+000D); write the value without it (a YAML block scalar keeps its"
                        + " last line break unless written '|-')");
        assertThat(messages("x: &a [*a]\n"))
                .as("a self-referencing alias is walked once")
                .anySatisfy(message -> assertThat(message).contains("unknown key 'x'"));
    }

    @Test
    void aHostIsAnAddressOrAHostName() {
        assertThat(messages("""
                etcd_servers:
                  - host: "10.0.0.1; rm -rf /"
                  - host: 10.0.0.256
                  - host: -oProxyCommand=x
                  - host: db_1.example
                """))
                .containsExactly(
                        "t.yaml:2:11: etcd_servers[0].host '10.0.0.1; rm -rf /' is neither an IP address nor a host"
                                + " name (letters, digits and '-' in dot-separated labels of at most 63); write the host's"
                                + " address",
                        "t.yaml:3:11: etcd_servers[1].host '10.0.0.256' is neither an IP address nor a host name"
                                + " (letters, digits and '-' in dot-separated labels of at most 63); write the host's"
                                + " address",
                        "t.yaml:4:11: etcd_servers[2].host '-oProxyCommand=x' is neither an IP address nor a host name"
                                + " (letters, digits and '-' in dot-separated labels of at most 63); write the host's"
                                + " address",
                        "t.yaml:5:11: etcd_servers[3].host 'db_1.example' is neither an IP address nor a host name"
                                + " (letters, digits and '-' in dot-separated labels of at most 63); write the host's"
                                + " address");
        TopologyParser.parse("""
                etcd_servers:
                  - { host: 10.0.0.1, client_port: 2379 }
                  - { host: db-1.example.com, client_port: 2380, peer_port: 2381 }
                  - { host: "fd00::1", client_port: 2382, peer_port: 2383 }
                  - { host: localhost, client_port: 2384, peer_port: 2385 }
                  - { host: "::ffff:10.0.0.9", client_port: 2386, peer_port: 2387 }
                  - { host: "2001:db8:0:0:0:0:0:1", client_port: 2388, peer_port: 2389 }
                """, "t.yaml");
    }

    @Test
    void anIpv6AddressIsCheckedGroupByGroupAndCommonSlipsGetTheirFix() {
        assertThat(messages("""
                global:
                  listen_host: "0.0.0.0; x"
                etcd_servers:
                  - host: "[fd00::1]"
                  - host: "fd00::1::2"
                  - host: "fd00::12345"
                  - host: "fe80::1%eth0"
                  - host: db1.example.
                  - host: 10.0.0.1:22
                  - host: 10.0.0.2
                    manage_host: "a b"
                """))
                .containsExactly(
                        "t.yaml:2:16: global.listen_host '0.0.0.0; x' is neither an IP address nor a host name"
                                + " (letters, digits and '-' in dot-separated labels of at most 63); write the host's"
                                + " address",
                        "t.yaml:4:11: etcd_servers[0].host '[fd00::1]' is an IPv6 address in brackets; write it"
                                + " without them ('fd00::1')",
                        "t.yaml:5:11: etcd_servers[1].host 'fd00::1::2' is not an IPv6 address (eight groups of 1 to 4"
                                + " hex digits, '::' once at most); write the host's address without a port",
                        "t.yaml:6:11: etcd_servers[2].host 'fd00::12345' is not an IPv6 address (eight groups of 1 to 4"
                                + " hex digits, '::' once at most); write the host's address without a port",
                        "t.yaml:7:11: etcd_servers[3].host 'fe80::1%eth0' names an interface after '%'; write an"
                                + " address that needs no interface, such as a unique local or global one",
                        "t.yaml:8:11: etcd_servers[4].host 'db1.example.' ends with '.'; write it without the dot"
                                + " ('db1.example')",
                        "t.yaml:9:11: etcd_servers[5].host '10.0.0.1:22' is not an IPv6 address (eight groups of 1 to 4"
                                + " hex digits, '::' once at most); write the host's address without a port",
                        "t.yaml:11:18: etcd_servers[6].manage_host 'a b' is neither an IP address nor a host name"
                                + " (letters, digits and '-' in dot-separated labels of at most 63); write the host's"
                                + " address");
    }

    @Test
    void aServerIdIsCheckedAtValidate() {
        assertThat(messages("""
                mariadb_servers:
                  - { host: 10.0.0.1, server_id: abc }
                  - { host: 10.0.0.2, server_id: 0 }
                """))
                .containsExactly(
                        "t.yaml:2:34: expected a number for server_id, got 'abc'",
                        "t.yaml:3:34: server_id 0 is outside 1..4294967295, the ids MariaDB takes");
    }

    @Test
    void foldersOfTheirOwnBelowSharedRootsAreFine() {
        TopologyParser.parse("""
                global:
                  deploy_dir: /srv/flotilla
                  data_dir: /var/lib/flotilla
                mariadb_servers:
                  - host: 10.0.0.1
                    log_dir: /var/log/flotilla/mariadb-3306
                  - host: 10.0.0.2
                    data_dir: /tmp/test/mariadb
                """, "t.yaml");
    }
}
