package io.flotilla.topology;

import java.util.ArrayList;
import java.util.List;

/** One directory of an instance. */
record DirClaim(Instance instance, Kind kind, String dir) implements Claim {
    enum Kind {
        DEPLOY("deploy_dir"),
        DATA("data_dir"),
        LOG("log_dir");

        private final String field;

        Kind(String field) {
            this.field = field;
        }

        String field() {
            return field;
        }
    }

    static List<DirClaim> of(Instance instance) {
        List<DirClaim> claims = new ArrayList<>();
        claims.add(new DirClaim(instance, Kind.DEPLOY, instance.deployDir()));
        instance.dataDirs().forEach(dir -> claims.add(new DirClaim(instance, Kind.DATA, dir)));
        claims.add(new DirClaim(instance, Kind.LOG, instance.logDir()));
        return claims;
    }

    @Override
    public String label() {
        return label(kind.field);
    }

    /** The same host and directory: the lookup key of conflict checks. */
    String key() {
        return instance.host() + ":" + dir;
    }
}
