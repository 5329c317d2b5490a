package org.cellspark.jobs.demo;

import java.util.Locale;

/**
 * Numbers as a reader takes them in: three significant digits, plain where that is short (0.123,
 * 45.6), else as a power of ten (1.48×10⁻⁶ in the report, 1.48e-6 on the console), never 0.000001
 * or -8E-6.
 */
public final class Figures {
  private Figures() {}

  /** For the console: 0.123, -45.6, 1.48e-6. */
  public static String text(double v) {
    return format(v, false);
  }

  /** For the report (HTML): 0.123, −45.6, 1.48×10<sup>−6</sup>. */
  public static String html(double v) {
    return format(v, true);
  }

  /** A signed shift: +1.48e-6 (console). */
  public static String signedText(double v) {
    return (v > 0 ? "+" : "") + text(v);
  }

  /** A fraction as a percentage: 43.2%. */
  public static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
  }

  /** Unicode superscript digits for an exponent: ⁻⁶. */
  static String superscript(int exponent) {
    String digits = Integer.toString(exponent);
    StringBuilder b = new StringBuilder();
    for (char c : digits.toCharArray()) {
      b.append(c == '-' ? '⁻' : "⁰¹²³⁴⁵⁶⁷⁸⁹".charAt(c - '0'));
    }
    return b.toString();
  }

  /** The power of ten that brings the largest magnitude among {@code values} into [1, 10). */
  static int exponent(double... values) {
    double max = 0;
    for (double v : values) {
      max = Math.max(max, Math.abs(v));
    }
    return max == 0 || !Double.isFinite(max) ? 0 : (int) Math.floor(Math.log10(max));
  }

  private static String format(double v, boolean html) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (v == 0) {
      return "0";
    }
    double a = Math.abs(v);
    String minus = v < 0 ? (html ? "−" : "-") : "";
    if (a >= 1e-3 && a < 1e3) {
      String plain = String.format(Locale.ROOT, "%.3g", a);
      if (plain.contains(".")) {
        plain = plain.replaceAll("0+$", "").replaceAll("\\.$", "");
      }
      return minus + plain;
    }
    int e = (int) Math.floor(Math.log10(a));
    double mantissa = a / Math.pow(10, e);
    if (mantissa >= 9.995) { // rounds up to 10.0
      mantissa /= 10;
      e++;
    }
    String m = String.format(Locale.ROOT, "%.2f", mantissa);
    return html
        ? minus + m + "×10<sup>" + (e < 0 ? "−" + (-e) : Integer.toString(e)) + "</sup>"
        : minus + m + "e" + e;
  }
}
