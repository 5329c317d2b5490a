package org.cellspark.app;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.cellspark.cli.Main;

/**
 * A notebook's driver on a cluster, as spark-submit's main class: the session is the notebook's
 * (spark-submit's settings, made here, not by Cellspark), and commands run in it one after another
 * through {@code Main.execute}, as a Zeppelin paragraph runs them, each reusing the session and its
 * executors and leaving it running. Arguments are the commands' arguments, commands separated by a
 * lone {@value #NEXT}; exits with the first command's non-zero exit code, or 0.
 *
 * <p>Shipped to the cluster in a jar of its own (LocalCluster#notebookJar): the app jar holds only
 * the product.
 */
public final class NotebookSession {
  static final String NEXT = ";";

  private NotebookSession() {}

  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().getOrCreate();
    int exit = 0;
    try {
      for (List<String> command : commands(args)) {
        exit = Main.execute(command.toArray(String[]::new));
        System.out.printf("NotebookSession: %s exited %d%n", command.get(0), exit);
        if (exit != 0) {
          break;
        }
      }
    } finally {
      spark.stop();
    }
    System.exit(exit);
  }

  static List<List<String>> commands(String... args) {
    List<List<String>> commands = new ArrayList<>();
    List<String> command = new ArrayList<>();
    for (String arg : args) {
      if (arg.equals(NEXT)) {
        commands.add(command);
        command = new ArrayList<>();
      } else {
        command.add(arg);
      }
    }
    commands.add(command);
    return commands;
  }
}
