package org.cellspark.testing;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the tests tagged {@code gpu} without Maven, for a GPU machine that has a Java runtime and
 * the test classes but no build tools (bench/gpu/device.sh): the JUnit Platform's launcher, from
 * the repository root. Prints JUnit's summary with every failure and exits 1 when a test failed or
 * none ran (no GPU seen is a failure here: this is run only where a GPU is meant to be).
 */
public final class GpuTests {
  private GpuTests() {}

  public static void main(String[] args) {
    LauncherDiscoveryRequest request =
        LauncherDiscoveryRequestBuilder.request()
            .selectors(selectPackage("org.cellspark"))
            .filters(TagFilter.includeTags(Gpu.TAG))
            .build();
    Launcher launcher = LauncherFactory.create();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    launcher.execute(request, listener);
    TestExecutionSummary summary = listener.getSummary();
    PrintWriter out = new PrintWriter(System.out, true);
    summary.printTo(out);
    summary.printFailuresTo(out, 20);
    boolean ok =
        summary.getTotalFailureCount() == 0
            && summary.getTestsSucceededCount() > 0
            && summary.getTestsAbortedCount() == 0;
    out.println(ok ? "GPU tests: all passed" : "GPU tests: FAILED (or skipped: no GPU seen)");
    System.exit(ok ? 0 : 1);
  }
}
