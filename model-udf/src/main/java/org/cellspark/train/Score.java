package org.cellspark.train;

/**
 * What an epoch is judged by: the validation loss, and the metric the best epoch is chosen by
 * (higher is better; {@link Classifier#metric()} names it: a classifier's macro-F1, the masked
 * language model's accuracy on the masked genes).
 */
public record Score(double loss, double metric) implements java.io.Serializable {}
