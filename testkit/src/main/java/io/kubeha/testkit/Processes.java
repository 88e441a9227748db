package io.kubeha.testkit;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Real failures for real processes. */
public final class Processes {
    private Processes() {}

    /** Sends SIGKILL (kill -9) to the process by PID and waits (bounded) until it is gone. */
    public static void kill9(ProcessHandle process) {
        if (!process.isAlive()) return;
        try {
            // ProcessHandle.destroyForcibly is SIGKILL on Linux, but say it explicitly: the point is kill -9
            Process kill = new ProcessBuilder("kill", "-9", Long.toString(process.pid())).inheritIO().start();
            kill.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try {
            process.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("process " + process.pid() + " did not die within 30 s of kill -9", e);
        }
    }

    /** Waits until the process is gone, at most {@code timeout}; true when it is. */
    public static boolean awaitExit(ProcessHandle process, Duration timeout) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return !process.isAlive();
        }
    }

    /** SIGSTOP: the process freezes where it is (a long GC pause, a hung VM), keeping its sockets and state. */
    public static void freeze(ProcessHandle process) {
        signal(process, "STOP");
    }

    /** SIGCONT: a frozen process runs on, unaware that time has passed. */
    public static void thaw(ProcessHandle process) {
        signal(process, "CONT");
    }

    private static void signal(ProcessHandle process, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("kill -" + signal + " " + process.pid() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Pods of an agent that was killed during the test outlive it (as they would on a real node); the agents'
     * container state files (DATA/containers/*.properties: pid and start time) name them.
     */
    public static void killPodProcessesRecordedUnder(java.nio.file.Path dir) throws IOException {
        try (var files = java.nio.file.Files.walk(dir)) {
            for (java.nio.file.Path f : files.filter(p -> p.getParent() != null && p.getParent().getFileName().toString().equals("containers")
                    && p.toString().endsWith(".properties")).toList()) {
                java.util.Properties props = new java.util.Properties();
                try (var r = java.nio.file.Files.newBufferedReader(f)) {
                    props.load(r);
                }
                String start = props.getProperty("startInstant", "");
                ProcessHandle.of(Long.parseLong(props.getProperty("pid", "-1")))
                        .filter(h -> h.info().startInstant().map(i -> i.toString().equals(start)).orElse(false))
                        .ifPresent(h -> {
                            h.descendants().forEach(ProcessHandle::destroyForcibly);
                            h.destroyForcibly();
                        });
            }
        }
    }
}
