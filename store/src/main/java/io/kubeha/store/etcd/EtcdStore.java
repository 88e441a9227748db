package io.kubeha.store.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch.Watcher;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.DeleteResponse;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.maintenance.AlarmMember;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.kubeha.store.Compare;
import io.kubeha.store.Health;
import io.kubeha.store.KeyValue;
import io.kubeha.store.Op;
import io.kubeha.store.RangeOptions;
import io.kubeha.store.RangeResult;
import io.kubeha.store.Store;
import io.kubeha.store.StoreException;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.Txn;
import io.kubeha.store.TxnResult;
import io.kubeha.store.Watch;
import io.kubeha.store.WatchListener;

import io.netty.handler.ssl.SslContext;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The store kept in an external etcd v3 cluster, through jetcd. etcd already has the store's data model, so
 * this is mostly translation; what it adds is bounded waiting (every call returns within the request timeout,
 * failing {@link StoreException.Unavailable} with the endpoints to check), failures sorted into
 * {@link StoreException}s, and watches that survive a member's loss without losing or repeating an event.
 *
 * <p>Progress marks: {@link Watch#requestProgress()} asks etcd directly. Periodic marks for idle watches come
 * from etcd itself, as often as its {@code --experimental-watch-progress-notify-interval} says (10 minutes by
 * default), not from {@link StoreOptions#progressInterval()}: etcd sends those only to watches that are
 * caught up, whereas a requested mark from etcd releases without the fix for etcd issue #15220 (such as the
 * 3.4.23 this is tested with) carries the store's revision even to a watch still replaying older history,
 * so this class does not request marks on a timer.
 */
public final class EtcdStore implements Store {
    /** Larger than any range the API server reads in one page; gRPC's default of 4 MiB is not. */
    private static final int MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
    /** Some key to read when only the header revision is wanted (etcd has no empty key). */
    private static final ByteSequence ANY_KEY = ByteSequence.from(new byte[] {0});
    private static final GetOption COUNT_ONLY = GetOption.builder().withCountOnly(true).build();

    private final List<URI> endpoints;
    private final Duration timeout;
    private final Client client;
    private final KV kv;
    private final String where;
    /** What to check besides reachability when TLS is on: a refused handshake looks like an unreachable etcd. */
    private final String tlsHint;
    private final Set<EtcdWatch> watches = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private EtcdStore(List<URI> endpoints, StoreOptions options, SslContext tls) {
        this.endpoints = List.copyOf(endpoints);
        this.timeout = options.requestTimeout();
        this.where = endpoints.stream().map(URI::toString).collect(Collectors.joining(","));
        this.tlsHint = tls == null ? "" : options.etcdTls().hasClientCert()
                ? ", and that etcd's certificate is signed by the --etcd-cafile CA and accepts the --etcd-certfile certificate"
                : ", and that etcd's certificate is signed by the --etcd-cafile CA and etcd needs no client certificate"
                        + " (with --client-cert-auth it does: add --etcd-certfile and --etcd-keyfile)";
        ClientBuilder builder = Client.builder();
        // null: plain text, for http:// endpoints
        if (tls != null) builder.sslContext(tls);
        this.client = builder
                .endpoints(this.endpoints)
                // spread requests over the members and keep serving from the others when one is lost
                .loadBalancerPolicy("round_robin")
                .connectTimeout(timeout)
                // jetcd retries failed calls; keep that inside the time the caller waits
                .retryMaxDuration(timeout)
                .retryDelay(100)
                .retryMaxDelay(1000)
                .interceptor(new UnaryDeadline(timeout))
                // notice a member that went silent (not only one whose connection broke); etcd refuses pings on
                // connections without calls (GOAWAY too_many_pings), so only ping while calls are open
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(timeout)
                .keepaliveWithoutCalls(false)
                .maxInboundMessageSize(MAX_RESPONSE_BYTES)
                .build();
        this.kv = client.getKVClient();
    }

    /**
     * Opens a store on the etcd cluster at {@code endpoints} (for example {@code http://127.0.0.1:2379}, or
     * {@code https://...} with {@link StoreOptions#etcdTls()}'s CA and, when etcd asks for one, client certificate).
     * Connects lazily: an unreachable cluster shows at the first call, as {@link StoreException.Unavailable};
     * settings that cannot work (https without a CA, a certificate without its key, files that are not there)
     * are refused here, with the flag to change.
     */
    public static Store open(List<URI> endpoints, StoreOptions options) {
        if (endpoints.isEmpty()) throw new IllegalArgumentException("no etcd endpoints given");
        return new EtcdStore(endpoints, options, EtcdTlsContext.forEndpoints(endpoints, options.etcdTls()));
    }

    // ---- reads ----

    @Override
    public Optional<KeyValue> get(String key) {
        GetResponse r = await("get " + key, 0, () -> kv.get(Keys.bytes(key)));
        return r.getKvs().isEmpty() ? Optional.empty() : Optional.of(Keys.keyValue(r.getKvs().get(0)));
    }

    @Override
    public RangeResult range(String prefix, RangeOptions options) {
        ByteSequence start = Keys.rangeStart(prefix);
        // a continuation starts at its start key, but never before the prefix (that would leave the prefix)
        if (options.startKey() != null && Keys.compare(Keys.bytes(options.startKey()), start) > 0) {
            start = Keys.bytes(options.startKey());
        }
        GetOption.Builder get = GetOption.builder()
                .withRange(Keys.prefixEnd(prefix))
                .withRevision(options.revision())
                .withLimit(options.limit())
                .withKeysOnly(options.keysOnly());
        ByteSequence from = start;
        GetResponse r = await("range " + prefix, options.revision(), () -> kv.get(from, get.build()));
        List<KeyValue> kvs = r.getKvs().stream().map(Keys::keyValue).toList();
        long revision = options.revision() > 0 ? options.revision() : r.getHeader().getRevision();
        return new RangeResult(kvs, r.isMore(), r.getCount(), revision);
    }

    @Override
    public long count(String prefix) {
        GetOption countOnly = GetOption.builder().withRange(Keys.prefixEnd(prefix)).withCountOnly(true).build();
        return await("count " + prefix, 0, () -> kv.get(Keys.rangeStart(prefix), countOnly)).getCount();
    }

    @Override
    public long currentRevision() {
        return await("read the revision", 0, () -> kv.get(ANY_KEY, COUNT_ONLY)).getHeader().getRevision();
    }

    // ---- writes ----

    @Override
    public TxnResult txn(Txn txn) {
        Cmp[] ifAll = txn.ifAll().stream().map(EtcdStore::cmp).toArray(Cmp[]::new);
        io.etcd.jetcd.op.Op[] then = txn.then().stream().map(EtcdStore::op).toArray(io.etcd.jetcd.op.Op[]::new);
        io.etcd.jetcd.op.Op[] orElse = txn.orElse().stream().map(EtcdStore::op).toArray(io.etcd.jetcd.op.Op[]::new);
        TxnResponse r = await("txn", 0, () -> kv.txn().If(ifAll).Then(then).Else(orElse).commit());
        long revision = r.getHeader().getRevision();
        return new TxnResult(r.isSucceeded(), revision, results(r.isSucceeded() ? txn.then() : txn.orElse(), r, revision));
    }

    /** An unconditional write is etcd's plain Put RPC, not a transaction: what an etcd user would send. */
    @Override
    public KeyValue put(String key, byte[] value) {
        PutResponse r = await("put " + key, 0, () -> kv.put(Keys.bytes(key), ByteSequence.from(value),
                PutOption.builder().withPrevKV().build()));
        return written(key, value, r, r.getHeader().getRevision());
    }

    private static Cmp cmp(Compare c) {
        return switch (c) {
            // a missing key has mod_revision 0 in etcd's comparison, so 0 tests for absence as the store defines
            case Compare.ModRevisionEquals m ->
                    new Cmp(Keys.bytes(m.key()), Cmp.Op.EQUAL, CmpTarget.modRevision(m.modRevision()));
        };
    }

    private static io.etcd.jetcd.op.Op op(Op op) {
        ByteSequence key = Keys.bytes(op.key());
        return switch (op) {
            case Op.Put p -> io.etcd.jetcd.op.Op.put(key, ByteSequence.from(p.value()),
                    PutOption.builder().withPrevKV().build());
            case Op.Delete d -> io.etcd.jetcd.op.Op.delete(key, DeleteOption.builder().withPrevKV(true).build());
            case Op.Get g -> io.etcd.jetcd.op.Op.get(key, GetOption.DEFAULT);
        };
    }

    /**
     * The results of the branch that ran, in its order. jetcd groups a txn's responses by kind, keeping their
     * order within each kind, so each op takes the next response of its kind.
     */
    private static List<TxnResult.OpResult> results(List<Op> ops, TxnResponse r, long revision) {
        Iterator<PutResponse> puts = r.getPutResponses().iterator();
        Iterator<DeleteResponse> deletes = r.getDeleteResponses().iterator();
        Iterator<GetResponse> gets = r.getGetResponses().iterator();
        List<TxnResult.OpResult> out = new ArrayList<>(ops.size());
        for (Op op : ops) {
            out.add(switch (op) {
                case Op.Put p -> {
                    PutResponse put = puts.next();
                    yield new TxnResult.OpResult.Put(written(p.key(), p.value(), put, revision),
                            put.hasPrevKv() ? Keys.keyValue(put.getPrevKv()) : null);
                }
                case Op.Delete d -> {
                    List<io.etcd.jetcd.KeyValue> prev = deletes.next().getPrevKvs();
                    yield new TxnResult.OpResult.Delete(d.key(), prev.isEmpty() ? null : Keys.keyValue(prev.get(0)));
                }
                case Op.Get g -> {
                    List<io.etcd.jetcd.KeyValue> found = gets.next().getKvs();
                    yield new TxnResult.OpResult.Get(g.key(), found.isEmpty() ? null : Keys.keyValue(found.get(0)));
                }
            });
        }
        return out;
    }

    /** etcd returns no new key value for a put: it is fully known from the old one and the revision. */
    private static KeyValue written(String key, byte[] value, PutResponse put, long revision) {
        KeyValue prev = put.hasPrevKv() ? Keys.keyValue(put.getPrevKv()) : null;
        return new KeyValue(key, value, prev != null ? prev.createRevision() : revision, revision,
                prev != null ? prev.version() + 1 : 1);
    }

    @Override
    public void compact(long revision) {
        await("compact at " + revision, revision, () -> kv.compact(revision).handle((done, failure) -> {
            // compacting at or below the compaction revision asks for what is already so
            if (failure != null && EtcdErrors.classify(failure) != EtcdErrors.Kind.COMPACTED) {
                throw new CompletionException(EtcdErrors.unwrap(failure));
            }
            return done;
        }));
    }

    // ---- watch ----

    @Override
    public Watch watch(String prefix, long afterRevision, WatchListener listener) {
        if (afterRevision < 0) throw new IllegalArgumentException("afterRevision must be >= 0, was " + afterRevision);
        checkOpen();
        // etcd would say so only after the watch started (and after watch() returned): ask up front, so a
        // caller learns at once. A range at a revision fails Compacted exactly when a watch from it would.
        long deadline = System.nanoTime() + timeout.toNanos();
        long first = afterRevision + 1;
        try {
            await("check revision " + first, first,
                    () -> kv.get(ANY_KEY, GetOption.builder().withRevision(first).withCountOnly(true).build()), deadline);
        } catch (StoreException.Invalid future) {
            // a watch may start at a revision that is yet to come
        }
        EtcdWatch watch = new EtcdWatch(client, prefix, afterRevision, listener, where, watches::remove);
        watches.add(watch);
        watch.start();
        try {
            watch.started.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            watch.close();
            throw unavailable("watch " + prefix, "did not set up the watch within " + timeout, e, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            watch.close();
            throw new StoreException.Unavailable("interrupted while setting up a watch of " + prefix, e);
        }
        return watch;
    }

    // ---- status ----

    @Override
    public Health health() {
        if (closed) return Health.failing("the store " + describe() + " is closed");
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            // a linearizable read proves a leader and a quorum
            long revision = await("read the revision", 0, () -> kv.get(ANY_KEY, COUNT_ONLY), deadline)
                    .getHeader().getRevision();
            List<AlarmMember> alarms = await("list alarms", 0, () -> client.getMaintenanceClient().listAlarms(),
                    deadline).getAlarms();
            if (!alarms.isEmpty()) {
                return Health.failing("etcd " + where + " raised alarms " + alarms.stream()
                        .map(a -> a.getAlarmType() + " on member " + Long.toHexString(a.getMemberId()))
                        .toList() + " (NOSPACE: compact, defragment and disarm; CORRUPT: restore the member)");
            }
            return Health.ok("etcd " + where + " serves quorum reads at revision " + revision);
        } catch (StoreException e) {
            return Health.failing(e.getMessage() + "; members: " + memberStatus(Duration.ofSeconds(1)));
        }
    }

    /**
     * What each member says about itself, asked directly, to tell which ones are down. Only after the quorum
     * read failed, and briefly: health should not take much longer than the read's own timeout.
     */
    private String memberStatus(Duration budget) {
        List<CompletableFuture<String>> answers = endpoints.stream()
                .map(e -> status(e)
                        .thenApply(s -> e + " up (" + describe(s) + ")")
                        .exceptionally(t -> e + " unreachable (" + EtcdErrors.messages(EtcdErrors.unwrap(t)) + ")")
                        .completeOnTimeout(e + " unreachable (no answer within " + budget + ")", budget.toNanos(),
                                TimeUnit.NANOSECONDS))
                .toList();
        return answers.stream().map(CompletableFuture::join).collect(Collectors.joining("; "));
    }

    private CompletableFuture<StatusResponse> status(URI endpoint) {
        try {
            return client.getMaintenanceClient().statusMember(endpoint.toString());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static String describe(StatusResponse s) {
        return "etcd " + s.getVersion() + ", " + (s.getLeader() == 0 ? "no leader"
                : s.getLeader() == s.getHeader().getMemberId() ? "leader" : "follower")
                + (s.getErrorList().isEmpty() ? "" : ", errors " + s.getErrorList());
    }

    @Override
    public String describe() {
        return "etcd:" + where;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        // a watch still open learns why it ends rather than going silent
        for (EtcdWatch w : List.copyOf(watches)) {
            w.end(new StoreException.Unavailable("the store " + describe() + " was closed", null));
        }
        client.close();
    }

    @Override
    public String toString() {
        return describe();
    }

    // ---- waiting and failures ----

    private void checkOpen() {
        if (closed) throw new StoreException.Unavailable("the store " + describe() + " is closed", null);
    }

    /**
     * Runs one etcd call and waits for it at most the request timeout. {@code revision} is the revision the
     * call reads at (0 for the latest), for reporting a compacted or future one.
     */
    private <T> T await(String operation, long revision, Supplier<CompletableFuture<T>> call) {
        return await(operation, revision, call, System.nanoTime() + timeout.toNanos());
    }

    /** As above, within a deadline ({@link System#nanoTime()}) shared with the rest of one store call. */
    private <T> T await(String operation, long revision, Supplier<CompletableFuture<T>> call, long deadline) {
        checkOpen();
        CompletableFuture<T> future;
        try {
            future = call.get();
        } catch (RuntimeException e) {
            throw failure(operation, revision, e, deadline);
        }
        try {
            return future.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw unavailable(operation, "did not answer within " + timeout, e, true);
        } catch (ExecutionException e) {
            throw failure(operation, revision, e.getCause(), deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new StoreException.Unavailable("interrupted while waiting for etcd to " + operation, e);
        }
    }

    private StoreException failure(String operation, long revision, Throwable cause, long deadline) {
        Throwable t = EtcdErrors.unwrap(cause);
        return switch (EtcdErrors.classify(t)) {
            case COMPACTED -> new StoreException.Compacted(revision, compactRevision(revision, deadline));
            case FUTURE_REVISION -> new StoreException.Invalid("revision " + revision
                    + " is in the future: etcd " + where + " has not reached it yet", t);
            case TOO_LARGE -> new StoreException.Invalid(operation + " is larger than etcd accepts (its"
                    + " --max-request-bytes, 1.5 MiB by default): " + EtcdErrors.messages(t), t);
            case INVALID -> new StoreException.Invalid(operation + " refused by etcd: " + EtcdErrors.messages(t), t);
            case UNAVAILABLE -> unavailable(operation, "failed: " + EtcdErrors.messages(t), t, false);
        };
    }

    private StoreException.Unavailable unavailable(String operation, String what, Throwable cause, boolean timedOut) {
        return new StoreException.Unavailable("etcd " + where + " " + what + " (" + operation + "); check that"
                + " a majority of its members is running and reachable from here" + tlsHint, cause, timedOut);
    }

    /**
     * The revision etcd compacted at, after a read older than it failed. etcd's error does not carry it but a
     * watch from revision 1 is cancelled with it; if that does not answer by the deadline (the request
     * timeout of the call that failed), the compaction revision is at least the one after the revision that failed.
     */
    private long compactRevision(long failedRevision, long deadline) {
        CompletableFuture<Long> found = new CompletableFuture<>();
        Watcher probe = null;
        try {
            probe = client.getWatchClient().watch(ANY_KEY, WatchOption.builder().withRevision(1).build(),
                    io.etcd.jetcd.Watch.listener(r -> { }, e -> {
                        if (EtcdErrors.unwrap(e) instanceof CompactedException c) found.complete(c.getCompactedRevision());
                    }));
            return found.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failedRevision + 1;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            return failedRevision + 1;
        } finally {
            if (probe != null) probe.close();
        }
    }
}
