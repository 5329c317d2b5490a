package org.cellspark.app;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The JDKs installed on this machine (under /usr/lib/jvm), for tests that run Cellspark on another
 * Java than the build's.
 */
final class Jdks {
  private Jdks() {}

  /**
   * A JDK of version {@code atLeast} or later installed on this machine; the test is skipped,
   * saying so, if none.
   */
  static Path fromVersion(int atLeast) throws IOException {
    Optional<Path> found = Optional.empty();
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> homes = Files.list(jvms)) {
        found =
            homes
                .filter(h -> feature(h) >= atLeast && Files.isExecutable(h.resolve("bin/java")))
                .sorted()
                .findFirst();
      }
    }
    assumeTrue(
        found.isPresent(),
        "no Java " + atLeast + " or later installed under /usr/lib/jvm to run Cellspark on");
    return found.get();
  }

  /** The feature version in a JDK's release file (JAVA_VERSION="25.0.3"), or 0. */
  static int feature(Path javaHome) {
    try {
      Matcher m =
          Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)")
              .matcher(Files.readString(javaHome.resolve("release")));
      return m.find() ? Integer.parseInt(m.group(1)) : 0;
    } catch (IOException e) {
      return 0;
    }
  }
}
