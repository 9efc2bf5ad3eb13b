package io.flotilla.catalog;

import io.flotilla.topology.Topology;
import java.util.List;
import java.util.Optional;

/**
 * How a component runs as pods on Kubernetes without an operator: its image, its pods' template
 * and the Services around them, what it needs beside it, and which replica counts are safe. The
 * Kubernetes renderer turns this into objects; a component without it is not rendered.
 */
public interface KubernetesPods {
    /** The key of the passwords' Secret that holds root's password; every SQL tier reads it. */
    String ROOT_PASSWORD_KEY = "root-password";

    /** The image's repository on Docker Hub, such as {@code pingcap/pd}. */
    String imageRepository();

    /** The image's tag when the topology's {@code component_versions} names none. */
    String defaultVersion();

    /** The size of a stateful tier's volume claims, unless {@code --storage-size} says otherwise. */
    default String storageSize() {
        return "10Gi";
    }

    /** The keys of the passwords' Secret the pods read besides {@link #ROOT_PASSWORD_KEY}. */
    default List<String> secretKeys() {
        return List.of();
    }

    /** What the topology lacks for this component to run on Kubernetes, one problem each. */
    default List<String> missing(Topology topology) {
        return List.of();
    }

    /** The pods of one tier of this component. */
    PodTemplate template(PodTier tier, PodAddresses addresses);

    /**
     * Where the init Job sets root's password, when this component answers SQL for the cluster;
     * empty when it does not.
     */
    default Optional<SqlEndpoint> sqlEndpoint(Topology topology, PodAddresses addresses) {
        return Optional.empty();
    }

    /**
     * Why a tier may not have {@code replicas} pods, whatever it has now; by default a tier keeps
     * at least one pod.
     */
    default Optional<String> scaleRefusal(String tier, int replicas) {
        return replicas < 1
                ? Optional.of(
                        "%s cannot go below 1 pod: with none the cluster stops answering; delete the cluster instead"
                                .formatted(tier))
                : Optional.empty();
    }

    /** Why a tier with {@code current} pods may not go to {@code replicas}. */
    default Optional<String> scaleRefusal(String tier, int current, int replicas) {
        return Optional.empty();
    }

    /** What the operator is to do once the tier's workload went from {@code current} to {@code replicas} pods. */
    default Optional<String> afterScale(String tier, String workload, int current, int replicas) {
        return Optional.empty();
    }

    /**
     * A SQL endpoint of the rendered cluster and the image whose client reaches it.
     *
     * @param host the Service's name as pods resolve it
     */
    record SqlEndpoint(String host, int port, String clientImage) {
        /**
         * The init Job's script: sets root's password from the Secret {@code secret} once the
         * endpoint answers. Idempotent: when root already has the Secret's password (the MariaDB
         * image sets it at init) it changes nothing. The password reaches the script through the
         * environment ({@code ROOT_PASSWORD}) and SQL through standard input, never an argument.
         */
        public String setRootPassword(String secret) {
            String client =
                    "mariadb --protocol=tcp --host=%s --port=%d --user=root --connect-timeout=2".formatted(host, port);
            String script = """
                        set -u
                        echo "flotilla-init-root: waiting for %1$s:%2$d"
                        tries=0
                        until mariadb-admin --protocol=tcp --host=%1$s --port=%2$d --user=root --connect-timeout=2 ping >/dev/null 2>&1; do
                          tries=$((tries + 1))
                          if [ "$tries" -ge 300 ]; then
                            echo "flotilla-init-root: FAILED: %1$s:%2$d did not answer within 10 minutes; check the pods of the SQL tier"
                            exit 1
                          fi
                          sleep 2
                        done
                        if MYSQL_PWD="$ROOT_PASSWORD" %3$s --execute='SELECT 1' >/dev/null 2>&1; then
                          echo "flotilla-init-root: OK: root already has the password of Secret %4$s; nothing to change"
                          exit 0
                        fi
                        escaped=$(printf '%%s' "$ROOT_PASSWORD" | sed -e 's/\\\\/\\\\\\\\/g' -e "s/'/''/g")
                        if printf "ALTER USER 'root'@'%%%%' IDENTIFIED BY '%%s';\\n" "$escaped" | %3$s --password=; then
                          echo "flotilla-init-root: OK: root password set from Secret %4$s"
                          exit 0
                        fi
                        echo "flotilla-init-root: FAILED: root on %1$s:%2$d accepts neither the password of Secret %4$s nor an empty one; put the current password in the Secret or set it by hand"
                        exit 1
                        """.formatted(host, port, client, secret);
            return script;
        }
    }
}
