package io.flotilla.exec;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.digest.BuiltinDigests;
import org.apache.sshd.common.util.net.SshdSocketAddress;

/**
 * Verifies a host's key against the user's known_hosts and the cluster's own, the way OpenSSH
 * does: a known key passes, an unknown key is refused unless new keys are accepted (then it is
 * recorded in the cluster's file), and a changed key is always refused.
 */
public final class HostKeys implements ServerKeyVerifier {

    private final Path knownHosts;
    private final Path clusterKnownHosts;
    private final boolean acceptNew;
    private final Object recording = new Object();
    /**
     * Why each host's key was last refused, for the error the connecting thread raises. Not a
     * session attribute: a refused session closes at once, and closing clears its attributes,
     * sometimes before that thread reads them (then a refused key looked like a refused login).
     */
    private final Map<String, String> refusals = new ConcurrentHashMap<>();

    public HostKeys(Path knownHosts, Path clusterKnownHosts, boolean acceptNew) {
        this.knownHosts = requireNonNull(knownHosts, "knownHosts is null");
        this.clusterKnownHosts = requireNonNull(clusterKnownHosts, "clusterKnownHosts is null");
        this.acceptNew = acceptNew;
    }

    /** What the known_hosts files say about a host's key. */
    sealed interface Verdict {
        record Known() implements Verdict {}

        record Unknown() implements Verdict {}

        record Changed(PublicKey expected, Path file) implements Verdict {}

        record Revoked(Path file) implements Verdict {}
    }

    @Override
    public boolean verifyServerKey(ClientSession session, SocketAddress remoteAddress, PublicKey serverKey) {
        SshdSocketAddress address = SshdSocketAddress.toSshdSocketAddress(session.getConnectAddress());
        Optional<String> refusal;
        try {
            refusal = check(address.getHostName(), address.getPort(), serverKey);
        } catch (RuntimeException e) {
            // An unreadable known_hosts refuses the key, and the reason reaches the user.
            refusal = Optional.of(e.getMessage());
        }
        String where = hostPattern(address.getHostName(), address.getPort());
        refusal.ifPresentOrElse(message -> refusals.put(where, message), () -> refusals.remove(where));
        return refusal.isEmpty();
    }

    /** Why the key of {@code host} was refused on the last connection to it, if it was. */
    Optional<String> refusal(String host, int port) {
        return Optional.ofNullable(refusals.get(hostPattern(host, port)));
    }

    /** Checks a key, recording it when new keys are accepted; returns why it is refused, if it is. */
    Optional<String> check(String host, int port, PublicKey key) {
        String where = "%s:%d".formatted(host, port);
        return switch (verdict(host, port, key)) {
            case Verdict.Known known -> Optional.empty();
            case Verdict.Changed changed ->
                Optional.of(("host key of %s CHANGED: expected %s, got %s; someone may be intercepting, or the host"
                                + " was reinstalled; remove the old entry from %s if you trust the new key")
                        .formatted(where, fingerprint(changed.expected()), fingerprint(key), changed.file()));
            case Verdict.Revoked revoked ->
                Optional.of("host key of %s (%s) is marked @revoked in %s; the host must get a new key"
                        .formatted(where, fingerprint(key), revoked.file()));
            case Verdict.Unknown unknown -> {
                if (!acceptNew) {
                    yield Optional.of(
                            "host key of %s is not known (%s %s); check it with the host's owner, then add it to %s or pass --accept-new-host-keys"
                                    .formatted(where, KeyUtils.getKeyType(key), fingerprint(key), knownHosts));
                }
                record(host, port, key);
                yield Optional.empty();
            }
        };
    }

    Verdict verdict(String host, int port, PublicKey key) {
        Verdict result = new Verdict.Unknown();
        for (Path file : List.of(knownHosts, clusterKnownHosts)) {
            for (KnownHostEntry entry : entries(file)) {
                if (!entry.isHostMatch(host, port) || "cert-authority".equals(entry.getMarker())) {
                    continue;
                }
                PublicKey listed = publicKey(entry, file);
                if (listed == null) {
                    continue; // a key type we cannot read, such as a security-key entry
                }
                if (KeyUtils.compareKeys(listed, key)) {
                    if ("revoked".equals(entry.getMarker())) {
                        return new Verdict.Revoked(file);
                    }
                    result = result instanceof Verdict.Changed ? result : new Verdict.Known();
                } else if (entry.getMarker() == null
                        && KeyUtils.getKeyType(listed).equals(KeyUtils.getKeyType(key))
                        && !(result instanceof Verdict.Known)) {
                    // A different key of the same type: OpenSSH's "REMOTE HOST IDENTIFICATION HAS CHANGED".
                    // Keys of other types only are not a change: the host may simply offer several.
                    result = new Verdict.Changed(listed, file);
                }
            }
        }
        return result;
    }

    private static List<KnownHostEntry> entries(Path file) {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try {
            return new ArrayList<>(KnownHostEntry.readKnownHostEntries(file));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read known hosts %s: %s".formatted(file, e.getMessage()), e);
        }
    }

    private static PublicKey publicKey(KnownHostEntry entry, Path file) {
        try {
            return entry.getKeyEntry().resolvePublicKey(null, null, PublicKeyEntryResolver.IGNORING);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(
                    "cannot read the key of %s in %s: %s".formatted(entry.getConfigLine(), file, e.getMessage()), e);
        }
    }

    private void record(String host, int port, PublicKey key) {
        String line = "%s %s%n".formatted(hostPattern(host, port), PublicKeyEntry.toString(key));
        synchronized (recording) {
            if (verdict(host, port, key) instanceof Verdict.Known) {
                return; // another session to the same host recorded it first
            }
            try {
                Path parent = clusterKnownHosts.toAbsolutePath().getParent();
                Files.createDirectories(parent);
                try (FileChannel channel = LocalFiles.open(
                                clusterKnownHosts,
                                "0600",
                                StandardOpenOption.CREATE,
                                StandardOpenOption.WRITE,
                                StandardOpenOption.APPEND);
                        FileLock ignored = channel.lock()) {
                    channel.write(StandardCharsets.UTF_8.encode(line));
                    channel.force(true);
                }
            } catch (IOException e) {
                throw new IllegalStateException(
                        "cannot record the host key of %s:%d in %s: %s"
                                .formatted(host, port, clusterKnownHosts, e.getMessage()),
                        e);
            }
        }
    }

    /** How known_hosts names a host: bare on port 22, {@code [host]:port} elsewhere. */
    public static String hostPattern(String host, int port) {
        return port == 22 ? host : "[%s]:%d".formatted(host, port);
    }

    /** The key's fingerprint as ssh prints it: {@code SHA256:} and unpadded base64. */
    public static String fingerprint(PublicKey key) {
        return KeyUtils.getFingerPrint(BuiltinDigests.sha256, key);
    }
}
