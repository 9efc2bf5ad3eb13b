package io.flotilla.catalog;

import java.util.Map;
import java.util.Set;

/**
 * What {@code SET CONFIG} may change on a running MariaDB: the server's tuning (memory, limits,
 * timeouts, logging of slow queries, InnoDB and replication performance), and never what guards
 * access, where the server listens or keeps its files, or what Flotilla's replication and fencing
 * rely on.
 */
final class MariaDbSettings {
    private static final String AUTHENTICATION = "it decides who may log in; change accounts with SQL on the primary";
    private static final String LISTENING =
            "Flotilla keeps where the instance listens as the topology says (host, port), for the gateway, the agent and"
                    + " the replicas";
    private static final String CODE = "it makes the server run code or SQL at start, which SET CONFIG never installs";
    private static final String FILES =
            "it opens the server's files to clients, or moves the instance's own files, which are the topology's dirs";
    private static final String REPLICATION =
            "Flotilla's replication, switchover and fencing rely on it; `flotilla cluster switchover` changes roles";
    private static final String DURABILITY =
            "an acknowledged write must survive a crash of the primary and reach the replicas, which this setting"
                    + " can undo";
    private static final String BINLOGS = "replicas and clones need the binary logs it would purge";
    private static final String TRANSPORT = "it weakens or moves the server's TLS, which deploy configures";

    static final Settings SETTINGS = new Settings(
            "mariadb",
            Set.of(
                    // connections and limits
                    "max_connections",
                    "max_user_connections",
                    "max_connect_errors",
                    "max_allowed_packet",
                    "max_prepared_stmt_count",
                    "back_log",
                    "thread_cache_size",
                    "thread_pool_size",
                    "table_open_cache",
                    "table_definition_cache",
                    "open_files_limit",
                    // timeouts
                    "wait_timeout",
                    "interactive_timeout",
                    "connect_timeout",
                    "net_read_timeout",
                    "net_write_timeout",
                    "lock_wait_timeout",
                    // memory per session and per server
                    "sort_buffer_size",
                    "join_buffer_size",
                    "read_buffer_size",
                    "read_rnd_buffer_size",
                    "tmp_table_size",
                    "max_heap_table_size",
                    "key_buffer_size",
                    "query_cache_size",
                    "query_cache_type",
                    "aria_pagecache_buffer_size",
                    // slow queries and warnings
                    "long_query_time",
                    "slow_query_log",
                    "log_slow_verbosity",
                    "log_queries_not_using_indexes",
                    "min_examined_row_limit",
                    "log_warnings",
                    // SQL behaviour
                    "sql_mode",
                    "character_set_server",
                    "collation_server",
                    "default_storage_engine",
                    "tx_isolation",
                    "time_zone",
                    "div_precision_increment",
                    "group_concat_max_len",
                    "optimizer_switch",
                    "optimizer_search_depth",
                    // InnoDB
                    "innodb_buffer_pool_size",
                    "innodb_log_file_size",
                    "innodb_log_buffer_size",
                    "innodb_flush_method",
                    "innodb_io_capacity",
                    "innodb_io_capacity_max",
                    "innodb_lock_wait_timeout",
                    "innodb_print_all_deadlocks",
                    "innodb_read_io_threads",
                    "innodb_write_io_threads",
                    "innodb_purge_threads",
                    "innodb_adaptive_hash_index",
                    "innodb_stats_persistent",
                    "innodb_stats_on_metadata",
                    "innodb_autoinc_lock_mode",
                    "innodb_open_files",
                    "innodb_file_per_table",
                    // binary log and replication performance
                    "binlog_cache_size",
                    "binlog_stmt_cache_size",
                    "max_binlog_size",
                    "slave_parallel_threads",
                    "slave_parallel_mode",
                    "slave_parallel_max_queued",
                    "slave_net_timeout",
                    "slave_compressed_protocol",
                    "performance_schema"),
            Map.ofEntries(
                    Map.entry("skip_grant_tables", "it turns authentication off for every client"),
                    Map.entry("old_passwords", AUTHENTICATION),
                    Map.entry("default_authentication_plugin", AUTHENTICATION),
                    Map.entry("disconnect_on_expired_password", AUTHENTICATION),
                    Map.entry("skip_networking", LISTENING),
                    Map.entry("bind_address", LISTENING),
                    Map.entry("port", LISTENING),
                    Map.entry("socket", LISTENING),
                    Map.entry("extra_port", LISTENING),
                    Map.entry("init_file", CODE),
                    Map.entry("init_connect", CODE),
                    Map.entry("init_slave", CODE),
                    Map.entry("plugin_load*", CODE),
                    Map.entry("plugin_dir", CODE),
                    Map.entry("plugin_maturity", CODE),
                    Map.entry("secure_file_priv", FILES),
                    Map.entry("local_infile", FILES),
                    Map.entry("datadir", FILES),
                    Map.entry("basedir", FILES),
                    Map.entry("tmpdir", FILES),
                    Map.entry("pid_file", FILES),
                    Map.entry("log_error", FILES),
                    Map.entry("general_log*", FILES),
                    Map.entry("slow_query_log_file", FILES),
                    Map.entry("innodb_data_home_dir", FILES),
                    Map.entry("innodb_log_group_home_dir", FILES),
                    Map.entry("user", FILES),
                    Map.entry("server_id", REPLICATION),
                    Map.entry("log_bin*", REPLICATION),
                    Map.entry("relay_log*", REPLICATION),
                    Map.entry("log_slave_updates", REPLICATION),
                    Map.entry("binlog_format", REPLICATION),
                    Map.entry("gtid_*", REPLICATION),
                    Map.entry("read_only", REPLICATION),
                    Map.entry("rpl_semi_sync_*", REPLICATION),
                    Map.entry("skip_slave_start", REPLICATION),
                    Map.entry("sync_binlog", DURABILITY),
                    Map.entry("innodb_flush_log_at_trx_commit", DURABILITY),
                    Map.entry("expire_logs_days", BINLOGS),
                    Map.entry("binlog_expire_logs_seconds", BINLOGS),
                    Map.entry("event_scheduler", "it runs the stored events of every database on a schedule"),
                    Map.entry("max_statement_time", "it would also cut short the statements of Flotilla's own agent"),
                    Map.entry("require_secure_transport", TRANSPORT),
                    Map.entry("ssl*", TRANSPORT),
                    Map.entry("tls_version", TRANSPORT)));

    private MariaDbSettings() {}
}
