package io.flotilla.agent;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.AgentJson;
import io.flotilla.agent.api.EtcdClient;
import io.flotilla.agent.api.FenceRequest;
import io.flotilla.agent.api.HaGroupSpec;
import io.flotilla.agent.api.HaMemberStatus;
import io.flotilla.agent.api.InstanceStatus;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import tools.jackson.databind.json.JsonMapper;

/**
 * The replication groups this agent takes part in: their settings, kept in {@code ha/GROUP.json}
 * of the agent's directory (mode 0600), and a running {@link GroupMember} for each of a group's
 * instances the agent supervises. Settings put again unchanged change nothing; changed, the
 * group's members start over on the new ones and keep the lead they held (its key stays on its
 * lease). A group removed hands its lead over: its primary is fenced, and the key goes at once. Stopping the agent leaves every key on its lease,
 * so that the agent started again within the ttl keeps the lead without a failover.
 */
final class GroupMembers implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GroupMembers.class.getName());

    private record Running(HaGroupSpec spec, EtcdClient etcd, Map<String, GroupMember> members) {
        void stop(boolean handOver) {
            members.values().forEach(member -> {
                if (handOver) {
                    member.close();
                } else {
                    member.abandon();
                }
            });
            etcd.close();
        }
    }

    private final Path dir;
    private final Supervisor supervisor;
    private final ReplicationAdmin replication;
    private final ProbeRunner probes;
    private final JsonMapper json = AgentJson.strict();
    /** By group; replaced whole under {@code this}, read by the gateway's checks without it. */
    private volatile Map<String, Running> groups = Map.of();

    GroupMembers(Path dir, Supervisor supervisor, ReplicationAdmin replication, ProbeRunner probes) {
        this.dir = requireNonNull(dir, "dir is null");
        this.supervisor = requireNonNull(supervisor, "supervisor is null");
        this.replication = requireNonNull(replication, "replication is null");
        this.probes = requireNonNull(probes, "probes is null");
    }

    /** Starts the members of every group kept on disk; a damaged file is set aside, saying so, and the others start. */
    synchronized void load() {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(file -> file.getFileName().toString().endsWith(".json"))
                    .sorted()
                    .toList();
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            LOG.log(Level.ERROR, "cannot list the HA settings in %s: %s; no replication group runs".formatted(dir, e));
            return;
        }
        for (Path file : files) {
            HaGroupSpec spec;
            try {
                spec = json.readValue(Files.readAllBytes(file), HaGroupSpec.class);
                if (spec == null) {
                    throw new IllegalArgumentException("it holds no settings");
                }
                if (!file.getFileName().toString().equals(spec.group() + ".json")) {
                    throw new IllegalArgumentException("it holds group %s".formatted(spec.group()));
                }
            } catch (IOException | RuntimeException e) {
                setAside(file, e);
                continue;
            }
            try {
                start(spec);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "replication group %s does not run: %s".formatted(spec.group(), e.getMessage()));
            }
        }
    }

    /** Keeps {@code spec} and runs the group's members on it; refused when this agent supervises none of them. */
    synchronized List<HaMemberStatus> put(HaGroupSpec spec) {
        requireNonNull(spec, "spec is null");
        Running running = groups.get(spec.group());
        if (running != null && running.spec().equals(spec)) {
            return statuses(spec.group());
        }
        if (local(spec).isEmpty()) {
            throw new AgentException(
                    Code.BAD_REQUEST,
                    "this agent supervises none of group %s's members (%s); put their instances first"
                            .formatted(
                                    spec.group(),
                                    spec.members().stream()
                                            .map(HaGroupSpec.Member::id)
                                            .collect(Collectors.joining(", "))));
        }
        AtomicFiles.write(file(spec.group()), json.writeValueAsBytes(spec));
        if (running != null) {
            without(spec.group()).stop(false);
        }
        start(spec);
        return statuses(spec.group());
    }

    /** Stops the group's members, handing a held lead over (the primary fenced first), and forgets its settings. */
    synchronized void remove(String group) {
        Running running = groups.get(group);
        if (running == null) {
            throw new AgentException(
                    Code.NOT_FOUND, "this agent takes part in no replication group %s".formatted(group));
        }
        without(group).stop(true);
        AtomicFiles.delete(file(group));
    }

    /** Whether {@code instance} leads its group and takes writes. */
    boolean writable(String instance) {
        for (Running running : groups.values()) {
            GroupMember member = running.members().get(instance);
            if (member != null && member.writable()) {
                return true;
            }
        }
        return false;
    }

    List<HaMemberStatus> statuses() {
        return groups.keySet().stream()
                .sorted()
                .flatMap(group -> statuses(group).stream())
                .toList();
    }

    private List<HaMemberStatus> statuses(String group) {
        Running running = groups.get(group);
        if (running == null) {
            return List.of();
        }
        List<HaMemberStatus> statuses = new ArrayList<>();
        running.members().forEach((instance, member) -> {
            GroupMember.Status status = member.status();
            statuses.add(new HaMemberStatus(
                    group, instance, status.phase().name(), status.leader(), status.why(), member.writable()));
        });
        return statuses;
    }

    private void start(HaGroupSpec spec) {
        List<HaGroupSpec.Member> local = local(spec);
        Duration ttl = Duration.ofSeconds(spec.ttlSeconds());
        // An answer later than a fifth of the ttl is as good as none: the lease's deadline is what counts.
        Duration timeout = Duration.ofMillis(Math.min(2000, Math.max(200, ttl.toMillis() / 5)));
        EtcdClient etcd = new EtcdClient(spec.etcd().stream().map(URI::create).toList(), timeout);
        List<GroupMember.Peer> peers = spec.members().stream()
                .map(member -> new GroupMember.Peer(member.id(), member.host(), member.port()))
                .toList();
        Map<String, GroupMember> members = new TreeMap<>();
        try {
            for (HaGroupSpec.Member member : local) {
                GroupMember.Settings settings = new GroupMember.Settings(
                        spec.key(),
                        member.id(),
                        peers,
                        spec.firstPrimary(),
                        ttl,
                        spec.durability().equals(HaGroupSpec.SEMI_SYNC)
                                ? Election.Durability.SEMI_SYNC
                                : Election.Durability.ASYNC,
                        member.priority(),
                        member.promotable(),
                        spec.replicationUser(),
                        spec.replicationPasswordFile(),
                        new FenceRequest(spec.fenceHoldSeconds(), spec.replicationUser()),
                        Duration.ofSeconds(spec.cooldownSeconds()));
                members.put(member.id(), new GroupMember(settings, etcd, supervisor, replication, probes).start());
            }
        } catch (RuntimeException e) {
            members.values().forEach(GroupMember::abandon);
            etcd.close();
            throw e;
        }
        Map<String, Running> next = new TreeMap<>(groups);
        next.put(spec.group(), new Running(spec, etcd, Map.copyOf(members)));
        groups = Map.copyOf(next);
        LOG.log(
                Level.INFO,
                "replication group %s: %s take part (ttl %d s, %s)"
                        .formatted(
                                spec.group(),
                                String.join(", ", members.keySet()),
                                spec.ttlSeconds(),
                                spec.durability()));
    }

    private Running without(String group) {
        Map<String, Running> next = new TreeMap<>(groups);
        Running removed = next.remove(group);
        groups = Map.copyOf(next);
        return removed;
    }

    /** The group's members this agent supervises, and that it reaches over SQL. */
    private List<HaGroupSpec.Member> local(HaGroupSpec spec) {
        Set<String> supervised =
                supervisor.statuses().stream().map(InstanceStatus::id).collect(Collectors.toSet());
        return spec.members().stream()
                .filter(member -> supervised.contains(member.id()))
                .filter(member -> supervisor.spec(member.id()).sql() != null)
                .toList();
    }

    private Path file(String group) {
        return dir.resolve(group + ".json");
    }

    private void setAside(Path file, Exception e) {
        Path damaged = dir.resolve("damaged").resolve(file.getFileName() + "." + System.currentTimeMillis());
        try {
            Files.createDirectories(damaged.getParent());
            Files.move(file, damaged);
            LOG.log(
                    Level.ERROR,
                    "HA settings %s are damaged (%s); moved to %s: the group does not run until deploy puts them again"
                            .formatted(file, e.getMessage(), damaged));
        } catch (IOException moveFailed) {
            LOG.log(
                    Level.ERROR,
                    "ignoring damaged HA settings %s (%s); cannot move them: %s"
                            .formatted(file, e.getMessage(), moveFailed));
        }
    }

    /** Stops every member, leaving held keys on their leases. */
    @Override
    public synchronized void close() {
        Map<String, Running> all = groups;
        groups = Map.of();
        all.values().forEach(running -> running.stop(false));
    }
}
