package org.cellspark.infer;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cellspark.error.UserException;
import org.cellspark.infer.TokenProfile.IdRange;
import org.cellspark.model.BertConfig;
import org.junit.jupiter.api.Test;

class ModelCheckTest {
  private static final BertConfig V1_MODEL =
      new BertConfig(25_426, 256, 6, 4, 512, "relu", 1e-12, 2048, 2, 0);
  private static final EmbeddingSettings MEAN =
      new EmbeddingSettings(-1, Pooling.MEAN, 16_384, 0, -1, -1);

  @Test
  void acceptsMatchingTokens() {
    assertThatCode(
            () ->
                ModelCheck.check(
                    V1_MODEL,
                    "v1",
                    new TokenProfile(100, 2048, IdRange.of(0, 25_425), 0, 25_426, false),
                    MEAN))
        .doesNotThrowAnyException();
  }

  @Test
  void namesBothSidesOfEveryMismatchAtOnce() {
    TokenProfile v2Tokens = new TokenProfile(100, 4096, IdRange.of(0, 20_274), 100, 20_275, true);
    assertThatThrownBy(() -> ModelCheck.check(V1_MODEL, "gf-6L", v2Tokens, MEAN))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("Model gf-6L does not fit the tokens")
        .hasMessageContaining(
            "the tokens were made with a V2 vocabulary (20,275 tokens, <cls> first) but the model"
                + " has vocab_size 25,426")
        .hasMessageContaining(
            "the longest cell has 4,096 tokens but the model takes at most 2,048");
  }

  @Test
  void tokenIdsBeyondTheVocabularyMixedStylesAndPadding() {
    assertThatThrownBy(
            () ->
                ModelCheck.check(
                    V1_MODEL,
                    "m",
                    new TokenProfile(10, 20, IdRange.of(0, 30_000), 0, -1, false),
                    MEAN))
        .hasMessageContaining(
            "the tokens include id 30,000 but the model's vocabulary has 25,426 entries");
    assertThatThrownBy(
            () ->
                ModelCheck.check(
                    V1_MODEL,
                    "m",
                    new TokenProfile(
                        10, 20, new IdRange(-100, "c7", 30_000, "c2", 2, "c9"), 0, -1, false),
                    MEAN))
        .hasMessageContaining(
            "the tokens include id 30,000 (cell 'c2') but the model's vocabulary has 25,426"
                + " entries (ids 0-25,425)")
        .hasMessageContaining(
            "the tokens include id -100 (cell 'c7'); token ids are never negative (the model's"
                + " are 0-25,425)")
        .hasMessageContaining(
            "2 cell(s) hold a null among their token ids (one is cell 'c9') (or an int64 id beyond"
                + " int32, read as null); a tokenized table holds neither");
    assertThatThrownBy(
            () ->
                ModelCheck.check(
                    V1_MODEL,
                    "m",
                    new TokenProfile(10, 20, IdRange.of(0, 100), 4, -1, false),
                    MEAN))
        .hasMessageContaining("4 of 10 cells start with <cls>");
    assertThatThrownBy(
            () ->
                ModelCheck.check(
                    V1_MODEL,
                    "m",
                    new TokenProfile(10, 20, IdRange.of(0, 100), 0, -1, false),
                    new EmbeddingSettings(-1, Pooling.MEAN, 100, 1, -1, -1)))
        .hasMessageContaining("the vocabulary's <pad> is 1 but the model's pad_token_id is 0");
    assertThatThrownBy(
            () ->
                ModelCheck.check(
                    V1_MODEL,
                    "m",
                    new TokenProfile(10, 20, IdRange.of(0, 100), 0, -1, false),
                    new EmbeddingSettings(-1, Pooling.CLS, 100, 0, 2, 3)))
        .hasMessageContaining("--pooling cls needs every cell to start with <cls>");
  }
}
