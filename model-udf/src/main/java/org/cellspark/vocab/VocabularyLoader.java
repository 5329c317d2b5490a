package org.cellspark.vocab;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.error.Bug;
import org.cellspark.error.UserException;
import org.cellspark.files.HadoopConfs;
import org.cellspark.files.Locations;
import org.cellspark.files.RemoteCopies;

/**
 * Loads a vocabulary folder: Geneformer's dictionaries as pickles (unsuffixed, {@code _gc30M},
 * {@code _gc95M} or {@code _gc104M} names) or as TSV files with the same stems, and checks that
 * they make one consistent vocabulary.
 */
public final class VocabularyLoader {
  private VocabularyLoader() {}

  public static Vocabulary load(Path folder) {
    return load(folder, folder.toString());
  }

  /**
   * Loads a vocabulary as jobs name it: a folder (a path or a {@code file:} URI) or a bundled
   * vocabulary ({@code builtin:geneformer-v1}, copied to a temporary folder first).
   */
  public static Vocabulary load(String location) {
    return load(location, null);
  }

  /**
   * As {@link #load(String)}, a remote folder read with {@code hadoop} (null: this JVM's, {@link
   * HadoopConfs#forThisJvm}); for callers without a Spark session to take the settings from.
   */
  public static Vocabulary load(String location, Configuration hadoop) {
    if (BundledVocabulary.isBundled(location)) {
      try {
        Path dir = Files.createTempDirectory("cellspark-vocab-");
        dir.toFile().deleteOnExit();
        Path folder = BundledVocabulary.extract(location, dir);
        try (var files = Files.list(folder)) {
          files.forEach(f -> f.toFile().deleteOnExit());
        }
        return load(folder, location);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (Locations.isRemote(location)) { // s3a://, gs://, hdfs://: read from a local copy
      return load(
          RemoteCopies.folderOrFile(
              location, hadoop != null ? hadoop : HadoopConfs.forThisJvm(), "Vocabulary folder"),
          location);
    }
    return load(Paths.get(location.startsWith("file:") ? location.substring(5) : location));
  }

  /** As {@link #load(Path)}, naming the vocabulary {@code location} in messages and summaries. */
  public static Vocabulary load(Path folder, String location) {
    if (!Files.isDirectory(folder)) {
      throw UserException.of(
          "Vocabulary folder %s does not exist or is not a folder; pass --vocabulary <folder>"
              + " holding token_dictionary*.pkl and gene_median_dictionary*.pkl (or .tsv)",
          folder);
    }
    Map<DictionaryKind, Path> paths = locate(folder);
    List<Vocabulary.SourceFile> sources = new ArrayList<>();
    // A copy of a remote folder is named by where its files came from.
    boolean copy = Locations.isRemote(location);
    paths.forEach(
        (kind, p) ->
            sources.add(
                new Vocabulary.SourceFile(
                    kind,
                    copy ? location.replaceAll("/+$", "") + "/" + p.getFileName() : p.toString(),
                    sha256(p))));

    Path tokenFile = paths.get(DictionaryKind.TOKENS);
    Path medianFile = paths.get(DictionaryKind.MEDIANS);
    Map<String, Integer> tokenIds = tokenIds(tokenFile, DictionaryFileReader.read(tokenFile));
    Map<String, Double> medians = medians(medianFile, DictionaryFileReader.read(medianFile));
    checkGenesHaveMedians(tokenFile, tokenIds, medianFile, medians);
    Path mappingFile = paths.get(DictionaryKind.MAPPING);
    Map<String, String> mapping =
        mappingFile == null ? null : strings(mappingFile, DictionaryFileReader.read(mappingFile));
    Path namesFile = paths.get(DictionaryKind.NAMES);
    Map<String, String> symbols =
        namesFile == null ? Map.of() : strings(namesFile, DictionaryFileReader.read(namesFile));
    return Vocabulary.create(location, tokenIds, medians, mapping, symbols, sources);
  }

  /**
   * Folders up to three levels below {@code folder} holding a token dictionary (a clone of
   * Geneformer's repository keeps V2's in geneformer/, V1's in geneformer/gene_dictionaries_30m/),
   * relative to it: the first five found, in name order.
   */
  private static List<String> vocabulariesBelow(Path folder) {
    try (var walk = Files.walk(folder, 4)) {
      return walk.filter(f -> f.getFileName().toString().startsWith(DictionaryKind.TOKENS.stem()))
          .map(Path::getParent)
          .filter(d -> !d.equals(folder))
          .distinct()
          .map(d -> folder.relativize(d).toString())
          .limit(5) // the walk is lazy: it stops at the fifth
          .sorted()
          .toList();
    } catch (IOException | UncheckedIOException e) {
      return List.of(); // an unreadable subfolder: the refusal says what it can without
    }
  }

  /** Finds one file per dictionary kind; two candidates for one kind is an error, not a guess. */
  static Map<DictionaryKind, Path> locate(Path folder) {
    Map<DictionaryKind, Path> found = new EnumMap<>(DictionaryKind.class);
    Map<DictionaryKind, String> suffixOf = new EnumMap<>(DictionaryKind.class);
    for (DictionaryKind kind : DictionaryKind.values()) {
      List<Path> candidates = new ArrayList<>();
      List<String> suffixes = new ArrayList<>();
      for (String suffix : DictionaryKind.SUFFIXES) {
        for (String ext : DictionaryKind.EXTENSIONS) {
          Path p = folder.resolve(kind.stem() + suffix + ext);
          if (Files.isRegularFile(p)) {
            candidates.add(p);
            suffixes.add(suffix);
          }
        }
      }
      if (candidates.size() > 1) {
        throw UserException.of(
            "Vocabulary folder %s has %d candidate %s files (%s); keep exactly one per folder, e.g."
                + " put V1 (_gc30M) and V2 (_gc104M) dictionaries in separate folders",
            folder,
            candidates.size(),
            kind.stem(),
            candidates.stream()
                .map(p -> p.getFileName().toString())
                .collect(Collectors.joining(", ")));
      }
      if (candidates.isEmpty()) {
        if (kind.required()) {
          List<String> below =
              kind == DictionaryKind.TOKENS ? vocabulariesBelow(folder) : List.of();
          throw UserException.of(
              "Vocabulary folder %s has no %s (%s); expected one of %s.pkl, %s_gc30M.pkl,"
                  + " %s_gc104M.pkl or the same names with .tsv%s",
              folder,
              kind.stem(),
              kind.content(),
              kind.stem(),
              kind.stem(),
              kind.stem(),
              below.isEmpty()
                  ? ""
                  : ". Folders below it hold token dictionaries: pass one of them ("
                      + String.join(", ", below)
                      + ")");
        }
        continue;
      }
      found.put(kind, candidates.get(0));
      suffixOf.put(kind, suffixes.get(0));
    }
    String tokenSuffix = canonicalSuffix(suffixOf.get(DictionaryKind.TOKENS));
    for (Map.Entry<DictionaryKind, String> e : suffixOf.entrySet()) {
      if (!canonicalSuffix(e.getValue()).equals(tokenSuffix)) {
        throw UserException.of(
            "Vocabulary folder %s mixes dictionaries of different corpora: %s and %s; use the four"
                + " files of one Geneformer version together",
            folder,
            found.get(DictionaryKind.TOKENS).getFileName(),
            found.get(e.getKey()).getFileName());
      }
    }
    return found;
  }

  /** Unsuffixed names are V1's original ones; _gc95M and _gc104M are the same V2 files. */
  private static String canonicalSuffix(String suffix) {
    return switch (suffix) {
      case "", "_gc30M" -> "V1-or-unsuffixed";
      default -> "V2";
    };
  }

  private static Map<String, Integer> tokenIds(Path file, Map<String, Object> raw) {
    Map<String, Integer> ids = new LinkedHashMap<>(raw.size() * 2);
    Map<Integer, String> byId = new HashMap<>(raw.size() * 2);
    for (Map.Entry<String, Object> e : raw.entrySet()) {
      long id = integer(file, e.getKey(), e.getValue());
      if (id < 0 || id > Integer.MAX_VALUE) {
        throw UserException.of("%s: token id %d of '%s' is out of range", file, id, e.getKey());
      }
      String previous = byId.put((int) id, e.getKey());
      if (previous != null) {
        throw UserException.of(
            "%s: '%s' and '%s' have the same token id %d; token ids must be unique",
            file, previous, e.getKey(), id);
      }
      ids.put(e.getKey(), (int) id);
    }
    if (!ids.containsKey(Vocabulary.PAD)) {
      throw UserException.of(
          "%s: no '%s' entry; a Geneformer token dictionary starts with <pad> and <mask>",
          file, Vocabulary.PAD);
    }
    if (ids.size() <= 2) {
      throw UserException.of("%s: holds no genes", file);
    }
    return ids;
  }

  private static long integer(Path file, String key, Object value) {
    if (value instanceof Long l) {
      return l;
    }
    if (value instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException ignored) {
        // reported below
      }
    }
    throw UserException.of("%s: the token id of '%s' is '%s', not an integer", file, key, value);
  }

  private static Map<String, Double> medians(Path file, Map<String, Object> raw) {
    Map<String, Double> out = new HashMap<>(raw.size() * 2);
    for (Map.Entry<String, Object> e : raw.entrySet()) {
      double m;
      if (e.getValue() instanceof Double d) {
        m = d;
      } else if (e.getValue() instanceof Long l) {
        m = l;
      } else if (e.getValue() instanceof String s) {
        try {
          m = Double.parseDouble(s.trim());
        } catch (NumberFormatException ex) {
          throw UserException.because(
              ex, "%s: the median of '%s' is '%s', not a number", file, e.getKey(), s);
        }
      } else {
        throw UserException.of(
            "%s: the median of '%s' is '%s', not a number", file, e.getKey(), e.getValue());
      }
      if (!(m > 0) || Double.isInfinite(m)) {
        throw UserException.of(
            "%s: the median of '%s' is %s; medians must be positive finite numbers (they divide"
                + " expression values)",
            file, e.getKey(), m);
      }
      out.put(e.getKey(), m);
    }
    return out;
  }

  private static void checkGenesHaveMedians(
      Path tokenFile, Map<String, Integer> tokenIds, Path medianFile, Map<String, Double> medians) {
    List<String> missing = new ArrayList<>();
    int count = 0;
    for (String key : tokenIds.keySet()) {
      if (!Vocabulary.isSpecialTokenName(key) && !medians.containsKey(key)) {
        count++;
        if (missing.size() < 5) {
          missing.add(key);
        }
      }
    }
    if (count > 0) {
      throw UserException.of(
          "%,d vocabulary genes of %s have no median in %s (first: %s); every gene needs a median"
              + " for the rank-value encoding. Use the median dictionary that belongs to this token"
              + " dictionary, or rebuild both with 'cellspark medians'.",
          count, tokenFile, medianFile, String.join(", ", missing));
    }
  }

  private static Map<String, String> strings(Path file, Map<String, Object> raw) {
    Map<String, String> out = new HashMap<>(raw.size() * 2);
    for (Map.Entry<String, Object> e : raw.entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw UserException.of(
            "%s: the value of '%s' is '%s', not a gene ID string", file, e.getKey(), e.getValue());
      }
      out.put(e.getKey(), s);
    }
    return out;
  }

  static String sha256(Path file) {
    try (InputStream in =
        new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      byte[] buf = new byte[1 << 16];
      while (in.read(buf) >= 0) {
        // digest as we go
      }
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (IOException e) {
      throw UserException.because(e, "%s: cannot read (%s)", file, e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new Bug("SHA-256 is missing from this JDK", e);
    }
  }
}
