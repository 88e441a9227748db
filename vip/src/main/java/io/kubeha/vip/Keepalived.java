package io.kubeha.vip;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The VIP held by the real keepalived (Debian's package), the seed's own way: kubeha writes keepalived.conf for one
 * VRRP instance (every master BACKUP with {@code nopreempt}, unicast to the other masters, a {@code vrrp_script} that
 * checks what {@code kubeha health} checks, with curl so that a master whose API server is not ready or whose agent is
 * dead gives the address
 * up, and a {@code notify} script that records the state) and runs keepalived in the foreground as its child, with pid
 * files of its own so that several run on one machine (in network namespaces). There is no Lease: VRRP elects.
 *
 * <p>What keepalived trades against the Lease-based modes: it needs no API server to elect (so it holds the address
 * while the store is down), but a master with a dead keepalived keeps the address on its interface, and a takeover
 * waits 3 adverts plus skew time (about 3.6 s at {@code advert_int 1}).
 */
public final class Keepalived implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Keepalived.class);
    public static final Path BINARY = Path.of("/usr/sbin/keepalived");

    /**
     * One master's VRRP settings.
     *
     * @param name        this master's name (router_id)
     * @param iface       the LAN interface
     * @param self        this master's address on it (unicast source)
     * @param peers       the other masters' addresses
     * @param vip         the virtual address
     * @param routerId    the VRRP virtual router id (1-255), the same on every master
     * @param priority    1-254; equal on all masters with nopreempt (the first to come up keeps it)
     * @param health      the checks keepalived runs every second, each a command (all exit 0: healthy)
     */
    public record Config(String name, String iface, InetAddress self, List<InetAddress> peers, InetAddress vip, int routerId, int priority,
                         List<List<String>> health) {
        public Config {
            Objects.requireNonNull(iface, "iface");
            if (routerId < 1 || routerId > 255) throw new IllegalArgumentException("the VRRP router id must be 1-255, got " + routerId);
            if (priority < 1 || priority > 254) throw new IllegalArgumentException("the VRRP priority must be 1-254, got " + priority);
            if (peers.isEmpty()) throw new IllegalArgumentException("keepalived mode needs the other masters' addresses (--vip-peers)");
        }
    }

    /** keepalived.conf for {@code c}; the scripts it names are in {@code dir}. */
    public static String render(Config c, Path dir) {
        StringBuilder peers = new StringBuilder();
        for (InetAddress p : c.peers()) peers.append("    ").append(p.getHostAddress()).append('\n');
        return """
                ! written by kubeha (--vip-mode keepalived) at each start: edit the flags, not this file
                global_defs {
                  router_id %s
                  script_user root
                  enable_script_security
                }
                vrrp_script kubeha_health {
                  script "%s"
                  interval 1
                  timeout 2
                  fall 2
                  rise 2
                }
                vrrp_instance kubeha {
                  state BACKUP
                  nopreempt
                  interface %s
                  virtual_router_id %d
                  priority %d
                  advert_int 1
                  unicast_src_ip %s
                  unicast_peer {
                %s  }
                  virtual_ipaddress {
                    %s/32 dev %s
                  }
                  track_script {
                    kubeha_health
                  }
                  notify "%s"
                }
                """.formatted(c.name(), dir.resolve("health.sh"), c.iface(), c.routerId(), c.priority(), c.self().getHostAddress(), peers,
                c.vip().getHostAddress(), c.iface(), dir.resolve("notify.sh"));
    }

    private final Config config;
    private final Path dir;
    private Process process;

    public Keepalived(Config config, Path dir) {
        this.config = config;
        this.dir = dir.toAbsolutePath();
    }

    /** The state keepalived last reported through the notify script: MASTER, BACKUP, FAULT, STOP, or "" before any. */
    public static String state(Path dir) {
        try {
            String s = Files.readString(dir.resolve("state")).strip();
            return s.isEmpty() ? "" : s.split(" ")[0];
        } catch (IOException e) {
            return "";
        }
    }

    /** Writes the configuration and scripts, stops a keepalived left from an earlier start, and starts keepalived. */
    public Keepalived start() throws IOException {
        if (!Files.isExecutable(BINARY)) throw new IOException("--vip-mode keepalived needs keepalived: apt-get install keepalived");
        Files.createDirectories(dir);
        StringBuilder checks = new StringBuilder();
        for (List<String> check : config.health()) {
            checks.append(String.join(" ", check.stream().map(Keepalived::quote).toList())).append(" >/dev/null 2>&1 || exit 1\n");
        }
        script("health.sh", checks + "exit 0\n");
        // keepalived calls: notify TYPE NAME STATE PRIORITY
        script("notify.sh", "echo \"$3 $(date +%s.%N)\" > " + quote(dir.resolve("state.tmp").toString()) + " && mv "
                + quote(dir.resolve("state.tmp").toString()) + " " + quote(dir.resolve("state").toString()) + "\n");
        Files.writeString(dir.resolve("keepalived.conf"), render(config, dir));
        Files.deleteIfExists(dir.resolve("state"));
        stopLeftover();
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--dont-fork", "--log-console", "--vrrp", "--use-file",
                dir.resolve("keepalived.conf").toString(), "--pid", dir.resolve("keepalived.pid").toString(), "--vrrp_pid",
                dir.resolve("vrrp.pid").toString()));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        Thread.ofVirtual().name("keepalived-log").start(this::log);
        LOG.info("keepalived (pid {}) holds the VIP {} by VRRP (router id {}, unicast to {}), health by {}", process.pid(),
                config.vip().getHostAddress(), config.routerId(), config.peers().stream().map(InetAddress::getHostAddress).toList(),
                dir.resolve("health.sh"));
        return this;
    }

    /** Whether keepalived is running. */
    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** Waits for keepalived to exit; its exit status. */
    public int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    private void log() {
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) LOG.info("keepalived: {}", line);
        } catch (IOException e) {
            // it exited
        }
    }

    /** A keepalived of an earlier start (its pid file names it, and it runs our configuration) is stopped first. */
    private void stopLeftover() throws IOException {
        for (String pidFile : List.of("keepalived.pid", "vrrp.pid")) {
            Path f = dir.resolve(pidFile);
            if (!Files.exists(f)) continue;
            try {
                long pid = Long.parseLong(Files.readString(f).strip());
                ProcessHandle.of(pid).filter(h -> h.info().commandLine().orElse("").contains(dir.resolve("keepalived.conf").toString()))
                        .ifPresent(h -> {
                            LOG.warn("stopping keepalived {} left by an earlier start", pid);
                            h.destroy();
                            try {
                                h.onExit().get(5, TimeUnit.SECONDS);
                            } catch (Exception e) {
                                h.destroyForcibly();
                            }
                        });
            } catch (NumberFormatException e) {
                // an empty or torn pid file
            }
            Files.deleteIfExists(f);
        }
    }

    private void script(String name, String body) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    static String quote(String s) {
        return s.matches("[A-Za-z0-9_./:=@%+,-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /** Stops keepalived (SIGTERM: it removes the address and sends its last advert with priority 0, so a backup takes over at once). */
    @Override
    public void close() {
        if (process == null) return;
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
