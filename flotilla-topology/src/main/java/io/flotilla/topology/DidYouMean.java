package io.flotilla.topology;

import java.util.Collection;
import java.util.Optional;

/** Suggests the known word a misspelt one was meant to be. */
final class DidYouMean {
    private DidYouMean() {}

    /**
     * The closest candidate, if it is close enough to be a typo rather than a different word; of two
     * as close, the first in alphabetical order, so that the advice does not depend on set order.
     */
    static Optional<String> closest(String word, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int distance = distance(word, candidate);
            if (distance < bestDistance || distance == bestDistance && candidate.compareTo(best) < 0) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return bestDistance <= tolerance(word) ? Optional.ofNullable(best) : Optional.empty();
    }

    private static int tolerance(String word) {
        if (word.length() <= 4) {
            return 1;
        }
        return word.length() <= 8 ? 2 : 3;
    }

    /** Edit distance where swapping two neighbouring letters counts as one edit, the commonest typo. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
