package org.cellspark.train;

/** What an epoch is judged by: the validation loss and macro-F1. */
public record Score(double loss, double macroF1) {}
