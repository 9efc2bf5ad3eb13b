package io.flotilla.sql.session;

import io.flotilla.sql.protocol.MysqlServer;
import io.flotilla.sql.protocol.ServerSettings;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@code @@} variables MySQL clients and drivers read on connect, with the values of a MySQL
 * 8.0 server that speaks utf8mb4. {@code SET} changes the session's copy; nothing else reads them.
 */
final class SystemVariables {
    private static final Map<String, String> DEFAULTS = defaults();

    private final Map<String, String> values = new TreeMap<>(DEFAULTS);

    /** @param server the values the server enforces, in place of the defaults */
    SystemVariables(Map<String, String> server) {
        server.forEach((name, value) -> values.put(name.toLowerCase(Locale.ROOT), value));
    }

    private static Map<String, String> defaults() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("auto_increment_increment", "1");
        values.put("auto_increment_offset", "1");
        values.put("autocommit", "1");
        values.put("character_set_client", "utf8mb4");
        values.put("character_set_connection", "utf8mb4");
        values.put("character_set_database", "utf8mb4");
        values.put("character_set_results", "utf8mb4");
        values.put("character_set_server", "utf8mb4");
        values.put("character_set_system", "utf8mb3");
        values.put("collation_connection", "utf8mb4_general_ci");
        values.put("collation_database", "utf8mb4_general_ci");
        values.put("collation_server", "utf8mb4_general_ci");
        values.put("connect_timeout", String.valueOf(ServerSettings.DEFAULT_CONNECT_TIMEOUT.toSeconds()));
        values.put("error_count", "0");
        values.put("have_ssl", "DISABLED");
        values.put("init_connect", "");
        values.put("interactive_timeout", String.valueOf(ServerSettings.DEFAULT_WAIT_TIMEOUT.toSeconds()));
        values.put("license", "Apache-2.0");
        values.put("lower_case_table_names", "0");
        values.put("max_allowed_packet", String.valueOf(MysqlServer.MAX_ALLOWED_PACKET));
        values.put("max_connections", String.valueOf(ServerSettings.DEFAULT_MAX_CONNECTIONS));
        values.put("max_execution_time", "0");
        values.put("net_buffer_length", "16384");
        values.put("net_read_timeout", "30");
        values.put("net_write_timeout", "60");
        values.put("performance_schema", "0");
        values.put("query_cache_size", "0");
        values.put("query_cache_type", "OFF");
        values.put("read_only", "0");
        values.put("require_secure_transport", "OFF");
        values.put("session_track_gtids", "OFF");
        values.put("session_track_schema", "ON");
        values.put("session_track_state_change", "OFF");
        values.put("session_track_system_variables", "");
        values.put("session_track_transaction_info", "OFF");
        values.put(
                "sql_mode",
                "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
                        + "NO_ENGINE_SUBSTITUTION");
        values.put("sql_select_limit", "18446744073709551615");
        values.put("system_time_zone", "UTC");
        values.put("time_zone", "SYSTEM");
        values.put("transaction_isolation", "REPEATABLE-READ");
        values.put("transaction_read_only", "0");
        values.put("tx_isolation", "REPEATABLE-READ");
        values.put("tx_read_only", "0");
        values.put("version", MysqlServer.SERVER_VERSION);
        values.put("version_comment", "Flotilla cluster SQL");
        values.put("version_compile_machine", "x86_64");
        values.put("version_compile_os", "Linux");
        values.put("wait_timeout", String.valueOf(ServerSettings.DEFAULT_WAIT_TIMEOUT.toSeconds()));
        return Map.copyOf(values);
    }

    Optional<String> get(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        return values.containsKey(key) ? Optional.ofNullable(values.get(key)) : Optional.empty();
    }

    /** Sets a known variable for this session; unknown ones are ignored as harmless driver settings. */
    void set(String name, String value) {
        String key = name.toLowerCase(Locale.ROOT);
        if (values.containsKey(key)) {
            values.put(key, value == null ? "" : value);
        }
    }

    Map<String, String> all() {
        return values;
    }

    static boolean isNumeric(String value) {
        return value != null && value.matches("-?\\d{1,19}");
    }
}
