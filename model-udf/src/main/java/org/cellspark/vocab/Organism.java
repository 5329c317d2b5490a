package org.cellspark.vocab;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The organism a set of Ensembl gene IDs belongs to. Ensembl writes a species code between {@code
 * ENS} and {@code G}: none for human ({@code ENSG}), {@code MUS} for mouse ({@code ENSMUSG}),
 * {@code RNO} for rat and so on. Geneformer's vocabularies are human; a vocabulary built with
 * {@code cellspark medians} from another organism's data is that organism's.
 *
 * @param code Ensembl's species code ("" for human)
 * @param ids how many of the IDs looked at carry it
 * @param ensemblIds how many of them were Ensembl gene IDs at all
 */
public record Organism(String code, int ids, int ensemblIds) {
  private static final Pattern ENSEMBL_GENE = Pattern.compile("^ENS([A-Z]*)G\\d{6,}(\\.\\d+)?$");
  private static final Map<String, String> NAMES =
      Map.ofEntries(
          Map.entry("", "human"),
          Map.entry("MUS", "mouse"),
          Map.entry("RNO", "rat"),
          Map.entry("DAR", "zebrafish"),
          Map.entry("MMU", "rhesus macaque"),
          Map.entry("MFA", "crab-eating macaque"),
          Map.entry("PTR", "chimpanzee"),
          Map.entry("SSC", "pig"),
          Map.entry("BTA", "cattle"),
          Map.entry("CAF", "dog"),
          Map.entry("GAL", "chicken"),
          Map.entry("XET", "frog (Xenopus tropicalis)"),
          Map.entry("OAR", "sheep"),
          Map.entry("ECA", "horse"),
          Map.entry("OCU", "rabbit"),
          Map.entry("CJA", "marmoset"));

  /**
   * The species code most of {@code ids} carry, when more than half of the Ensembl gene IDs among
   * them carry it; null when there are no Ensembl gene IDs or no majority.
   */
  public static Organism ofEnsemblIds(Iterable<String> ids) {
    Map<String, Integer> byCode = new HashMap<>();
    int ensembl = 0;
    for (String id : ids) {
      Matcher m = id == null ? null : ENSEMBL_GENE.matcher(id.trim().toUpperCase(Locale.ROOT));
      if (m != null && m.matches()) {
        ensembl++;
        byCode.merge(m.group(1), 1, Integer::sum);
      }
    }
    final int total = ensembl;
    return byCode.entrySet().stream()
        .filter(e -> e.getValue() * 2 > total)
        .findFirst()
        .map(e -> new Organism(e.getKey(), e.getValue(), total))
        .orElse(null);
  }

  /** "human", "mouse", ... or "Ensembl species code XYZ" for one not named here. */
  public String name() {
    return NAMES.getOrDefault(code, "Ensembl species code " + code);
  }

  /** How its gene IDs start: ENSG, ENSMUSG, ... */
  public String prefix() {
    return "ENS" + code + "G";
  }

  /** Whether two organisms are the same species (whatever the counts). */
  public boolean sameSpecies(Organism other) {
    return other != null && code.equals(other.code);
  }

  @Override
  public String toString() {
    return name() + " (" + prefix() + "...)";
  }
}
