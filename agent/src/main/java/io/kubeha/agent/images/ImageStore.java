package io.kubeha.agent.images;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The images a node can run, with no registry and no container engine: a folder per {@code NAME/TAG}, holding
 * either a jar (run on java, heap sized from the container's memory limit) or a folder with an executable
 * {@code entrypoint}. {@code image.properties} in it says which ({@code type=jar, jar=app.jar, jvmOptions=...} or
 * {@code type=exec, entrypoint=bin/run}); an imported jar or folder gets one written for it.
 * <p>
 * A container's {@code command} replaces the image's entrypoint and {@code args} its default arguments, as for
 * OCI images; a jar image's entrypoint is {@code java [jvmOptions] -Xmx... -jar JAR}.
 */
public final class ImageStore {
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final String META = "image.properties";

    private final Path root;

    public ImageStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** A parsed image reference: {@code name[:tag]}, tag "latest" when absent. */
    public record Ref(String name, String tag) {
        public static Ref parse(String image) {
            if (image == null || image.isBlank()) throw new IllegalArgumentException("an image is needed: NAME[:TAG]");
            String s = image.strip();
            int at = s.indexOf('@');
            if (at >= 0) throw new IllegalArgumentException("image " + image + ": digests are not supported here, use NAME:TAG");
            int colon = s.lastIndexOf(':');
            String name = colon > s.lastIndexOf('/') && colon >= 0 ? s.substring(0, colon) : s;
            String tag = colon > s.lastIndexOf('/') && colon >= 0 ? s.substring(colon + 1) : "latest";
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("image " + image + ": the name must be lower-case letters, digits and . _ - / separators");
            }
            if (!TAG.matcher(tag).matches()) throw new IllegalArgumentException("image " + image + ": invalid tag " + tag);
            return new Ref(name, tag);
        }

        @Override
        public String toString() {
            return name + ":" + tag;
        }
    }

    /** What an image runs when the container says nothing else. */
    public record Image(Ref ref, Path dir, List<String> entrypoint, List<String> defaultArgs, boolean jar) {
    }

    public Optional<Image> find(String image) throws IOException {
        Ref ref = Ref.parse(image);
        Path dir = root.resolve(ref.name()).resolve(ref.tag());
        Path meta = dir.resolve(META);
        if (!Files.isRegularFile(meta)) return Optional.empty();
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        List<String> args = split(p.getProperty("args", ""));
        return switch (p.getProperty("type", "")) {
            case "jar" -> Optional.of(new Image(ref, dir, List.of(dir.resolve(p.getProperty("jar", "app.jar")).toString()), args, true));
            case "exec" -> Optional.of(new Image(ref, dir, List.of(dir.resolve(p.getProperty("entrypoint", "entrypoint")).toString()), args, false));
            default -> throw new IOException("image " + ref + ": " + meta + " has no type=jar or type=exec");
        };
    }

    /**
     * The program and arguments of a container, as a container runtime composes them.
     *
     * @param java        the java launcher for jar images
     * @param memoryLimit the container's memory limit in bytes (0: none); a jar's heap is 3/4 of it
     */
    public List<String> argv(Image image, List<String> command, List<String> args, String java, long memoryLimit, List<String> jvmOptions) {
        List<String> argv = new ArrayList<>();
        if (command != null && !command.isEmpty()) {
            argv.addAll(command);
        } else if (image.jar()) {
            argv.add(java);
            argv.addAll(jvmOptions);
            if (memoryLimit > 0) argv.add("-Xmx" + Math.max(16, memoryLimit * 3 / 4 / (1024 * 1024)) + "m");
            argv.add("-jar");
            argv.add(image.entrypoint().getFirst());
        } else {
            argv.addAll(image.entrypoint());
        }
        if (args != null && !args.isEmpty()) argv.addAll(args);
        else if (command == null || command.isEmpty()) argv.addAll(image.defaultArgs());
        return argv;
    }

    /**
     * {@code kubeha image import NAME:TAG PATH}: a jar, or a folder with an executable {@code entrypoint} or an
     * {@code image.properties}. Replaces an image of the same name and tag.
     */
    public Image importImage(String image, Path source) throws IOException {
        Ref ref = Ref.parse(image);
        if (!Files.exists(source)) throw new IllegalArgumentException("no such file or folder: " + source);
        Path target = root.resolve(ref.name()).resolve(ref.tag());
        Path staging = Files.createDirectories(root.resolve(".staging")).resolve(ref.name().replace('/', '_') + "_" + ref.tag() + "_" + System.nanoTime());
        Files.createDirectories(staging);
        try {
            if (Files.isRegularFile(source)) {
                if (!source.getFileName().toString().endsWith(".jar")) {
                    throw new IllegalArgumentException(source + " is neither a jar nor a folder");
                }
                Files.copy(source, staging.resolve("app.jar"));
                Files.writeString(staging.resolve(META), "type=jar\njar=app.jar\n");
            } else {
                copyTree(source, staging);
                if (!Files.exists(staging.resolve(META))) {
                    Path entry = staging.resolve("entrypoint");
                    if (!Files.isRegularFile(entry)) {
                        throw new IllegalArgumentException(source + " has neither an image.properties nor an executable file named entrypoint");
                    }
                    entry.toFile().setExecutable(true);
                    Files.writeString(staging.resolve(META), "type=exec\nentrypoint=entrypoint\n");
                }
            }
            Files.createDirectories(target.getParent());
            deleteTree(target);
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            deleteTree(staging);
        }
        return find(ref.toString()).orElseThrow();
    }

    /** The images present, as NAME:TAG. */
    public List<String> list() throws IOException {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().equals(META))
                    .map(p -> root.relativize(p.getParent()))
                    .filter(p -> !p.startsWith(".staging") && p.getNameCount() >= 2)
                    .map(p -> p.getParent().toString().replace('\\', '/') + ":" + p.getFileName())
                    .sorted().toList();
        }
    }

    private static List<String> split(String s) {
        return s.isBlank() ? List.of() : Arrays.asList(s.strip().split("\\s+"));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    try {
                        Files.createDirectories(t);
                    } catch (FileAlreadyExistsException ignored) {
                        // the root
                    }
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** For tests and built-in images: whether an image is present. */
    public boolean has(String image) {
        try {
            return find(image).isPresent();
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

}
