package org.cellspark.io.arrow;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.hadoop.fs.FSDataInputStream;

/**
 * Where the messages of an Arrow IPC stream lie in its file, found by reading only their headers (a
 * few hundred bytes each) and seeking past their bodies: what lets one large file be read by
 * several tasks, each from the first byte of its own record batches.
 *
 * <p>The framing, per the Arrow IPC format: each message is a 0xFFFFFFFF continuation marker, a
 * little-endian int32 length of its flatbuffer header, the header (which gives the body's length),
 * then the body; a length of 0 ends the stream. Streams written before Arrow 0.15 have no marker.
 *
 * @param schemaEnd the offset just after the schema message
 * @param batches the record batches in order
 * @param dictionaries whether the stream carries dictionary batches (such a stream is read whole: a
 *     batch needs the dictionaries sent before it)
 */
record ArrowStreamLayout(long schemaEnd, List<Batch> batches, boolean dictionaries) {

  /** A record batch: its message's first byte, the first byte after its body, its rows. */
  record Batch(long start, long end, long rows) {}

  /**
   * The first bytes of an Arrow IPC <em>file</em> (the random-access format, Feather V2): a footer
   * holds its schema and batch list, and writers differ on whether a schema message also follows
   * the preamble.
   */
  static final byte[] FILE_MAGIC = {'A', 'R', 'R', 'O', 'W', '1'};

  static boolean isIpcFile(byte[] head) {
    for (int i = 0; i < FILE_MAGIC.length; i++) {
      if (head.length <= i || head[i] != FILE_MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * What precedes a message's header: its size (8 bytes, or 4 in a pre-0.15 stream without the
   * continuation marker) and the header's length (0 marks the end of the stream).
   */
  record Prefix(int size, int headerLength) {
    /** The prefix at the start of {@code bytes} ({@code available} of them), or null if cut. */
    static Prefix of(byte[] bytes, int available) {
      if (available < 4) {
        return null;
      }
      ByteBuffer words = ByteBuffer.wrap(bytes, 0, available).order(ByteOrder.LITTLE_ENDIAN);
      int first = words.getInt(0);
      if (first != -1) {
        return new Prefix(4, first);
      }
      return available < 8 ? null : new Prefix(8, words.getInt(4)); // the length follows the marker
    }
  }

  /**
   * Bytes read at each message's start: its prefix and, for a token dataset's few columns, its
   * whole header (a record batch's header grows by 16 bytes a column and 16 a buffer), so that each
   * message costs one positioned read, which on an object store is one ranged request.
   */
  static final int READ_AHEAD = 4096;

  /**
   * Reads the message headers of the stream in {@code in} (a file of {@code length} bytes).
   *
   * @throws IOException when the bytes are not an Arrow stream (the message says where)
   */
  static ArrowStreamLayout scan(FSDataInputStream in, long length) throws IOException {
    long pos = 0;
    long schemaEnd = -1;
    boolean dictionaries = false;
    List<Batch> batches = new ArrayList<>();
    byte[] ahead = new byte[READ_AHEAD];
    while (pos + 4 <= length) {
      long start = pos;
      int got = (int) Math.min(READ_AHEAD, length - pos);
      in.readFully(pos, ahead, 0, got);
      Prefix p = Prefix.of(ahead, got);
      if (p == null) {
        break;
      }
      int word = p.headerLength();
      int prefix = p.size();
      if (word == 0) {
        return new ArrowStreamLayout(schemaEnd, batches, dictionaries);
      }
      pos += prefix;
      if (word < 0 || pos + word > length) {
        throw new IOException("no Arrow IPC message at byte " + start);
      }
      byte[] header = new byte[word];
      int inAhead = Math.min(word, got - prefix);
      System.arraycopy(ahead, prefix, header, 0, inAhead);
      if (inAhead < word) {
        in.readFully(pos + inAhead, header, inAhead, word - inAhead);
      }
      Message message = Message.getRootAsMessage(ByteBuffer.wrap(header));
      pos += word + message.bodyLength();
      if (message.bodyLength() < 0 || pos > length) {
        throw new IOException("the Arrow IPC message at byte " + start + " runs past the file");
      }
      switch (message.headerType()) {
        case MessageHeader.Schema -> schemaEnd = pos;
        case MessageHeader.DictionaryBatch -> dictionaries = true;
        case MessageHeader.RecordBatch -> {
          RecordBatch batch = (RecordBatch) message.header(new RecordBatch());
          batches.add(new Batch(start, pos, batch.length()));
        }
        default -> throw new IOException("unexpected Arrow IPC message at byte " + start);
      }
      if (schemaEnd < 0) {
        throw new IOException("the Arrow IPC stream does not start with a schema");
      }
    }
    throw new EOFException("the Arrow IPC stream ends without its end marker (cut short?)");
  }
}
