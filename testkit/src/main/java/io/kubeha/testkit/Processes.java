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
}
