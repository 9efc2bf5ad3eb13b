package io.flotilla.catalog;

import io.flotilla.agent.api.Probe;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import io.flotilla.topology.Topology;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * etcd, a member of a static cluster whose {@code --initial-cluster} lists every etcd instance
 * of the topology. Members of one cluster start together: none is healthy before a quorum is. A
 * member added by scale-out ({@code initial_cluster_state: existing}) joins the running members
 * once they know it ({@code etcdctl member add}); the flags matter only on its first start.
 */
public final class EtcdKind extends PackagedKind {
    private static final Membership MEMBERSHIP = new EtcdMembership();

    public EtcdKind() {
        super(Schemas.ETCD, "/usr/bin/etcd", "etcd-server", Duration.ofSeconds(30));
    }

    @Override
    public Set<String> dependencies(String tier) {
        return Set.of();
    }

    /** The member name: the {@code name} field, else {@code etcd-<host>-<client port>}. */
    public static String memberName(Instance instance) {
        return instance.field("name").orElse("etcd-%s-%d".formatted(instance.host(), instance.mainPort()));
    }

    @Override
    public List<String> commandLine(InstanceContext context) {
        Instance instance = context.instance();
        String initialCluster = context.topology().instances("etcd").stream()
                .map(member -> "%s=http://%s".formatted(memberName(member), member.address("peer_port")))
                .collect(Collectors.joining(","));
        return List.of(
                binary(),
                "--name=" + memberName(instance),
                "--data-dir=" + context.dataDir(),
                "--listen-client-urls=http://" + context.listen("client_port"),
                "--advertise-client-urls=http://" + context.address("client_port"),
                "--listen-peer-urls=http://" + context.listen("peer_port"),
                "--initial-advertise-peer-urls=http://" + context.address("peer_port"),
                "--initial-cluster=" + initialCluster,
                "--initial-cluster-state="
                        + instance.field("initial_cluster_state").orElse("new"),
                "--initial-cluster-token=flotilla-" + context.clusterName());
    }

    @Override
    public Map<String, String> configFiles(InstanceContext context) {
        return Map.of();
    }

    @Override
    public Probe readiness(InstanceContext context) {
        return new Probe.HttpOk(context.localUrl("client_port", "/health"), "\"health\":\"true\"");
    }

    @Override
    public Optional<Membership> membership() {
        return Optional.of(MEMBERSHIP);
    }

    @Override
    public Optional<String> scaleInRefusal(String cluster, Topology topology, Instance instance) {
        if (topology.instances(name()).size() > 1) {
            return Optional.empty();
        }
        return Optional.of(
                "%s is the last etcd member of cluster '%s'; etcd would lose its data with it. Add another member first, or destroy the cluster"
                        .formatted(instance.id(), cluster));
    }

    @Override
    public Map<String, String> endpoints(Topology topology) {
        List<Instance> members = topology.instances(name());
        return members.isEmpty()
                ? Map.of()
                : Map.of(Endpoints.ETCD, members.stream().map(Instance::id).collect(Collectors.joining(",")));
    }
}
