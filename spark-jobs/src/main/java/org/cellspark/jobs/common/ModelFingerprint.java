package org.cellspark.jobs.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** SHA-256 over a model's files (config.json and weights), so a summary says which model ran. */
public final class ModelFingerprint {
  private ModelFingerprint() {}

  public static String of(Path model) {
    Path p = model.toAbsolutePath().normalize();
    try {
      List<Path> files;
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          files =
              s.filter(
                      f -> {
                        String n = f.getFileName().toString();
                        return n.equals("config.json")
                            || n.endsWith(".safetensors") // a whole file, or shards
                            || (n.startsWith("pytorch_model") && n.endsWith(".bin"))
                            || n.endsWith(".index.json") // a sharded checkpoint's index
                            || n.endsWith(".pt");
                      })
                  .sorted()
                  .toList();
        }
      } else {
        files = List.of(p.resolveSibling("config.json"), p);
      }
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Path f : files) {
        if (!Files.isRegularFile(f)) {
          continue;
        }
        digest.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        try (InputStream in = new DigestInputStream(Files.newInputStream(f), digest)) {
          in.transferTo(OutputStream.nullOutputStream());
        }
      }
      return "sha256:" + HexFormat.of().formatHex(digest.digest());
    } catch (IOException | NoSuchAlgorithmException e) {
      return "unavailable: " + e.getMessage();
    }
  }
}
