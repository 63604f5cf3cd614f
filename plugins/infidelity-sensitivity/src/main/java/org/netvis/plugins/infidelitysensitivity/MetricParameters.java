package org.netvis.plugins.infidelitysensitivity;

import java.util.List;
import java.util.Map;
import org.netvis.engine.spi.Param;

/** Parameters of the two metrics, with Captum's defaults. */
final class MetricParameters {
  private MetricParameters() {}

  /** Parameters of infidelity. */
  public record Infidelity(
      @Param(description = "attribution method ids to evaluate (any method netvis knows, plugin jars included)",
          defaultValue = "[saliency, integrated-gradients, grad-cam]") List<String> methods,
      @Param(description = "parameters per method id, e.g. {integrated-gradients: {steps: 32}}", defaultValue = "{}")
      Map<String, Object> methodParams,
      @Param(description = "perturbations per image", defaultValue = "10", min = 1, max = 100000) int nPerturbSamples,
      @Param(description = "standard deviation of the Gaussian perturbation I, in the normalized input space (the"
          + " perturb_func of Captum's documentation: 0.003)", defaultValue = "0.003", min = 0, exclusiveMin = true,
          max = 1e6) double noiseStdev,
      @Param(description = "scale each attribution by the factor that minimizes its infidelity first (Captum's"
          + " normalize)", defaultValue = "false") boolean normalize,
      @Param(description = "perturbed images per forward pass", defaultValue = "64", min = 1, max = 100000)
      int batchSize) {}

  /** Parameters of the maximum sensitivity. */
  public record SensitivityMax(
      @Param(description = "attribution method ids to evaluate (any method netvis knows, plugin jars included)",
          defaultValue = "[saliency, integrated-gradients, grad-cam]") List<String> methods,
      @Param(description = "parameters per method id, e.g. {integrated-gradients: {steps: 32}}", defaultValue = "{}")
      Map<String, Object> methodParams,
      @Param(description = "perturbations per image (each one attribution of every image)", defaultValue = "10",
          min = 1, max = 100000) int nPerturbSamples,
      @Param(description = "half-width of the uniform perturbation of every input value, in the normalized input"
          + " space", defaultValue = "0.02", min = 0, exclusiveMin = true, max = 1e6) double perturbRadius) {}
}
