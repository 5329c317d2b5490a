package org.cellspark.io.hdf5;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Blocks of remote files shared by the tasks of one JVM, least recently used dropped first, bounded
 * in bytes. Keys are file identity (URI, length, modification time) plus block number, so a file
 * changed between jobs is never served stale.
 */
final class BlockCache {
  private final int blockSize;
  private final long maxBytes;
  private final LinkedHashMap<String, byte[]> blocks = new LinkedHashMap<>(1024, 0.75f, true);
  private long bytes;

  BlockCache(int blockSize, long maxBytes) {
    this.blockSize = blockSize;
    this.maxBytes = maxBytes;
  }

  int blockSize() {
    return blockSize;
  }

  synchronized byte[] get(String file, long block) {
    return blocks.get(file + "#" + block);
  }

  synchronized void put(String file, long block, byte[] data) {
    byte[] old = blocks.put(file + "#" + block, data);
    bytes += data.length - (old == null ? 0 : old.length);
    var it = blocks.entrySet().iterator();
    while (bytes > maxBytes && it.hasNext()) {
      Map.Entry<String, byte[]> eldest = it.next();
      bytes -= eldest.getValue().length;
      it.remove();
    }
  }

  synchronized void clear() {
    blocks.clear();
    bytes = 0;
  }
}
