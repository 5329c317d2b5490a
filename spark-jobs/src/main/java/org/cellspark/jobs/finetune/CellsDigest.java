package org.cellspark.jobs.finetune;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 of the cells a training task holds, for its checkpoints' fingerprint (a resumed run
 * must find the same cells): text (a split's or part's name) and cells, each its ID and then ints
 * as bytes (whatever the caller puts before the tokens, the token count, the tokens), so no text is
 * made of every token.
 */
public final class CellsDigest {
  private final MessageDigest digest;

  public CellsDigest() {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public CellsDigest text(String s) {
    digest.update(s.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  /** A cell: its ID, then {@code before} (its label, say), its token count and its tokens. */
  public CellsDigest cell(String id, int[] tokens, int... before) {
    text(id);
    ByteBuffer b = ByteBuffer.allocate(4 * (before.length + 1 + tokens.length));
    for (int v : before) {
      b.putInt(v);
    }
    b.putInt(tokens.length).asIntBuffer().put(tokens);
    digest.update(b.array());
    return this;
  }

  public String hex() {
    return HexFormat.of().formatHex(digest.digest());
  }
}
