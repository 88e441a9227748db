package io.kubeha.apiserver.alloc;

import io.kubeha.store.KeyValue;
import io.kubeha.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The allocations of one create or update: what it took (to give back on revert) and what it gives up (to
 * release on commit). Used by one request thread at a time.
 */
final class Operation implements Allocation {
    private static final Logger log = LoggerFactory.getLogger(Operation.class);

    private record Taken(KeyRange range, long value, long modRevision) {}

    private record Given(KeyRange range, long value) {}

    private final ServiceRef owner;
    private final boolean dryRun;
    private final byte[] record;
    private final List<Taken> taken = new ArrayList<>();
    private final List<Given> given = new ArrayList<>();
    /** Dry run: what this operation would have taken, so that it never "takes" one value twice. */
    private final Set<String> dryClaims = new HashSet<>();
    private boolean finished;

    Operation(ServiceRef owner, boolean dryRun, Instant now) {
        this.owner = owner;
        this.dryRun = dryRun;
        this.record = OwnerRecord.of(owner, now).toBytes();
    }

    /** Takes {@code value} for the owner if nobody holds it. */
    boolean claim(KeyRange range, long value) {
        if (dryRun) {
            if (range.get(value).isPresent()) return false;
            return dryClaims.add(range.key(value));
        }
        KeyValue kv = range.create(value, record);
        if (kv == null) return false;
        taken.add(new Taken(range, value, kv.modRevision()));
        return true;
    }

    /** A random free value taken for the owner, or -1 when the range is full. */
    long claimNext(KeyRange range) {
        return range.claimNext(this);
    }

    /** Releases {@code value} on commit. */
    void releaseOnCommit(KeyRange range, long value) {
        given.add(new Given(range, value));
    }

    @Override
    public List<Allocated> allocated() {
        if (dryRun) {
            return List.of(); // nothing was recorded; the Service shows what would have been
        }
        return taken.stream().map(t -> t.range.allocated(t.value, owner)).toList();
    }

    @Override
    public List<Allocated> toRelease() {
        return given.stream().map(g -> g.range.allocated(g.value, owner)).toList();
    }

    @Override
    public void commit() {
        if (finished) return;
        finished = true;
        if (dryRun) return;
        for (Given g : given) {
            try {
                g.range.releaseIfOwned(g.value, owner);
            } catch (StoreException e) {
                // the Service no longer uses it; repair releases it once it is older than the leak grace
                log.warn("could not release {} given up by {}: {}", g.range.allocated(g.value, owner), owner, e.getMessage());
            }
        }
    }

    @Override
    public void revert() {
        if (finished) return;
        finished = true;
        for (Taken t : taken.reversed()) {
            try {
                // only the key as this operation wrote it: were it rewritten since, it is someone else's now
                t.range.deleteIfAt(t.value, t.modRevision);
            } catch (StoreException e) {
                log.warn("could not give back {} after a failed write of {}: {}", t.range.allocated(t.value, owner), owner,
                        e.getMessage());
            }
        }
    }
}
