package io.flotilla.sql.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The two password scrambles clients send. The server knows the plaintext password, so it computes
 * what the client should have sent and compares in constant time.
 */
final class Scramble {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Scramble() {}

    /** A 20-byte nonce of printable bytes without NUL, as MySQL servers send. */
    static byte[] nonce() {
        byte[] nonce = new byte[20];
        for (int i = 0; i < nonce.length; i++) {
            nonce[i] = (byte) (33 + RANDOM.nextInt(94));
        }
        return nonce;
    }

    /** mysql_native_password: SHA1(pw) XOR SHA1(nonce + SHA1(SHA1(pw))). */
    static byte[] nativePassword(String password, byte[] nonce) {
        byte[] stage1 = digest("SHA-1", password.getBytes(StandardCharsets.UTF_8));
        byte[] stage2 = digest("SHA-1", stage1);
        return xor(stage1, digest("SHA-1", nonce, stage2));
    }

    /** caching_sha2_password fast auth: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + nonce). */
    static byte[] cachingSha2Password(String password, byte[] nonce) {
        byte[] stage1 = digest("SHA-256", password.getBytes(StandardCharsets.UTF_8));
        byte[] stage2 = digest("SHA-256", stage1);
        return xor(stage1, digest("SHA-256", stage2, nonce));
    }

    /**
     * What proves to a MariaDB client that verifies a self-signed certificate through the password
     * (MariaDB 11.4's zero-configuration TLS) that this server knows the password: 0x01 then the
     * upper-case hex of SHA-256(SHA1(SHA1(pw)), nonce, certificate fingerprint).
     */
    static byte[] certificateProof(String password, byte[] nonce, byte[] fingerprint) {
        byte[] hash = digest("SHA-1", digest("SHA-1", password.getBytes(StandardCharsets.UTF_8)));
        String hex = java.util.HexFormat.of().withUpperCase().formatHex(digest("SHA-256", hash, nonce, fingerprint));
        byte[] proof = new byte[hex.length() + 1];
        proof[0] = 0x01;
        System.arraycopy(hex.getBytes(StandardCharsets.US_ASCII), 0, proof, 1, hex.length());
        return proof;
    }

    static boolean matches(byte[] expected, byte[] actual) {
        return MessageDigest.isEqual(expected, actual);
    }

    private static byte[] xor(byte[] left, byte[] right) {
        byte[] result = new byte[left.length];
        for (int i = 0; i < left.length; i++) {
            result[i] = (byte) (left[i] ^ right[i]);
        }
        return result;
    }

    private static byte[] digest(String algorithm, byte[]... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance(algorithm);
            for (byte[] part : parts) {
                digest.update(part);
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from this JDK", e);
        }
    }
}
