package steerscope.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * A file-system error in words, with the path it concerns: "no such file or directory: /proc/.x.tmp-12274"
 * rather than "java.nio.file.NoSuchFileException: /proc/.x.tmp-12274".
 */
public final class IoErrors {
    private IoErrors() {}

    public static String describe(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null) e = u.getCause();
        if (e instanceof FileSystemException f) {
            String what = switch (f) {
                case NoSuchFileException x -> "no such file or directory";
                case AccessDeniedException x -> "permission denied";
                case FileAlreadyExistsException x -> "already exists";
                case NotDirectoryException x -> "not a directory";
                case DirectoryNotEmptyException x -> "directory not empty";
                default -> f.getReason() != null ? lower(f.getReason()) : "file-system error";
            };
            String path = f.getFile() == null ? "" : ": " + f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile());
            return what + path;
        }
        if (e instanceof IOException && e.getMessage() != null) return lower(e.getMessage());
        return String.valueOf(e);
    }

    private static String lower(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
