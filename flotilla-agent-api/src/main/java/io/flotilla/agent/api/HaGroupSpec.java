package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One replication group's failover settings, as deploy gives them to every agent with a member of
 * the group (and as the agent keeps them on disk): where etcd is, the lease's ttl, the durability
 * rule, and the group's MariaDB instances with their priority. The agent runs a member for each of
 * the group's instances it supervises.
 *
 * @param cluster the cluster's name; the group's keys are under {@code /flotilla/CLUSTER/groups/GROUP/}
 * @param etcd etcd's client URLs
 * @param durability {@code semi_sync} (no promotion that can lose an acknowledged write) or {@code async}
 * @param firstPrimary the member the topology names primary: it takes the lead of a group that never had one
 * @param replicationPasswordFile on the agent's host, readable by the agent only
 * @param fenceHoldSeconds how long a fenced primary's read lock is held
 * @param cooldownSeconds a failover within this long of the last one is held back
 */
public record HaGroupSpec(
        String cluster,
        String group,
        List<String> etcd,
        int ttlSeconds,
        String durability,
        String firstPrimary,
        List<Member> members,
        String replicationUser,
        String replicationPasswordFile,
        int fenceHoldSeconds,
        int cooldownSeconds) {
    public static final String SEMI_SYNC = "semi_sync";
    public static final String ASYNC = "async";
    private static final Pattern GROUP = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    /** What a cluster may be named, as the control machine allows it. */
    private static final Pattern CLUSTER = Pattern.compile("[A-Za-z0-9_.-]{1,128}");

    /** A MariaDB of the group, where its peers replicate from it, and its say in an election. */
    public record Member(String id, String host, int port, int priority, boolean promotable) {
        public Member {
            requireNonNull(id, "id is null");
            if (!id.matches("[A-Za-z0-9.:\\[\\]_-]{1,300}")) {
                throw new IllegalArgumentException("member id '%s' is not host:port".formatted(id));
            }
            requireNonNull(host, "host is null");
            SqlNames.requireHost(host, "host");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port %d is outside 1..65535".formatted(port));
            }
            if (priority < 0 || priority > 1000) {
                throw new IllegalArgumentException("priority %d is outside 0..1000".formatted(priority));
            }
        }
    }

    public HaGroupSpec {
        requireName(cluster, "cluster", CLUSTER, "letters, digits, '.', '-' and '_' (128 at most)");
        requireGroup(group);
        etcd = List.copyOf(requireNonNull(etcd, "etcd is null"));
        if (etcd.isEmpty()) {
            throw new IllegalArgumentException("etcd names no endpoint");
        }
        for (String endpoint : etcd) {
            URI uri;
            try {
                uri = URI.create(endpoint);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("etcd endpoint '%s' is not a URL".formatted(endpoint));
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
                    || uri.getHost() == null
                    || uri.getPort() < 1
                    || (uri.getPath() != null && !uri.getPath().isEmpty())
                    || uri.getQuery() != null
                    || uri.getUserInfo() != null) {
                throw new IllegalArgumentException("etcd endpoint '%s' is not http(s)://host:port".formatted(endpoint));
            }
        }
        if (ttlSeconds < 2 || ttlSeconds > 300) {
            throw new IllegalArgumentException("ttlSeconds %d is outside 2..300".formatted(ttlSeconds));
        }
        requireNonNull(durability, "durability is null");
        if (!durability.equals(SEMI_SYNC) && !durability.equals(ASYNC)) {
            throw new IllegalArgumentException(
                    "durability '%s' is neither %s nor %s".formatted(durability, SEMI_SYNC, ASYNC));
        }
        members = List.copyOf(requireNonNull(members, "members is null"));
        if (members.isEmpty()) {
            throw new IllegalArgumentException("the group has no member");
        }
        Set<String> ids = new HashSet<>();
        for (Member member : members) {
            if (!ids.add(member.id())) {
                throw new IllegalArgumentException("member %s is listed twice".formatted(member.id()));
            }
        }
        requireNonNull(firstPrimary, "firstPrimary is null");
        if (!ids.contains(firstPrimary)) {
            throw new IllegalArgumentException("firstPrimary %s is not a member".formatted(firstPrimary));
        }
        requireNonNull(replicationUser, "replicationUser is null");
        SqlNames.requireUser(replicationUser, "replicationUser");
        requireNonNull(replicationPasswordFile, "replicationPasswordFile is null");
        SqlNames.requireAbsolutePath(replicationPasswordFile, "replicationPasswordFile");
        if (fenceHoldSeconds < 1 || fenceHoldSeconds > FenceRequest.MAX_HOLD_SECONDS) {
            throw new IllegalArgumentException(
                    "fenceHoldSeconds %d is outside 1..%d".formatted(fenceHoldSeconds, FenceRequest.MAX_HOLD_SECONDS));
        }
    }

    /** Refuses what is not a group name, before it goes into a path or a key. */
    public static void requireGroup(String group) {
        requireName(group, "group", GROUP, "lower-case letters, digits, '-' and '_' (64 at most)");
    }

    /** The group's prefix in etcd, ending in {@code /}. */
    public String key() {
        return "/flotilla/%s/groups/%s/".formatted(cluster, group);
    }

    private static void requireName(String name, String field, Pattern pattern, String rule) {
        requireNonNull(name, field + " is null");
        if (!pattern.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("%s '%s' is not a name of %s".formatted(field, name, rule));
        }
    }
}
