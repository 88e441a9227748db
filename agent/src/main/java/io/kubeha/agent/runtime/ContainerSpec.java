package io.kubeha.agent.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One container to start, fully resolved by the agent: what to run, with which environment, where, and where its
 * output goes. The runtime adds nothing of its own but the process.
 *
 * @param podUid      the pod's uid (a runtime may key its bookkeeping on it)
 * @param container   the container's name in the pod
 * @param image       the image reference, as the pod spec gives it (for status)
 * @param argv        the program and its arguments
 * @param env         the whole environment of the process
 * @param workDir     its working directory (exists)
 * @param logFile     stdout and stderr are appended here
 * @param memoryLimit bytes, 0 for none
 * @param files       files the container sees at other paths (target path -> source file), such as the pod's
 *                    /etc/resolv.conf and /etc/hosts; a runtime that cannot place them says so (see ProcessRuntime)
 * @param netns       the network namespace the container runs in (a /run/netns file: the pod's in --netns mode);
 *                    null for the agent's own
 */
public record ContainerSpec(String podUid, String container, String image, List<String> argv, Map<String, String> env,
                            Path workDir, Path logFile, long memoryLimit, Map<String, Path> files, Path netns) {
    public ContainerSpec {
        Objects.requireNonNull(podUid, "podUid");
        Objects.requireNonNull(container, "container");
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
        files = Map.copyOf(files);
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(logFile, "logFile");
        if (argv.isEmpty()) throw new IllegalArgumentException("nothing to run for container " + container);
    }

    /** A container in the agent's own network namespace. */
    public ContainerSpec(String podUid, String container, String image, List<String> argv, Map<String, String> env,
                         Path workDir, Path logFile, long memoryLimit, Map<String, Path> files) {
        this(podUid, container, image, argv, env, workDir, logFile, memoryLimit, files, null);
    }

    /** This container in the network namespace {@code netns} (null: the agent's own). */
    public ContainerSpec inNetns(Path netns) {
        return new ContainerSpec(podUid, container, image, argv, env, workDir, logFile, memoryLimit, files, netns);
    }
}
