package org.cellspark.model;

/**
 * DJL's process-wide switches, set before any DJL class initialises (its Engine class contacts a
 * cloud metadata endpoint and may download libtorch unless told not to, which fails or hangs on a
 * machine without network). Values the user set (system properties or environment) win.
 */
final class DjlSetup {
  private DjlSetup() {}

  static synchronized void offline() {
    setIfAbsent("ai.djl.offline", "DJL_OFFLINE", "true");
    setIfAbsent("OPT_OUT_TRACKING", "OPT_OUT_TRACKING", "true");
  }

  private static void setIfAbsent(String property, String env, String value) {
    if (System.getProperty(property) == null && System.getenv(env) == null) {
      System.setProperty(property, value);
    }
  }
}
