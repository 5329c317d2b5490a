package org.cellspark.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cellspark.error.UserException;
import org.cellspark.jobs.check.ModelVocabularyCheck;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "check-model",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description = {
      "Check a model and a vocabulary together before a long run.",
      "Checks the config's sizes, every encoder weight (present, the config's shape, finite),"
          + " vocab_size against the vocabulary, <pad>, V1/V2 special tokens and the input size."
          + " No Spark."
    })
final class CheckModelCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "PATH",
      description =
          "Hugging Face model folder (config.json + model.safetensors or pytorch_model.bin, whole"
              + " or in shards), the weights file itself, or a TorchScript file.")
  String model;

  @Option(
      names = "--vocabulary",
      required = true,
      paramLabel = "DIR",
      description =
          "The dictionaries the tokens are (or will be) made with: a folder of *.pkl / .tsv, or"
              + " builtin:geneformer-v1.")
  String vocabulary;

  @Option(
      names = "--model-input-size",
      paramLabel = "N",
      description =
          "Tokens per cell the tokens will have; 0 = the tokenizer's default (4096 with"
              + " <cls>/<eos>, else 2048).")
  int modelInputSize;

  @Option(
      names = "--conf",
      paramLabel = "spark.hadoop.KEY=VALUE",
      showDefaultValue = CommandLine.Help.Visibility.NEVER,
      description =
          "A Hadoop setting for a model or vocabulary on s3a://, gs:// or hdfs:// (endpoint,"
              + " credentials), spelled as for the other commands (repeatable).")
  Map<String, String> conf = new LinkedHashMap<>();

  @Override
  public Integer call() {
    Map<String, String> hadoop = new LinkedHashMap<>();
    conf.forEach(
        (k, v) -> {
          if (!k.startsWith("spark.hadoop.")) {
            throw UserException.of(
                "--conf %s: check-model starts no Spark; only Hadoop settings"
                    + " (spark.hadoop.KEY=VALUE) apply",
                k);
          }
          hadoop.put(k.substring("spark.hadoop.".length()), v);
        });
    ModelVocabularyCheck.Report r =
        ModelVocabularyCheck.run(
            new ModelVocabularyCheck.Options(model, vocabulary, modelInputSize, hadoop));
    PrintWriter out = spec.commandLine().getOut();
    r.lines().forEach(out::println);
    out.flush();
    return 0;
  }
}
