package org.cellspark.cli;

import java.lang.reflect.InvocationTargetException;
import java.security.Permission;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Runs {@link Main} as YARN's ApplicationMaster runs a user class in cluster mode: Spark's settings
 * are system properties of the JVM, the class's {@code main} is invoked by reflection in a thread
 * named "Driver", and the launcher judges the application by how that call ends. A security manager
 * records every attempt to exit the JVM (and stops it, as the exit would have ended the launcher's
 * own bookkeeping). Run in a JVM of its own with {@code -Djava.security.manager=allow}.
 *
 * <p>Arguments: scenarios separated by {@code ---}, each {@code DEPLOY_MODE command args...}.
 * Prints one line per scenario: {@code scenario N: exits=[...] outcome=returned|threw CLASS:
 * MESSAGE}. The deploy mode {@code host} stands in for a JVM whose host already runs Spark when it
 * calls main (a Databricks JAR task's driver): the deploy mode is client, a context is started (or
 * the running one kept) before main is called, and the line ends {@code context=running, N rows} (a
 * job the host runs on it afterwards) or {@code context=stopped}.
 */
public final class ApplicationMasterStandIn {
  private static final List<Integer> EXITS = new ArrayList<>();

  @SuppressWarnings(
      "removal") // the security manager is how a test JVM can watch for exit(); nothing else
  // records it
  public static void main(String[] args) throws Exception {
    System.setSecurityManager(
        new SecurityManager() {
          @Override
          public void checkExit(int status) {
            synchronized (EXITS) {
              EXITS.add(status);
            }
            throw new SecurityException("exit(" + status + ") refused by the stand-in");
          }

          @Override
          public void checkPermission(Permission perm) {
            // everything else allowed
          }
        });
    List<List<String>> scenarios = new ArrayList<>();
    List<String> current = new ArrayList<>();
    for (String a : args) {
      if (a.equals("---")) {
        scenarios.add(current);
        current = new ArrayList<>();
      } else {
        current.add(a);
      }
    }
    scenarios.add(current);
    for (int i = 0; i < scenarios.size(); i++) {
      List<String> s = scenarios.get(i);
      boolean host = s.get(0).equals("host");
      System.setProperty(Main.DEPLOY_MODE, host ? "client" : s.get(0));
      SparkContext hostContext =
          host ? SparkContext.getOrCreate(new SparkConf().setAppName("host")) : null;
      String[] userArgs = s.subList(1, s.size()).toArray(new String[0]);
      String[] outcome = new String[1];
      Thread driver =
          new Thread(
              () -> {
                try {
                  Main.class.getMethod("main", String[].class).invoke(null, (Object) userArgs);
                  outcome[0] = "returned";
                } catch (InvocationTargetException e) {
                  Throwable c = e.getCause();
                  outcome[0] =
                      "threw "
                          + c.getClass().getName()
                          + ": "
                          + c.getMessage().replace('\n', ' ')
                          + (c.getStackTrace().length == 0 ? " [no trace]" : " [trace]")
                          + (c.getCause() == null ? "" : " [cause]");
                } catch (ReflectiveOperationException e) {
                  outcome[0] = "could not call main: " + e;
                }
              },
              "Driver");
      driver.start();
      driver.join();
      synchronized (EXITS) {
        System.out.println(
            "scenario " + i + ": exits=" + EXITS + " outcome=" + outcome[0] + context(hostContext));
        EXITS.clear();
      }
      System.out.flush();
    }
    System.setSecurityManager(null); // exit is refused while it is in place
    Runtime.getRuntime().halt(0); // Spark's non-daemon threads would keep the JVM alive
  }

  /** What the host finds of its context after main: still running (a job on it), or stopped. */
  private static String context(SparkContext hostContext) {
    if (hostContext == null) {
      return "";
    }
    if (hostContext.isStopped()) {
      return " context=stopped";
    }
    long rows = new JavaSparkContext(hostContext).parallelize(List.of(1, 2, 3)).count();
    return " context=running, " + rows + " rows";
  }

  private ApplicationMasterStandIn() {}
}
