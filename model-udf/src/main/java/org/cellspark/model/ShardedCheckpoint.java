package org.cellspark.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.cellspark.error.GitLfsPointer;
import org.cellspark.error.UserException;

/**
 * A checkpoint that transformers' {@code save_pretrained} split in shards, as it does for a model
 * larger than its {@code max_shard_size}: an index ({@code model.safetensors.index.json} or {@code
 * pytorch_model.bin.index.json}, JSON {@code {"metadata": {...}, "weight_map": {tensor: shard}}})
 * beside the shards ({@code model-00001-of-00003.safetensors}, ... or {@code
 * pytorch_model-00001-of-00003.bin}, ...). Read as one file of tensors: each shard opened as the
 * file it is (safetensors or a PyTorch checkpoint, with that format's checks), each tensor read
 * from the shard the index names; a tensor a shard holds that the index does not name is taken too,
 * as transformers loads every shard whole. A folder copied in part, or an index and shards from two
 * saves, is refused naming the file and what to do.
 */
final class ShardedCheckpoint {
  private ShardedCheckpoint() {}

  static boolean isIndex(Path path) {
    Path name = path.getFileName();
    return name != null && name.toString().endsWith(".index.json");
  }

  static WeightsFile read(Path index) {
    Path folder = index.toAbsolutePath().normalize().getParent();
    Map<String, String> shardOfTensor = weightMap(index);
    Map<String, List<String>> tensorsOfShard = new TreeMap<>(); // model-00001-of-... first
    shardOfTensor.forEach(
        (tensor, shard) ->
            tensorsOfShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(tensor));

    Map<String, WeightsFile> shards = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : tensorsOfShard.entrySet()) {
      Path shard = folder.resolve(e.getKey()).normalize();
      if (!folder.equals(shard.getParent()) || isIndex(shard)) {
        throw UserException.of(
            "%s names '%s' as a shard; shards are files beside the index. The index is damaged:"
                + " copy the model folder again",
            index, e.getKey());
      }
      if (!Files.isRegularFile(shard)) {
        throw UserException.of(
            "Model checkpoint %s is split in %d shards, and %s, which holds %d of its tensors"
                + " (e.g. '%s'), is not beside it. Copy every shard the index names (%s) into %s,"
                + " e.g. with the whole model folder",
            index,
            tensorsOfShard.size(),
            e.getKey(),
            e.getValue().size(),
            e.getValue().get(0),
            names(new ArrayList<>(tensorsOfShard.keySet())),
            folder);
      }
      GitLfsPointer.refuse(shard);
      shards.put(e.getKey(), WeightsFile.open(shard));
    }

    Map<String, WeightsFile.Tensor> tensors = new LinkedHashMap<>();
    Map<String, Path> fileOf = new HashMap<>();
    shardOfTensor.forEach(
        (name, shardName) -> {
          WeightsFile shard = shards.get(shardName);
          WeightsFile.Tensor t = shard.tensors().get(name);
          if (t == null) {
            throw UserException.of(
                "%s names %s as the shard that holds tensor '%s', but that shard does not hold it"
                    + " (it holds %d tensors): the index and the shards come from different"
                    + " saves. Copy the model folder again, whole",
                index, shardName, name, shard.tensors().size());
          }
          tensors.put(name, t);
          fileOf.put(name, shard.path());
        });
    for (WeightsFile shard : shards.values()) {
      shard
          .tensors()
          .forEach(
              (name, t) -> {
                if (tensors.putIfAbsent(name, t) == null) {
                  fileOf.put(name, shard.path());
                }
              });
    }
    WeightsFile first = shards.values().iterator().next();
    String format = first.format() + " in " + shards.size() + " shards";
    return new WeightsFile(index, format, tensors, first.metadata(), fileOf);
  }

  /** "a, b" for one or two shards, "first to last" for more. */
  private static String names(List<String> shards) {
    return shards.size() <= 2
        ? String.join(", ", shards)
        : shards.get(0) + " to " + shards.get(shards.size() - 1);
  }

  /** The index's weight_map, tensor name to shard file name, in the index's order. */
  private static Map<String, String> weightMap(Path index) {
    JsonObject json;
    try {
      JsonElement e = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8));
      json = e.getAsJsonObject();
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s: %s", index, e.getMessage());
    } catch (JsonParseException | IllegalStateException e) { // not JSON; JSON but not an object
      throw UserException.because(
          e,
          "%s is not a sharded checkpoint's index: not a JSON object (%s)",
          index,
          e.getMessage());
    }
    JsonElement map = json.get("weight_map");
    if (map == null || !map.isJsonObject() || map.getAsJsonObject().size() == 0) {
      throw UserException.of(
          "%s is not a sharded checkpoint's index: it has no weight_map naming each tensor's"
              + " shard, as save_pretrained writes",
          index);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : map.getAsJsonObject().entrySet()) {
      JsonElement shard = e.getValue();
      if (!shard.isJsonPrimitive() || !shard.getAsJsonPrimitive().isString()) {
        throw UserException.of(
            "%s: weight_map's entry for tensor '%s' is %s, not a shard's file name",
            index, e.getKey(), shard);
      }
      out.put(e.getKey(), shard.getAsString());
    }
    return out;
  }
}
