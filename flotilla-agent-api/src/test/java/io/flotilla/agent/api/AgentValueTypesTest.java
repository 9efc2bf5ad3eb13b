package io.flotilla.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentValueTypesTest {
    @Test
    void instanceSpecRefusesAnEmptyCommand() {
        assertThatThrownBy(() -> new InstanceSpec(
                        "10.0.0.1:3306",
                        "mariadb",
                        List.of(),
                        Map.of(),
                        "/deploy/mariadb-3306",
                        "/deploy/mariadb-3306/log/mariadb.log",
                        new Probe.PortOpen("127.0.0.1", 3306),
                        30,
                        List.of(3306),
                        List.of("/data/mariadb-3306"),
                        "mariadb-server",
                        List.of(),
                        null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("instance 10.0.0.1:3306 has an empty command");
    }

    @Test
    void allOfKeepsItsProbesInOrder() {
        Probe first = new Probe.PortOpen("127.0.0.1", 3306);
        Probe second = new Probe.HttpOk("http://127.0.0.1:8404/stats", "");
        assertThat(Probe.allOf(first, second)).isEqualTo(new Probe.AllOf(List.of(first, second)));
    }

    @Test
    void probeResultsSayWhetherReady() {
        assertThat(ProbeResult.ready("port 3306 open")).isEqualTo(new ProbeResult(true, "port 3306 open"));
        assertThat(ProbeResult.notReady("connection refused").ready()).isFalse();
    }
}
