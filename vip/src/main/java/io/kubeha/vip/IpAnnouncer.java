package io.kubeha.vip;

import io.kubeha.client.net.Commands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The VIP as a real address on a LAN (root; kube-vip's ARP mode): the holder adds VIP/32 to the interface whose network
 * holds the VIP, announces it with gratuitous ARP (iputils' {@code arping -U}, three times: neighbours' caches move to
 * this machine's MAC at once, not when their entries go stale) and relays VIP:PORT to its API server as the loopback
 * mode does, so that releasing also closes every connection made through it.
 *
 * <p>The address is added with a lifetime ({@code valid_lft}) that the holder keeps extending while it holds it: a
 * holder killed with SIGKILL, or frozen, cannot remove it, but the kernel does once the lifetime runs out, so a dead
 * holder's machine stops answering ARP for the VIP within {@link #LIFETIME} (keepalived and kube-vip leave the address
 * behind until their process comes back). A candidate starting up removes a VIP left on its own interface by an earlier
 * process of its machine.
 */
public final class IpAnnouncer implements Announcer {
    private static final Logger LOG = LoggerFactory.getLogger(IpAnnouncer.class);
    /** The address's lifetime, extended every {@link #REFRESH} while held. */
    static final Duration LIFETIME = Duration.ofSeconds(2);
    static final Duration REFRESH = Duration.ofMillis(500);
    public static final String ARPING = "/usr/bin/arping";

    private final InetAddress vip;
    private final String iface;
    private final LoopbackAnnouncer relay;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
            .name("vip-ip-refresh").factory());
    private ScheduledFuture<?> refresh;
    private volatile boolean holding;

    private IpAnnouncer(InetAddress vip, String iface, LoopbackAnnouncer relay) {
        this.vip = vip;
        this.iface = iface;
        this.relay = relay;
    }

    /**
     * An announcer for {@code vip} (its port relayed to {@code target}) on {@code iface}, or on the interface whose
     * IPv4 network holds the VIP when {@code iface} is null; removes a VIP left on this machine by an earlier holder.
     *
     * @throws IOException saying what to do: no such interface, the VIP outside every interface's network, iproute2 missing
     */
    public static IpAnnouncer create(InetSocketAddress vip, InetSocketAddress target, String iface) throws IOException {
        InetAddress address = vip.getAddress();
        if (!(address instanceof java.net.Inet4Address)) throw new IOException("--vip-mode ip takes an IPv4 VIP, got " + vip.getHostString());
        List<Addr> addrs = addresses();
        String chosen = lan(addrs, address, iface).iface();
        if (!java.nio.file.Files.isExecutable(java.nio.file.Path.of(ARPING))) {
            throw new IOException("--vip-mode ip needs arping for gratuitous ARP: apt-get install iputils-arping");
        }
        IpAnnouncer a = new IpAnnouncer(address, chosen, new LoopbackAnnouncer(vip, target));
        for (Addr stale : addrs) {
            if (stale.address().equals(address) && stale.prefix() == 32) {
                LOG.warn("removing the VIP {} left on {} by an earlier holder on this machine", address.getHostAddress(), stale.iface());
                Commands.ip("addr", "del", address.getHostAddress() + "/32", "dev", stale.iface());
            }
        }
        return a;
    }

    /**
     * Whether another machine answers ARP for the VIP on this interface now (iputils' duplicate address detection,
     * about a second): a candidate checks this when the Lease names no live holder, so that a VIP someone else
     * configured by hand is reported instead of fought over.
     */
    public Optional<String> answeredElsewhere() throws IOException {
        List<String> cmd = List.of(ARPING, "-D", "-c", "2", "-w", "1", "-I", iface, vip.getHostAddress());
        try {
            Commands.run(cmd, null);
            return Optional.empty(); // exit 0: nobody answered
        } catch (IOException e) {
            // exit 1: a reply came (printed on stdout); other failures say what went wrong on stderr
            if (e.getMessage().endsWith(": exit status 1")) {
                return Optional.of("ARP for " + vip.getHostAddress() + " is answered on " + iface + ": another machine holds the address");
            }
            throw e;
        }
    }

    public String iface() {
        return iface;
    }

    @Override
    public String mode() {
        return "ip";
    }

    @Override
    public synchronized void hold() throws IOException {
        if (holding) return;
        addOrExtend();
        try {
            relay.hold();
        } catch (IOException e) {
            delete();
            throw e;
        }
        holding = true;
        refresh = timer.scheduleWithFixedDelay(this::refreshSafely, REFRESH.toMillis(), REFRESH.toMillis(), TimeUnit.MILLISECONDS);
        Thread.ofVirtual().name("vip-garp").start(this::announce);
        LOG.info("holding the VIP {}/32 on {} (ip mode, lifetime {} s, extended every {} ms)", vip.getHostAddress(), iface,
                LIFETIME.toSeconds(), REFRESH.toMillis());
    }

    private void addOrExtend() throws IOException {
        String life = Long.toString(LIFETIME.toSeconds());
        Commands.ip("addr", "replace", vip.getHostAddress() + "/32", "dev", iface, "valid_lft", life, "preferred_lft", life);
    }

    private void refreshSafely() {
        synchronized (this) {
            if (!holding) return;
            try {
                addOrExtend();
            } catch (IOException e) {
                LOG.warn("could not extend the VIP's lifetime: {}", e.getMessage());
            }
        }
    }

    /** Gratuitous ARP, three times 200 ms apart (a lost frame must not leave a neighbour on the old MAC). */
    private void announce() {
        for (int i = 0; i < 3 && holding; i++) {
            try {
                Commands.run(List.of(ARPING, "-U", "-c", "1", "-I", iface, vip.getHostAddress()), null);
            } catch (IOException e) {
                LOG.warn("gratuitous ARP for the VIP failed: {}", e.getMessage());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public synchronized void release() {
        if (!holding) return;
        holding = false;
        if (refresh != null) refresh.cancel(false);
        relay.release();
        delete();
        LOG.info("released the VIP {}/32 on {}", vip.getHostAddress(), iface);
    }

    private void delete() {
        try {
            Commands.ip("addr", "del", vip.getHostAddress() + "/32", "dev", iface);
        } catch (IOException e) {
            // gone already (its lifetime ran out while renewals hung): what matters is that it is not there
            if (!e.getMessage().contains("Cannot assign")) LOG.warn("could not remove the VIP: {}", e.getMessage());
        }
    }

    @Override
    public boolean holding() {
        return holding;
    }

    @Override
    public void close() {
        release();
        timer.shutdownNow();
    }

    /**
     * This machine's address on the VIP's LAN: on {@code iface} when given, else on the interface whose network holds
     * the VIP.
     *
     * @throws IOException saying what to do when there is none
     */
    public static Addr lan(InetAddress vip, String iface) throws IOException {
        return lan(addresses(), vip, iface);
    }

    private static Addr lan(List<Addr> addrs, InetAddress vip, String iface) throws IOException {
        List<Addr> nets = addrs.stream().filter(a -> a.prefix() < 32).toList();
        if (iface == null) {
            return nets.stream().filter(a -> a.contains(vip)).findFirst()
                    .orElseThrow(() -> new IOException("the VIP " + vip.getHostAddress() + " is outside every interface's network here ("
                            + String.join(", ", nets.stream().map(Addr::toString).toList())
                            + "): pick a VIP on this machine's LAN, or name the interface with --vip-interface"));
        }
        return nets.stream().filter(a -> a.iface().equals(iface)).findFirst()
                .orElseThrow(() -> new IOException("--vip-interface " + iface + ": no such interface with an IPv4 network here ("
                        + String.join(", ", nets.stream().map(Addr::iface).distinct().toList()) + ")"));
    }

    /** An IPv4 address of an interface, from {@code ip -o -4 addr show}. */
    public record Addr(String iface, InetAddress address, int prefix) {
        boolean contains(InetAddress other) {
            int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
            return (toInt(address) & mask) == (toInt(other) & mask);
        }

        @Override
        public String toString() {
            return iface + " " + address.getHostAddress() + "/" + prefix;
        }
    }

    static List<Addr> addresses() throws IOException {
        return parse(Commands.ip("-o", "-4", "addr", "show"));
    }

    /** Lines such as {@code 2: eth0    inet 10.10.102.91/16 brd 10.10.255.255 scope global eth0\ ...}. */
    static List<Addr> parse(String out) throws IOException {
        List<Addr> list = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4 || !f[2].equals("inet")) continue;
            String iface = f[1].replaceAll("@.*$", "");
            String[] cidr = f[3].split("/");
            list.add(new Addr(iface, InetAddress.getByName(cidr[0]), cidr.length > 1 ? Integer.parseInt(cidr[1]) : 32));
        }
        return list;
    }

    private static int toInt(InetAddress a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }
}
