package io.flotilla.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.step.OperationException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentUnitTest {
    private static final Path DIR = Path.of("/srv/deploy/flotilla-agent-prod");

    @Test
    void theUnitRunsTheAgentsCommandAndKillsOnlyTheAgentWhenItStops() {
        AgentUnit unit = new AgentUnit("prod");
        assertThat(unit.name()).isEqualTo("flotilla-agent-prod.service");
        assertThat(unit.text(
                        List.of(DIR + "/jre/bin/java", "-cp", DIR + "/lib/*", "io.flotilla.agent.AgentMain"),
                        DIR,
                        DIR.resolve("agent.log")))
                .isEqualTo("""
                        # Written by Flotilla for cluster prod; `flotilla cluster destroy prod` removes it.
                        [Unit]
                        Description=Flotilla agent of cluster prod

                        [Service]
                        Type=exec
                        ExecStart="/srv/deploy/flotilla-agent-prod/jre/bin/java" "-cp" "/srv/deploy/flotilla-agent-prod/lib/*" "io.flotilla.agent.AgentMain"
                        WorkingDirectory=/srv/deploy/flotilla-agent-prod
                        StandardOutput=append:/srv/deploy/flotilla-agent-prod/agent.log
                        StandardError=inherit
                        Restart=on-failure
                        RestartSec=2s
                        # The agent's instances are its children and outlive it: the next agent adopts them.
                        KillMode=process
                        # The JVM exits with 128+15 on SIGTERM, which is how systemd stops it; killed after 10 s, as a detached agent is.
                        SuccessExitStatus=143
                        TimeoutStopSec=10s
                        Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

                        [Install]
                        WantedBy=default.target
                        """);
    }

    @Test
    void wordsOfTheCommandKeepSpacesQuotesPercentAndDollarAsTheyAre() {
        assertThat(AgentUnit.quote("/srv/my dir")).isEqualTo("\"/srv/my dir\"");
        assertThat(AgentUnit.quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
        assertThat(AgentUnit.quote("50%$HOME")).isEqualTo("\"50%%$$HOME\"");
    }

    @Test
    void aControlCharacterCannotInjectALineIntoTheUnit() {
        AgentUnit unit = new AgentUnit("prod");
        assertThatThrownBy(() -> unit.text(
                        List.of("java", "--dir", "/srv/x\nExecStartPre=/bin/evil"), DIR, DIR.resolve("agent.log")))
                .isInstanceOf(OperationException.class)
                .hasMessage(
                        "'/srv/x?ExecStartPre=/bin/evil' holds a control character, which cannot go into the systemd unit flotilla-agent-prod.service; choose a deploy_dir without one");
    }

    @Test
    void aClusterNameThatCannotNameAUnitIsRefused() {
        assertThatThrownBy(() -> new AgentUnit("a/b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cluster name 'a/b' cannot name a systemd unit: use letters, digits, '-', '_' and '.'");
    }
}
