package io.kubeha.cli;

import io.kubeha.agent.images.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "image", mixinStandardHelpOptions = true,
        description = "The node image store: images are jars or folders with an entrypoint, run as processes.",
        subcommands = {ImageCommand.Import.class, ImageCommand.Ls.class})
final class ImageCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "import", mixinStandardHelpOptions = true, description = "Imports a jar or a folder as NAME:TAG.")
    static final class Import implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME:TAG")
        String image;

        @Parameters(index = "1", paramLabel = "PATH", description = "A jar, or a folder with an executable 'entrypoint' or an image.properties.")
        Path path;

        @Option(names = "--image-store", defaultValue = "${sys:user.home}/.kubeha/images", description = "The store (default: ${DEFAULT-VALUE}).")
        Path store;

        @Override
        public Integer call() throws Exception {
            var img = new ImageStore(store).importImage(image, path);
            System.out.println("imported " + img.ref() + " (" + (img.jar() ? "jar" : "exec") + ") into " + store);
            return 0;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists the images in the store.")
    static final class Ls implements Callable<Integer> {
        @Option(names = "--image-store", defaultValue = "${sys:user.home}/.kubeha/images", description = "The store (default: ${DEFAULT-VALUE}).")
        Path store;

        @Override
        public Integer call() throws Exception {
            new ImageStore(store).list().forEach(System.out::println);
            return 0;
        }
    }
}
