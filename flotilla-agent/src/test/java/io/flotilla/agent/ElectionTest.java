package io.flotilla.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.agent.Election.Durability;
import io.flotilla.agent.Election.Member;
import io.flotilla.agent.Election.Promote;
import io.flotilla.agent.Election.Wait;
import io.flotilla.agent.api.GtidSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rule every replica's agent applies when the leader key is free. */
class ElectionTest {
    private static final Set<String> REPLICAS = Set.of("b:3306", "c:3306");

    private static Member member(String id, String received) {
        return new Member(id, true, true, 0, GtidSet.parse(received), GtidSet.parse(received));
    }

    @Test
    void theReplicaThatReceivedTheMostIsPromoted() {
        assertThat(Election.elect(
                        REPLICAS,
                        List.of(member("b:3306", "0-1-41"), member("c:3306", "0-1-42")),
                        Durability.SEMI_SYNC))
                .isEqualTo(new Promote("c:3306", "c:3306 received the most (0-1-42)"));
    }

    @Test
    void aTieGoesToTheHigherPriorityThenTheLowerId() {
        List<Member> tied = List.of(member("c:3306", "0-1-42"), member("b:3306", "0-1-42"));
        assertThat(Election.elect(REPLICAS, tied, Durability.SEMI_SYNC))
                .isEqualTo(new Promote(
                        "b:3306",
                        "b:3306 received the most (0-1-42); tied with c:3306, it comes first by priority, then id"));
        List<Member> preferred = List.of(
                new Member("c:3306", true, true, 5, GtidSet.parse("0-1-42"), GtidSet.parse("0-1-40")),
                member("b:3306", "0-1-42"));
        assertThat(Election.elect(REPLICAS, preferred, Durability.SEMI_SYNC))
                .extracting(Election.Decision::why)
                .asString()
                .startsWith("c:3306 received the most");
    }

    @Test
    void withSemiSyncASilentReplicaHoldsThePromotionBack() {
        assertThat(Election.elect(REPLICAS, List.of(member("b:3306", "0-1-42")), Durability.SEMI_SYNC))
                .isEqualTo(new Wait("c:3306 of the group does not report; with semi-sync it may hold the last"
                        + " acknowledged write, so no replica is promoted until it reports (or `flotilla cluster"
                        + " failover --accept-data-loss`)"));
        assertThat(Election.elect(REPLICAS, List.of(member("b:3306", "0-1-42")), Durability.ASYNC))
                .isEqualTo(new Promote("b:3306", "b:3306 received the most (0-1-42)"));
    }

    @Test
    void noOneIsPromotedPastAReplicaThatHasMore() {
        Member unhealthy = new Member("c:3306", false, true, 0, GtidSet.parse("0-1-50"), GtidSet.parse("0-1-50"));
        assertThat(Election.elect(REPLICAS, List.of(member("b:3306", "0-1-42"), unhealthy), Durability.SEMI_SYNC))
                .isEqualTo(new Wait("no replica may take the lead: b:3306 lacks what c:3306 (0-1-50) received;"
                        + " c:3306 is not healthy"));
        Member kept = new Member("c:3306", true, false, 0, GtidSet.parse("0-1-50"), GtidSet.parse("0-1-50"));
        assertThat(Election.elect(REPLICAS, List.of(member("b:3306", "0-1-42"), kept), Durability.ASYNC))
                .extracting(Election.Decision::why)
                .asString()
                .contains("c:3306 may not be promoted (ha.no_promotion)");
    }

    @Test
    void replicasThatDivergedAreNeitherPromoted() {
        // Each has a transaction of domain 0 the other lacks: the same sequence number from two servers.
        assertThat(Election.elect(
                        REPLICAS, List.of(member("b:3306", "0-1-42"), member("c:3306", "0-2-42")), Durability.ASYNC))
                .isEqualTo(new Wait("no replica may take the lead: b:3306 lacks what c:3306 (0-2-42) received;"
                        + " c:3306 lacks what b:3306 (0-1-42) received"));
    }

    @Test
    void membersOutsideTheGroupAndAnEmptyGroupDecideNothing() {
        assertThat(Election.elect(REPLICAS, List.of(member("z:3306", "0-1-99")), Durability.ASYNC))
                .isEqualTo(new Wait("no replica of the group reports"));
    }

    @Test
    void positionsCompareDomainByDomain() {
        GtidSet two = GtidSet.parse("0-1-42,1-3-7");
        assertThat(two.covers(GtidSet.parse("0-1-42"))).isTrue();
        assertThat(two.covers(GtidSet.parse("0-1-43"))).isFalse();
        assertThat(two.covers(GtidSet.parse("2-1-1"))).isFalse();
        assertThat(two.covers(GtidSet.EMPTY)).isTrue();
        assertThat(GtidSet.EMPTY.covers(two)).isFalse();
        assertThat(GtidSet.parse(" 1-3-7 , 0-1-42").toString()).isEqualTo("0-1-42,1-3-7");
        assertThat(two.beyond(GtidSet.parse("0-1-40")).toString()).isEqualTo("[0-1-42, 1-3-7]");
        assertThat(GtidSet.parse("18446744073709551615-1-1").toString()).isEqualTo("18446744073709551615-1-1");
        assertThatThrownBy(() -> GtidSet.parse("0-1"))
                .hasMessage("'0-1' is not a GTID position (DOMAIN-SERVER-SEQUENCE, comma-separated)");
        assertThatThrownBy(() -> GtidSet.parse("0-1-2,0-1-3")).hasMessage("'0-1-2,0-1-3' names domain 0 twice");
    }
}
