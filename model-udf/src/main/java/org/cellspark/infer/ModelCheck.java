package org.cellspark.infer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cellspark.error.UserException;
import org.cellspark.model.BertConfig;

/**
 * Checks, before any cell is embedded, that a model can take a token table: the vocabulary the
 * tokens were made with is the model's, every token id is in the model's vocabulary, the longest
 * cell fits its positions, and the special tokens agree with the pooling. Every problem is reported
 * at once, naming both sides (and, for a token id, a cell that holds it).
 */
public final class ModelCheck {
  private ModelCheck() {}

  public static void check(
      BertConfig model, String modelName, TokenProfile data, EmbeddingSettings settings) {
    List<String> problems = problems(model, data, settings);
    if (!problems.isEmpty()) {
      throw new UserException(
          "Model " + modelName + " does not fit the tokens: " + String.join("; ", problems) + ".");
    }
  }

  /** Every way the model does not fit the tokens; empty when it fits. */
  public static List<String> problems(
      BertConfig model, TokenProfile data, EmbeddingSettings settings) {
    List<String> problems = new ArrayList<>();
    if (data.vocabularyTokens() > 0 && data.vocabularyTokens() != model.vocabSize()) {
      problems.add(
          String.format(
              Locale.ROOT,
              "the tokens were made with %s but the model has vocab_size %,d; tokenize with the"
                  + " model's vocabulary (V1 models: 25,426 tokens, no <cls>; V2: 20,275, <cls>"
                  + " first)",
              data.describeVocabulary(),
              model.vocabSize()));
    }
    TokenProfile.IdRange ids = data.ids();
    if (ids.largest() >= model.vocabSize()) {
      problems.add(
          String.format(
              Locale.ROOT,
              "the tokens include id %,d%s but the model's vocabulary has %,d entries (ids 0-%,d)",
              ids.largest(),
              TokenProfile.IdRange.in(ids.largestIn()),
              model.vocabSize(),
              model.vocabSize() - 1));
    }
    if (ids.withNulls() > 0) {
      // A null among the ids (a table assembled by hand or converted with nulls kept, or an int64
      // id no int32 holds, which the token table reader turns into a null rather than wrap it into
      // another id): the model has no token for it, and training jobs failed on it inside the
      // model.
      problems.add(
          String.format(
              Locale.ROOT,
              "%,d cell(s) hold a null among their token ids%s (or an int64 id beyond int32, read"
                  + " as null); a tokenized table holds neither: tokenize the atlas again",
              ids.withNulls(),
              ids.nullIn() == null ? "" : " (one is cell '" + ids.nullIn() + "')"));
    }
    if (ids.smallest() < 0) {
      // Not a token of any vocabulary (e.g. -100, the label transformers' collators ignore, written
      // into input_ids); the embedding lookup would fail on it inside the model.
      problems.add(
          String.format(
              Locale.ROOT,
              "the tokens include id %,d%s; token ids are never negative (the model's are 0-%,d)",
              ids.smallest(),
              TokenProfile.IdRange.in(ids.smallestIn()),
              model.vocabSize() - 1));
    }
    if (data.longest() > model.maxPositions()) {
      problems.add(
          String.format(
              Locale.ROOT,
              "the longest cell has %,d tokens but the model takes at most %,d"
                  + " (max_position_embeddings); tokenize with --model-input-size %d",
              data.longest(),
              model.maxPositions(),
              model.maxPositions()));
    }
    if (settings.padId() != model.padTokenId()) {
      problems.add(
          String.format(
              Locale.ROOT,
              "the vocabulary's <pad> is %d but the model's pad_token_id is %d",
              settings.padId(),
              model.padTokenId()));
    }
    if (data.startingWithCls() > 0 && data.startingWithCls() < data.cells()) {
      problems.add(
          String.format(
              Locale.ROOT,
              "%,d of %,d cells start with <cls> and the others do not: the table mixes V1- and"
                  + " V2-style tokens; tokenize all inputs with one vocabulary",
              data.startingWithCls(),
              data.cells()));
    }
    if (settings.pooling() == Pooling.CLS && data.startingWithCls() < data.cells()) {
      problems.add(
          "--pooling cls needs every cell to start with <cls> (V2 tokens); these do not: use"
              + " --pooling mean");
    }
    return problems;
  }
}
