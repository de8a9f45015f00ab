package steerscope.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import steerscope.util.Interrupts;
import steerscope.util.UserError;

/**
 * Every output is written to a temporary file beside its target, forced to disk, then renamed into place,
 * so a reader (or a resumed run) sees either the old file or the whole new one, never half of one.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Tests: runs before each file is written; an IOException it throws acts as a full or read-only disk. */
    @FunctionalInterface
    public interface Fault {
        void before(Path target) throws IOException;
    }

    private static volatile Fault fault = target -> {};

    /** Tests only: inject I/O faults (null removes them), so disk-full paths run without root or a tmpfs. */
    public static void injectFault(Fault f) {
        fault = f == null ? target -> {} : f;
    }

    public static void write(Path target, Writer writer) {
        Interrupts.critical(() -> writeNow(target, writer)); // Ctrl-C waits for the rename
    }

    private static void writeNow(Path target, Writer writer) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            fault.before(target);
            try (var channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
                 OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20)) {
                writer.write(out);
                out.flush();
                channel.force(true);
            }
            try {
                // createTempFile makes the file owner-only; outputs are meant to be read and shared like any file
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep its default
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            syncDirectory(dir);
        } catch (IOException e) {
            throw UserError.inFile(target, "cannot write: " + IoErrors.describe(e));
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the target was not touched
                }
            }
        }
    }

    /**
     * Forces a directory's entries (a rename into it, a new file) to disk, so a power loss cannot leave a name
     * pointing at nothing. Linux and macOS allow it; Windows cannot open a directory and needs no such step.
     */
    public static void syncDirectory(Path dir) throws IOException {
        try (var ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            if (!System.getProperty("os.name", "").startsWith("Windows")) throw e;
        }
    }

    public static void writeString(Path target, String text) {
        write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    public static void writeBytes(Path target, byte[] bytes) {
        write(target, out -> out.write(bytes));
    }

}
