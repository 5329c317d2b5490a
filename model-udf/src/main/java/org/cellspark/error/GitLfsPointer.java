package org.cellspark.error;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A Git LFS pointer where a file's content should be: the commonest way a model or a dictionary
 * from Hugging Face arrives broken. Its repositories keep weights and pickles in Git LFS, and a
 * clone without LFS (or with {@code GIT_LFS_SKIP_SMUDGE=1} and no {@code git lfs pull} of that
 * file) leaves a 130-byte text file in its place, which a reader would otherwise call corrupt.
 */
public final class GitLfsPointer {
  private static final byte[] PREFIX =
      "version https://git-lfs.github.com/spec/".getBytes(StandardCharsets.US_ASCII);

  private GitLfsPointer() {}

  /** Whether {@code head} (a file's first bytes) begins as a Git LFS pointer does. */
  public static boolean is(byte[] head, int length) {
    return length >= PREFIX.length
        && Arrays.equals(head, 0, PREFIX.length, PREFIX, 0, PREFIX.length);
  }

  /** Refuses {@code file} when it is a Git LFS pointer, naming it and the way out. */
  public static void refuse(Path file) {
    byte[] head = new byte[PREFIX.length];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      return; // unreadable: the reader that opens it next says why
    }
    if (is(head, n)) {
      throw refusal(file.toString());
    }
  }

  /** The refusal of {@code file}, a Git LFS pointer. */
  public static UserException refusal(String file) {
    return UserException.of(
        "%s is a Git LFS pointer, not the file itself: the repository was cloned without its"
            + " large files. Run `git lfs pull --include \"<the file's path>\"` in the clone (Git"
            + " LFS installed), or download the file itself",
        file);
  }
}
