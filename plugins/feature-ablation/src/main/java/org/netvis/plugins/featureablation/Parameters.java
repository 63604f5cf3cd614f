package org.netvis.plugins.featureablation;

import java.util.List;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.spi.Param;

/** The parameters the perturbation methods share, as components of each method's record. */
final class Parameters {
  private Parameters() {}

  static final String FEATURES = "the features, every channel of their pixels: grid (square cells of grid_size"
      + " pixels), slic (each image's SLIC superpixels: about segments of them, with compactness), or a path to an"
      + " .npy of integer feature ids, (H, W) for every image or (N, H, W) one per image";
  static final String SEGMENTS = "about how many SLIC superpixels (scikit-image's n_segments)";
  static final String COMPACTNESS = "SLIC's balance of colour and space (scikit-image's compactness)";
  static final String BASELINE = "what an ablated feature takes: zeros (in the normalized space, Captum's default),"
      + " black (pixels 0), blur (the image blurred with blur_sigma), uniform (pixel noise from the step's seed),"
      + " or a path to an .npy of shape (C, H, W) or (N, C, H, W) in the normalized space";

  /** Feature ablation's parameters. */
  public record Ablation(
      @Param(description = FEATURES, defaultValue = "grid") String features,
      @Param(description = "side of a grid cell in pixels", defaultValue = "16", min = 1, max = 100000) int gridSize,
      @Param(description = SEGMENTS, defaultValue = "100", min = 1, max = 1000000) int segments,
      @Param(description = COMPACTNESS, defaultValue = "10.0", min = 0, exclusiveMin = true, max = 1e6)
      double compactness,
      @Param(description = BASELINE, defaultValue = "zeros") String baseline,
      @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
          exclusiveMin = true, max = 1000) double blurSigma,
      @Param(description = "perturbed images per forward pass", defaultValue = "64", min = 1, max = 100000)
      int perturbationsPerEval) {}

  /** Neuron feature ablation's parameters: feature ablation's, and the unit. */
  public record NeuronAblation(
      @Param(description = Neuron.LAYER, defaultValue = "''") String layer,
      @Param(description = Neuron.NEURON, defaultValue = "[]", min = 0) List<Integer> neuron,
      @Param(description = FEATURES, defaultValue = "grid") String features,
      @Param(description = "side of a grid cell in pixels", defaultValue = "16", min = 1, max = 100000) int gridSize,
      @Param(description = SEGMENTS, defaultValue = "100", min = 1, max = 1000000) int segments,
      @Param(description = COMPACTNESS, defaultValue = "10.0", min = 0, exclusiveMin = true, max = 1e6)
      double compactness,
      @Param(description = BASELINE, defaultValue = "zeros") String baseline,
      @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
          exclusiveMin = true, max = 1000) double blurSigma,
      @Param(description = "perturbed images per forward pass", defaultValue = "64", min = 1, max = 100000)
      int perturbationsPerEval) {}

  /** Shapley value sampling's parameters. */
  public record Shapley(
      @Param(description = FEATURES, defaultValue = "grid") String features,
      @Param(description = "side of a grid cell in pixels", defaultValue = "16", min = 1, max = 100000) int gridSize,
      @Param(description = SEGMENTS, defaultValue = "100", min = 1, max = 1000000) int segments,
      @Param(description = COMPACTNESS, defaultValue = "10.0", min = 0, exclusiveMin = true, max = 1e6)
      double compactness,
      @Param(description = BASELINE, defaultValue = "zeros") String baseline,
      @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
          exclusiveMin = true, max = 1000) double blurSigma,
      @Param(description = "random feature orders per image (Captum's n_samples)", defaultValue = "25", min = 1,
          max = 100000) int nSamples,
      @Param(description = "perturbed images per forward pass", defaultValue = "64", min = 1, max = 100000)
      int perturbationsPerEval) {}

  /** KernelSHAP's parameters. */
  public record KernelShap(
      @Param(description = FEATURES, defaultValue = "grid") String features,
      @Param(description = "side of a grid cell in pixels", defaultValue = "16", min = 1, max = 100000) int gridSize,
      @Param(description = SEGMENTS, defaultValue = "100", min = 1, max = 1000000) int segments,
      @Param(description = COMPACTNESS, defaultValue = "10.0", min = 0, exclusiveMin = true, max = 1e6)
      double compactness,
      @Param(description = BASELINE, defaultValue = "zeros") String baseline,
      @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
          exclusiveMin = true, max = 1000) double blurSigma,
      @Param(description = "coalitions per image (Captum's n_samples; the first two are all features and none)",
          defaultValue = "25", min = 2, max = 1000000) int nSamples,
      @Param(description = "perturbed images per forward pass", defaultValue = "64", min = 1, max = 100000)
      int perturbationsPerEval) {}

  /** LIME's parameters, with Captum's defaults. */
  public record Lime(
      @Param(description = FEATURES, defaultValue = "grid") String features,
      @Param(description = "side of a grid cell in pixels", defaultValue = "16", min = 1, max = 100000) int gridSize,
      @Param(description = SEGMENTS, defaultValue = "100", min = 1, max = 1000000) int segments,
      @Param(description = COMPACTNESS, defaultValue = "10.0", min = 0, exclusiveMin = true, max = 1e6)
      double compactness,
      @Param(description = BASELINE, defaultValue = "zeros") String baseline,
      @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
          exclusiveMin = true, max = 1000) double blurSigma,
      @Param(description = "random coalitions per image, each feature kept with probability 1/2 (Captum's n_samples)",
          defaultValue = "25", min = 1, max = 1000000) int nSamples,
      @Param(description = "the Lasso's L1 weight (Captum's SkLearnLasso(alpha=0.01))", defaultValue = "0.01", min = 0,
          max = 1e6) double alpha,
      @Param(description = "width of the exponential kernel on the cosine distance between the input and a perturbed"
          + " input (Captum's kernel_width)", defaultValue = "1.0", min = 0, exclusiveMin = true, max = 1e6)
      double kernelWidth,
      @Param(description = "perturbed images per forward pass", defaultValue = "64", min = 1, max = 100000)
      int perturbationsPerEval) {}
}
