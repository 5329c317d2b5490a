package org.cellspark.vocab;

import java.io.Serializable;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A Geneformer gene vocabulary: token ids (genes and special tokens), each gene's non-zero median
 * expression, the mapping of input gene IDs onto vocabulary genes, and gene symbols.
 *
 * <p>Immutable and serializable, so it can be broadcast to executors. Built by {@link
 * VocabularyLoader}, which checks it is complete (every gene has a token and a median).
 */
public final class Vocabulary implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String PAD = "<pad>";
  public static final String MASK = "<mask>";
  public static final String CLS = "<cls>";
  public static final String EOS = "<eos>";

  private final String location;
  private final Map<String, Integer> tokenIds;
  private final Map<String, Double> medians;
  private final Map<String, String> mapping; // null = identity over the genes, as upstream
  private final Map<String, String> symbolToId;
  private final List<SourceFile> files;

  /** One file the vocabulary was read from, with its SHA-256 (for job summaries). */
  public record SourceFile(DictionaryKind kind, String path, String sha256)
      implements Serializable {}

  Vocabulary(
      String location,
      Map<String, Integer> tokenIds,
      Map<String, Double> medians,
      Map<String, String> mapping,
      Map<String, String> symbolToId,
      List<SourceFile> files) {
    this.location = location;
    this.tokenIds = Collections.unmodifiableMap(tokenIds);
    this.medians = Collections.unmodifiableMap(medians);
    this.mapping = mapping == null ? null : Collections.unmodifiableMap(mapping);
    this.symbolToId = Collections.unmodifiableMap(symbolToId);
    this.files = List.copyOf(files);
  }

  /**
   * A vocabulary built in code (tests, generated vocabularies): every non-special token must have a
   * median; mapping entries whose target is not a gene are dropped, as when loading.
   *
   * @param mapping upper-case input ID to gene ID, or null for the identity mapping
   */
  public static Vocabulary of(
      String location,
      Map<String, Integer> tokenIds,
      Map<String, Double> medians,
      Map<String, String> mapping,
      Map<String, String> symbolToId) {
    return create(location, tokenIds, medians, mapping, symbolToId, List.of());
  }

  static Vocabulary create(
      String location,
      Map<String, Integer> tokenIds,
      Map<String, Double> medians,
      Map<String, String> mapping,
      Map<String, String> symbolToId,
      List<SourceFile> files) {
    // Entries by token id: pickled dicts come back in hash order, and listings should be stable.
    Map<String, Integer> byId = new LinkedHashMap<>();
    tokenIds.entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(e -> byId.put(e.getKey(), e.getValue()));
    Map<String, Double> geneMedians = new LinkedHashMap<>();
    for (String key : byId.keySet()) {
      if (!isSpecialTokenName(key)) {
        Double m = medians.get(key);
        if (m == null) {
          throw new IllegalArgumentException("gene " + key + " has no median");
        }
        geneMedians.put(key, m);
      }
    }
    Map<String, String> kept = null;
    if (mapping != null) {
      kept = new HashMap<>();
      for (Map.Entry<String, String> e : mapping.entrySet()) {
        if (geneMedians.containsKey(e.getValue())) {
          kept.put(e.getKey().toUpperCase(Locale.ROOT), e.getValue());
        }
      }
    }
    return new Vocabulary(location, byId, geneMedians, kept, symbolToId, files);
  }

  /** Where it was loaded from, for messages. */
  public String location() {
    return location;
  }

  public List<SourceFile> files() {
    return files;
  }

  /**
   * Number of entries of the token dictionary (genes and special tokens): the model's vocab_size.
   */
  public int size() {
    return tokenIds.size();
  }

  public int geneCount() {
    return medians.size();
  }

  /** Gene IDs and special tokens with their ids, in the dictionary's order. */
  public Map<String, Integer> tokenIds() {
    return tokenIds;
  }

  /** Gene ID -> non-zero median, in the dictionary's order; exactly the vocabulary's genes. */
  public Map<String, Double> medians() {
    return medians;
  }

  public boolean isSpecialToken(String key) {
    return isSpecialTokenName(key);
  }

  static boolean isSpecialTokenName(String key) {
    return key.length() > 2 && key.charAt(0) == '<' && key.charAt(key.length() - 1) == '>';
  }

  public OptionalInt tokenId(String key) {
    Integer id = tokenIds.get(key);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  public int padId() {
    return tokenIds.get(PAD);
  }

  public OptionalInt clsId() {
    return tokenId(CLS);
  }

  public OptionalInt eosId() {
    return tokenId(EOS);
  }

  /** True for V2-style vocabularies, which have both {@code <cls>} and {@code <eos>}. */
  public boolean hasClsAndEos() {
    return tokenIds.containsKey(CLS) && tokenIds.containsKey(EOS);
  }

  /** The median of a vocabulary gene; throws for anything else. */
  public double median(String geneId) {
    Double m = medians.get(geneId);
    if (m == null) {
      throw new IllegalArgumentException("not a vocabulary gene: " + geneId);
    }
    return m;
  }

  /** True when no mapping dictionary was given (identity over the genes, as upstream). */
  public boolean identityMapping() {
    return mapping == null;
  }

  /**
   * The vocabulary gene an input gene ID stands for, or null: the ID is upper-cased and looked up
   * in the mapping dictionary (already restricted to targets that are vocabulary genes), or,
   * without one, must itself be a vocabulary gene. This is upstream's {@code ensembl_id_collapsed}.
   */
  public String mapInputId(String inputId) {
    if (inputId == null) {
      return null;
    }
    String upper = inputId.toUpperCase(Locale.ROOT);
    if (mapping == null) {
      return medians.containsKey(upper) ? upper : null;
    }
    return mapping.get(upper);
  }

  /**
   * The token of a gene named by Ensembl ID (any case) or symbol (as written, then upper case);
   * never a special token. Empty when no dictionary knows the name.
   */
  public OptionalInt geneToken(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    for (String id : new String[] {name, upper, symbolToId.get(name), symbolToId.get(upper)}) {
      if (id != null && !isSpecialToken(id)) {
        Integer t = tokenIds.get(id);
        if (t != null) {
          return OptionalInt.of(t);
        }
      }
    }
    return OptionalInt.empty();
  }

  /** Gene symbol -> gene ID (empty when the folder has no gene name dictionary). */
  public Map<String, String> symbolToId() {
    return symbolToId;
  }

  /**
   * The organism of the vocabulary's genes, from their Ensembl IDs (Geneformer's are human); null
   * when its genes are not Ensembl IDs of one organism.
   */
  public Organism organism() {
    return Organism.ofEnsemblIds(medians.keySet());
  }

  /**
   * A short description for messages, e.g. "V1-style vocabulary at X (25,426 tokens, human genes,
   * no <cls>/<eos>)".
   */
  public String describe() {
    Organism organism = organism();
    return String.format(
        Locale.ROOT,
        "%s vocabulary at %s (%,d tokens%s%s)",
        hasClsAndEos() ? "V2-style" : "V1-style",
        location,
        size(),
        organism == null ? "" : ", " + organism.name() + " genes",
        hasClsAndEos() ? ", with <cls>/<eos>" : ", no <cls>/<eos>");
  }
}
