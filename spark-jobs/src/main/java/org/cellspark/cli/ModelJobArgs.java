package org.cellspark.cli;

import org.cellspark.error.UserException;
import org.cellspark.infer.BatchBudget;
import org.cellspark.model.Precision;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of every job that runs the model over a token table (embed, perturb): what to read,
 * with which model, where to write, how to batch.
 */
final class ModelJobArgs {
  @Option(
      names = "--input",
      required = true,
      paramLabel = "DIR",
      description = "Token table: cellspark tokenize's output, or upstream's .dataset.")
  String input;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR|FILE",
      description =
          "Hugging Face model folder (config.json + model.safetensors or pytorch_model.bin, whole"
              + " or in shards) or TorchScript .pt with config.json beside it.")
  String model;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output folder.")
  String output;

  @Option(
      names = "--vocabulary",
      paramLabel = "DIR",
      description =
          "The tokens' vocabulary; default: the one named in the input's _cellspark.json.")
  String vocabulary;

  @Option(
      names = {"--layer", "--emb-layer"},
      paramLabel = "-1|0",
      description = "-1 = second to last layer, 0 = last [emb_layer].")
  int layer = -1;

  @Option(
      names = "--batch-tokens",
      paramLabel = "N|auto",
      converter = BatchTokens.class,
      description =
          "Padded tokens per batch (cells x longest cell); auto: 65,536 on a GPU running a Hugging"
              + " Face folder, else 16,384 [auto].")
  long batchTokens = BatchBudget.AUTO;

  @Option(
      names = "--precision",
      paramLabel = "fp32|fp16|bf16",
      description =
          "fp16 needs GPU executors; bf16 runs on GPUs and on CPUs with bf16 instructions"
              + " (AVX512-BF16, AMX).")
  String precision = "fp32";

  Precision parsedPrecision() {
    return Precision.parse(precision);
  }

  /** {@code --batch-tokens}: a positive number of tokens, or auto (the device's budget). */
  static final class BatchTokens implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return BatchBudget.parse(value, "--batch-tokens");
      } catch (UserException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
