package org.cellspark.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What a Hugging Face checkpoint holds, checked against its config: every encoder weight present
 * with the config's shape (else the check refused it), and how many values are not finite.
 *
 * @param file the weights file (safetensors or pytorch_model.bin)
 * @param tensors tensors in the file
 * @param encoderTensors the encoder weights the config implies, all found
 * @param parameters values in those weights
 * @param dtypes their stored types (F32, F16, BF16)
 * @param ignored tensors that are neither encoder weights nor a known head (not used)
 * @param nonFinite NaN or infinite values among the encoder weights
 * @param firstNonFinite the first weight holding one, or null
 */
public record WeightsReport(
    Path file,
    int tensors,
    int encoderTensors,
    long parameters,
    Set<String> dtypes,
    List<String> ignored,
    long nonFinite,
    String firstNonFinite) {}
