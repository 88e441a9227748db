package io.kubeha.store;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A multi-key compare-and-swap: if every comparison holds, the {@code then} operations run, otherwise the
 * {@code orElse} ones; either way atomically and at one revision. A key may be written at most once per
 * branch (etcd refuses duplicate keys in a txn too).
 */
public record Txn(List<Compare> ifAll, List<Op> then, List<Op> orElse) {
    public Txn {
        ifAll = List.copyOf(ifAll);
        then = List.copyOf(then);
        orElse = List.copyOf(orElse);
        checkNoDuplicateWrites(then);
        checkNoDuplicateWrites(orElse);
    }

    private static void checkNoDuplicateWrites(List<Op> ops) {
        Set<String> written = new HashSet<>();
        for (Op op : ops) {
            if (!(op instanceof Op.Get) && !written.add(op.key())) {
                throw new IllegalArgumentException("a transaction may write key " + op.key() + " only once");
            }
        }
    }

    /** True when a branch changes anything (a read-only txn does not advance the revision). */
    static boolean writes(List<Op> ops) {
        return ops.stream().anyMatch(op -> !(op instanceof Op.Get));
    }
}
