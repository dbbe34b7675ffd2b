package dev.stratafs.cli;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;

/**
 * {@code stratafs image ...} and {@code stratafs mount --image ...} live in
 * dev.stratafs.cli.image, which a build may leave out; they are reached by reflection so this
 * package compiles and runs without them.
 */
final class Subcommands {
    static final String IMAGE_COMMAND = "dev.stratafs.cli.image.ImageCommand";

    private Subcommands() {}

    static boolean handles(String[] args) {
        return args.length > 0 && (args[0].equals("image") || args[0].equals("mount"));
    }

    /**
     * Calls {@code ImageCommand.run(String[])} with the words after "image", or with all words for
     * "mount" (so it sees which subcommand was asked). An int result is the exit status.
     */
    static int run(String[] args, PrintStream err) {
        String[] rest = args[0].equals("image") ? Arrays.copyOfRange(args, 1, args.length) : args.clone();
        Method run;
        try {
            Class<?> c = Class.forName(IMAGE_COMMAND);
            run = c.getMethod("run", String[].class);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            err.println("stratafs: image commands are not available in this build");
            return 1;
        }
        try {
            Object target = Modifier.isStatic(run.getModifiers()) ? null : run.getDeclaringClass().getConstructor().newInstance();
            Object result = run.invoke(target, (Object) rest);
            return result instanceof Integer code ? code : 0;
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            err.println("stratafs: " + args[0] + ": " + MountRunner.message(cause));
            return 1;
        } catch (ReflectiveOperationException e) {
            err.println("stratafs: image commands are not available in this build (" + e + ")");
            return 1;
        }
    }
}
