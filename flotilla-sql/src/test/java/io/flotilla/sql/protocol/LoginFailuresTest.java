package io.flotilla.sql.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoginFailuresTest {
    private static final ServerSettings.LoginDelay MYSQL = ServerSettings.LoginDelay.DEFAULT;

    @Test
    void theDelayStartsAfterThreeFailuresAtOneSecondAndGrowsBySecondsUpTo30() {
        assertThat(MYSQL.after(0)).isZero();
        assertThat(MYSQL.after(2)).isZero();
        assertThat(MYSQL.after(3)).isEqualTo(Duration.ofSeconds(1));
        assertThat(MYSQL.after(4)).isEqualTo(Duration.ofSeconds(2));
        assertThat(MYSQL.after(32)).isEqualTo(Duration.ofSeconds(30));
        assertThat(MYSQL.after(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(30));
        assertThat(new ServerSettings.LoginDelay(0, Duration.ofSeconds(1), Duration.ofSeconds(1)).after(1000))
                .isZero();
    }

    @Test
    void aSuccessResetsTheAddressAndOtherAddressesAreCountedApart() throws Exception {
        LoginFailures failures = new LoginFailures(MYSQL, LoginFailures.CAPACITY);
        InetAddress one = InetAddress.getByName("10.0.0.1");
        InetAddress other = InetAddress.getByName("10.0.0.2");
        for (int i = 0; i < 4; i++) {
            failures.failed(one);
        }
        assertThat(failures.delayFor(one)).isEqualTo(Duration.ofSeconds(2));
        assertThat(failures.delayFor(other)).isZero();
        failures.succeeded(one);
        assertThat(failures.delayFor(one)).isZero();
    }

    @Test
    void manySourceAddressesDoNotGrowTheTablePastItsCapacityAndTheLeastRecentlySeenGoesFirst() throws Exception {
        LoginFailures failures = new LoginFailures(MYSQL, 100);
        InetAddress attacked = InetAddress.getByName("192.168.0.1");
        for (int i = 0; i < 3; i++) {
            failures.failed(attacked);
        }
        for (int i = 0; i < 99; i++) {
            for (int attempt = 0; attempt < 3; attempt++) {
                failures.failed(InetAddress.getByName("10.0.0." + i));
            }
        }
        failures.failed(attacked);
        failures.failed(InetAddress.getByName("10.9.9.9"));
        assertThat(failures.delayFor(attacked)).isEqualTo(Duration.ofSeconds(2));
        assertThat(failures.delayFor(InetAddress.getByName("10.0.0.0"))).isZero();
        assertThat(failures.delayFor(InetAddress.getByName("10.0.0.1"))).isEqualTo(Duration.ofSeconds(1));
        for (int i = 0; i < 100_000; i++) {
            failures.failed(InetAddress.getByAddress(new byte[] {10, 1, (byte) (i >> 8), (byte) i}));
        }
        assertThat(failures.size()).isEqualTo(100);
    }

    @Test
    void requireSecureTransportIsOnByDefaultUnlessTheServerListensOnLoopback() {
        assertThat(MysqlServer.requiresSecureTransport(new InetSocketAddress("127.0.0.1", 4406)))
                .isFalse();
        assertThat(MysqlServer.requiresSecureTransport(new InetSocketAddress("::1", 4406)))
                .isFalse();
        assertThat(MysqlServer.requiresSecureTransport(new InetSocketAddress("0.0.0.0", 4406)))
                .isTrue();
        assertThat(MysqlServer.requiresSecureTransport(new InetSocketAddress("10.1.2.3", 4406)))
                .isTrue();
    }
}
