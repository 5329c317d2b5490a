package org.cellspark.jobs.tokenize;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import org.cellspark.encode.GeneIndexMapping;
import org.cellspark.error.UserException;
import org.cellspark.io.Annotations;
import org.cellspark.io.AtlasInput;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.ColumnKind;
import org.cellspark.vocab.Organism;
import org.cellspark.vocab.Vocabulary;

/**
 * What the driver learns about one input before any cell is read, with every check that can be made
 * there: the counts location, the gene IDs and their coverage of the vocabulary, and the obs
 * columns the job uses (n_counts, filter_pass, attributes) with their kinds.
 *
 * @param cells cells in the file; -1 when only reading tells (long tables)
 * @param matrix the counts matrix, described (layout, dtype, compression)
 * @param inputGenes genes in the file's gene table
 * @param mapping the file's genes onto the vocabulary
 * @param geneIds the file's gene IDs (or symbols) by column, for messages naming a gene
 * @param hasNCounts whether obs has the n_counts column
 * @param hasFilterPass whether obs has the filter-pass column and it is used
 * @param obsKinds the obs columns the job reads, with their kinds
 * @param symbols with {@code --gene-id-type symbol}: how the symbols matched; else null
 */
record InspectedInput(
    InputFile file,
    long cells,
    String matrix,
    int inputGenes,
    GeneIndexMapping mapping,
    String[] geneIds,
    boolean hasNCounts,
    boolean hasFilterPass,
    Map<String, ColumnKind> obsKinds,
    SymbolMatch symbols) {

  /** Checks an opened input against the vocabulary and the options. */
  static InspectedInput inspect(AtlasInput in, Vocabulary vocabulary, TokenizeOptions o) {
    InputFile f = in.file();
    Annotations annotations = in.annotations();
    if (!annotations.kept() && !o.attributes().isEmpty()) {
      throw UserException.of(
          "Input %s is %s, which holds no cell annotations; leave out --attribute (or convert it"
              + " to .h5ad with its annotations)",
          f.name(), in.format().describedAs());
    }
    in.refuseGeneIdColumn(o.geneIdColumn(), " (and pass --gene-id-type symbol to use the symbols)");
    String[] keys = in.geneKeys();
    if (o.geneIdType() == GeneIdType.SYMBOL
        && (keys == null || Arrays.stream(keys).allMatch(Objects::isNull))) {
      throw UserException.of(
          "Input %s: %s holds no gene symbols, which --gene-id-type symbol needs",
          f.name(), in.geneKeySource());
    }
    Genes genes = Genes.match(f, keys, vocabulary, o, in.geneKeySource());
    Checked a =
        annotations.kept()
            ? Checked.check(
                f, annotations.what(), annotations::has, annotations::kind, annotations.names(), o)
            : new Checked(false, false, Map.of());
    return new InspectedInput(
        f,
        in.cells(),
        in.describe(),
        in.genes(),
        genes.mapping(),
        keys,
        a.hasNCounts(),
        a.hasFilterPass(),
        a.kinds(),
        genes.symbols());
  }

  /**
   * The annotation columns a job uses, checked: n_counts numeric, filter_pass not text, attributes
   * present.
   */
  private record Checked(boolean hasNCounts, boolean hasFilterPass, Map<String, ColumnKind> kinds) {
    static Checked check(
        InputFile f,
        String what,
        Predicate<String> has,
        Function<String, ColumnKind> kindOf,
        List<String> names,
        TokenizeOptions o) {
      Map<String, ColumnKind> kinds = new LinkedHashMap<>();
      boolean hasNCounts = has.test(o.nCountsColumn());
      if (hasNCounts) {
        ColumnKind k = kindOf.apply(o.nCountsColumn());
        if (k != ColumnKind.LONG && k != ColumnKind.DOUBLE) {
          throw UserException.of(
              "Input %s: %s '%s' holds %s values, not numbers; it must be each cell's total"
                  + " count (or pass --n-counts-column with the right column)",
              f.name(), what, o.nCountsColumn(), k.name().toLowerCase(Locale.ROOT));
        }
        kinds.put(o.nCountsColumn(), k);
      }
      boolean hasFilterPass = o.useFilterPass() && has.test(o.filterPassColumn());
      if (hasFilterPass) {
        ColumnKind k = kindOf.apply(o.filterPassColumn());
        if (k == ColumnKind.STRING) {
          throw UserException.of(
              "Input %s: %s '%s' holds strings; filter_pass must be 1/0 or true/false (or"
                  + " pass --no-filter-pass)",
              f.name(), what, o.filterPassColumn());
        }
        kinds.put(o.filterPassColumn(), k);
      }
      for (TokenizeOptions.Attribute a : o.attributes()) {
        if (!has.test(a.obsColumn())) {
          throw UserException.of(
              "Input %s has no %s '%s' (asked for by --attribute); it has: %s",
              f.name(), what, a.obsColumn(), String.join(", ", names));
        }
        kinds.put(a.obsColumn(), kindOf.apply(a.obsColumn()));
      }
      return new Checked(hasNCounts, hasFilterPass, kinds);
    }
  }

  /**
   * An input's genes on the vocabulary: IDs directly, or symbols through the gene name dictionary.
   */
  private record Genes(GeneIndexMapping mapping, SymbolMatch symbols) {
    /**
     * @param source where the IDs (or symbols) come from, for messages: "--gene-id-column (now
     *     'x')", "features/id"
     */
    static Genes match(
        InputFile f, String[] geneIds, Vocabulary vocabulary, TokenizeOptions o, String source) {
      SymbolMatch symbols =
          o.geneIdType() == GeneIdType.SYMBOL
              ? SymbolMatch.of(geneIds, vocabulary.symbolToId())
              : null;
      checkOrganism(f, geneIds, vocabulary, symbols, o);
      GeneIndexMapping mapping =
          GeneIndexMapping.build(symbols == null ? geneIds : symbols.ids(), vocabulary);
      checkGeneMatch(f, geneIds, mapping, symbols, o, source);
      return new Genes(mapping, symbols);
    }
  }

  /**
   * Another organism's genes are refused before coverage is measured, with what to do: Ensembl IDs
   * of another species (ENSMUSG for a human vocabulary) cannot match at all; another organism's
   * symbols match by upper case only, which takes same-named genes for orthologs, so it happens
   * only on request ({@code --cross-species}).
   */
  private static void checkOrganism(
      InputFile f,
      String[] geneIds,
      Vocabulary vocabulary,
      SymbolMatch symbols,
      TokenizeOptions o) {
    Organism ours = vocabulary.organism();
    String vocabularyGenes =
        ours == null ? "the vocabulary's genes" : "the vocabulary's " + ours.name() + " genes";
    if (symbols != null) {
      if (symbols.anotherOrganismsStyle() && !o.crossSpecies()) {
        throw UserException.of(
            "Input %s: its gene symbols are written %s (%s): %,d of them match %s only once"
                + " upper-cased, %,d as written. Pass --cross-species to map them by upper case"
                + " anyway (same-named genes taken for orthologs; the counts go to"
                + " _cellspark.json), or map the genes to %s orthologs first.",
            f.name(),
            symbols.style(),
            String.join(
                ", ",
                symbols.byCaseExamples().subList(0, Math.min(3, symbols.byCaseExamples().size()))),
            symbols.byCase(),
            vocabularyGenes,
            symbols.matchedExactly(),
            ours == null ? "the vocabulary's" : ours.name());
      }
      return;
    }
    Organism theirs = Organism.ofEnsemblIds(Arrays.asList(geneIds));
    if (ours != null && theirs != null && !theirs.sameSpecies(ours)) {
      throw UserException.of(
          "Input %s: %,d of its %,d gene IDs are %s Ensembl IDs (%s...), and the vocabulary is for"
              + " %s genes (%s...), so none can match. Map the genes to %s orthologs first (e.g."
              + " Ensembl's ortholog tables), or use a vocabulary built from %s data (cellspark"
              + " medians). (--cross-species maps gene symbols, not IDs.)",
          f.name(),
          theirs.ids(),
          geneIds.length,
          theirs.name(),
          theirs.prefix(),
          ours.name(),
          ours.prefix(),
          ours.name(),
          theirs.name());
    }
  }

  /**
   * Coverage is measured on the vocabulary (what fraction of its genes the input has), not on the
   * input: atlases carry 30-60k features of which only the ~20k vocabulary genes can match.
   */
  private static void checkGeneMatch(
      InputFile f,
      String[] geneIds,
      GeneIndexMapping m,
      SymbolMatch symbols,
      TokenizeOptions o,
      String source) {
    if (m.vocabularyCoverage() >= o.minGeneMatch()) {
      return;
    }
    String coverage =
        String.format(
            Locale.ROOT,
            "Input %s: only %,d of the vocabulary's %,d genes (%.1f%%) are among its %,d genes,"
                + " below --min-gene-match %.0f%%.",
            f.name(),
            m.matchedGenes(),
            m.vocabularyGenes(),
            100 * m.vocabularyCoverage(),
            geneIds.length,
            100 * o.minGeneMatch());
    if (symbols != null) {
      throw UserException.of(
          "%s %,d of its symbols are not in the vocabulary's gene name dictionary (first: %s)."
              + " Check that %s holds gene symbols of the vocabulary's organism (or use"
              + " --gene-id-type ensembl for Ensembl IDs). Lower --min-gene-match only if the data"
              + " really covers fewer genes.",
          coverage, symbols.unmatched(), String.join(", ", symbols.unmatchedExamples()), source);
    }
    boolean versioned =
        Arrays.stream(geneIds)
            .limit(200)
            .anyMatch(id -> id != null && id.matches("(?i)ENS[A-Z]*G\\d+\\.\\d+"));
    throw UserException.of(
        "%s %s%s Check that %s holds Ensembl gene IDs of the organism and release of the"
            + " vocabulary; for gene symbols pass --gene-id-type symbol. Lower --min-gene-match"
            + " only if the data really covers fewer genes.",
        coverage,
        m.unmatchedExamples().isEmpty()
            ? "Every input ID is in the vocabulary: the input holds few genes."
            : "First input IDs not in the vocabulary: "
                + String.join(", ", m.unmatchedExamples())
                + ".",
        versioned ? " The IDs carry version suffixes (ENSG....N): strip them." : "",
        source);
  }
}
