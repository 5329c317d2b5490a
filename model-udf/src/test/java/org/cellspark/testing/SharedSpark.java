package org.cellspark.testing;

import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cellspark.spark.SparkSessionFactory;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One local SparkSession per test JVM, made by the production factory with test settings and
 * injected as a parameter: {@code @ExtendWith(SharedSpark.class) ... void t(SparkSession spark)}.
 * Kept in the root store, so every test class shares it; closed when the JVM's tests end.
 */
public final class SharedSpark implements ParameterResolver, AfterEachCallback {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(SharedSpark.class);

  /** Closed by JUnit at the end of the run (the store closes AutoCloseable values). */
  private record Holder(SparkSession spark) implements AutoCloseable {
    @Override
    public void close() {
      spark.stop();
    }
  }

  public static final Map<String, String> TEST_SETTINGS =
      Map.of(
          "spark.master", "local[2]",
          "spark.ui.enabled", "false",
          "spark.sql.shuffle.partitions", "4",
          "spark.driver.host", "127.0.0.1",
          "spark.driver.bindAddress", "127.0.0.1",
          "spark.unsafe.exceptionOnMemoryLeak", "true",
          "spark.sql.session.timeZone", "UTC");

  public static SparkSession session(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NS)
        .getOrComputeIfAbsent(
            "spark",
            k -> new Holder(SparkSessionFactory.getOrCreate("cellspark-tests", TEST_SETTINGS)),
            Holder.class)
        .spark();
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    return p.getParameter().getType() == SparkSession.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    return session(e);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    SparkSession spark = session(context);
    if (spark.sparkContext().isStopped()) {
      throw new IllegalStateException(
          context.getDisplayName() + " stopped the shared SparkSession; tests must not stop it");
    }
    spark.catalog().clearCache();
  }
}
