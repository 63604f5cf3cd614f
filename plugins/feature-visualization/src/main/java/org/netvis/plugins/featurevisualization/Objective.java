package org.netvis.plugins.featurevisualization;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.netvis.engine.graph.LayerLookup;
import org.netvis.engine.tensor.Tensor;

/**
 * A weighted sum of terms to maximize, Lucid's objectives written in experiment files:
 * <pre>
 * objective: [{channel: {layer: fire9/concat, index: 12}}, {l2: 1.0e-3, weight: -1}]
 * </pre>
 * Each term has one kind key, an optional {@code weight} (default 1) and an optional {@code image}
 * (the batch index it applies to; default every image). Kinds:
 * {@code channel: {layer, index}} (mean of one channel), {@code neuron: {layer, index[, x, y]}} (one
 * channel at the centre position), {@code layer: NAME} (mean of squares: DeepDream), {@code class: K}
 * (a logit), {@code direction: {layer, vector}} (mean over positions of the dot product with a vector
 * over channels), {@code diversity: NAME} (Lucid's Gram-matrix diversity of the batch at a layer;
 * use a negative weight) and {@code l2: C} (C times the squared L2 norm of the model input).
 * {@link ObjectiveParser} reads it from the experiment file.
 */
final class Objective {
  enum Kind { CHANNEL, NEURON, LAYER, CLASS, DIRECTION, DIVERSITY, L2 }

  /** Lucid's l2_normalize epsilon in the diversity term. */
  static final double DIVERSITY_EPSILON = 1e-10;

  /**
   * One term. {@code layer} is null for class and l2 terms; {@code x} and {@code y} are -1 for the centre;
   * {@code image} is -1 for every image.
   */
  record Term(Kind kind, String layer, int index, int x, int y, List<Double> vector, double coefficient,
      double weight, int image) {
    Term {
      vector = vector == null ? List.of() : List.copyOf(vector);
    }

    boolean linear() {
      return kind != Kind.LAYER && kind != Kind.DIVERSITY;
    }

    /** A short title for figures: the layer's last two path segments, without "_output_0". */
    String title() {
      String text = describe().replaceAll(" \\[image \\d+\\]$", "");
      if (layer == null) {
        return text;
      }
      String[] parts = layer.replaceAll("_output_0$", "").split("/");
      String shortName = parts.length >= 2 ? parts[parts.length - 2] + "/" + parts[parts.length - 1] : layer;
      return text.replace(layer, shortName);
    }

    String describe() {
      return switch (kind) {
        case CHANNEL -> layer + ":" + index;
        case NEURON -> layer + ":" + index + (x >= 0 ? " @(" + x + "," + y + ")" : " @centre");
        case LAYER -> layer + " (mean of squares)";
        case CLASS -> "class " + index;
        case DIRECTION -> layer + " . direction";
        case DIVERSITY -> "diversity at " + layer;
        case L2 -> "l2 " + coefficient;
      } + (weight == 1 ? "" : " x " + weight) + (image < 0 ? "" : " [image " + image + "]");
    }
  }

  private final List<Term> terms;

  Objective(List<Term> terms) {
    if (terms.isEmpty()) {
      throw new IllegalArgumentException("objective: needs at least one term");
    }
    this.terms = List.copyOf(terms);
  }

  List<Term> terms() {
    return terms;
  }

  /** The batch size the terms ask for: one more than the largest image index (at least 1). */
  int impliedBatch() {
    return Math.max(1, 1 + terms.stream().mapToInt(Term::image).max().orElse(0));
  }

  /**
   * The objective with each term's layer named by its tensor: a PyTorch module's name (as
   * {@link LayerLookup} resolves it) becomes the module's output tensor, which the rendering reads.
   */
  Objective resolved(LayerLookup lookup) {
    List<Term> out = new ArrayList<>();
    for (Term t : terms) {
      out.add(t.layer() == null ? t : new Term(t.kind(), lookup.find("layer", t.layer()).name(), t.index(), t.x(),
          t.y(), t.vector(), t.coefficient(), t.weight(), t.image()));
    }
    return new Objective(out);
  }

  /** Tensors (layer names, or {@code logits} for class terms) the gradient is seeded at. */
  List<String> seeds(String logits) {
    Set<String> s = new LinkedHashSet<>();
    for (Term t : terms) {
      if (t.kind() == Kind.CLASS) {
        s.add(logits);
      } else if (t.kind() != Kind.L2) {
        s.add(t.layer());
      }
    }
    return List.copyOf(s);
  }

  /** Layers whose values the cotangents depend on (read by a forward pass before each gradient). */
  List<String> nonlinearLayers() {
    Set<String> s = new LinkedHashSet<>();
    terms.stream().filter(t -> !t.linear()).forEach(t -> s.add(t.layer()));
    return List.copyOf(s);
  }

  /** Every tensor the reported values read. */
  List<String> layers() {
    Set<String> s = new LinkedHashSet<>();
    terms.stream().filter(t -> t.layer() != null).forEach(t -> s.add(t.layer()));
    return List.copyOf(s);
  }

  /**
   * The cotangent of every seed for a batch of {@code n}: d(objective)/d(seed).
   *
   * @param units the shape of each layer seed (and of the logits, under their name)
   * @param activations values of {@link #nonlinearLayers} for this batch
   */
  Map<String, Tensor> cotangents(int n, String logits, Map<String, Unit> units, Map<String, Tensor> activations) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (String seed : seeds(logits)) {
      out.put(seed, Tensor.zeros(units.get(seed).batchShape(n)));
    }
    for (Term t : terms) {
      if (t.kind() == Kind.L2) {
        continue;
      }
      String seed = t.kind() == Kind.CLASS ? logits : t.layer();
      Unit u = units.get(seed);
      float[] ct = out.get(seed).data();
      if (t.kind() == Kind.DIVERSITY) {
        diversity(activations.get(seed).data(), u, n, ct, t.weight());
        continue;
      }
      for (int b = 0; b < n; b++) {
        if (t.image() >= 0 && t.image() != b) {
          continue;
        }
        int base = b * u.itemSize();
        switch (t.kind()) {
          case CHANNEL -> {
            for (int p = 0; p < u.positions(); p++) {
              ct[base + u.offset(t.index(), p)] += (float) (t.weight() / u.positions());
            }
          }
          case NEURON -> ct[base + u.offset(t.index(), position(t, u))] += (float) t.weight();
          case CLASS -> ct[base + t.index()] += (float) t.weight();
          case DIRECTION -> {
            for (int p = 0; p < u.positions(); p++) {
              for (int c = 0; c < u.channels(); c++) {
                ct[base + u.offset(c, p)] += (float) (t.weight() * t.vector().get(c) / u.positions());
              }
            }
          }
          case LAYER -> {
            float[] a = activations.get(seed).data();
            double scale = 2 * t.weight() / u.itemSize();
            for (int i = 0; i < u.itemSize(); i++) {
              ct[base + i] += (float) (scale * a[base + i]);
            }
          }
          default -> throw new IllegalStateException(t.kind().name());
        }
      }
    }
    return out;
  }

  /** Adds the gradient of the l2 terms with respect to the model input (N, C, H, W) to {@code gradient}. */
  void addInputGradient(float[] gradient, float[] input, int n) {
    int item = input.length / n;
    for (Term t : terms) {
      if (t.kind() != Kind.L2) {
        continue;
      }
      for (int b = 0; b < n; b++) {
        if (t.image() >= 0 && t.image() != b) {
          continue;
        }
        for (int i = b * item; i < (b + 1) * item; i++) {
          gradient[i] += (float) (2 * t.weight() * t.coefficient() * input[i]);
        }
      }
    }
  }

  /**
   * Every term's weighted value per image (diversity, a batch term, reported on every image), and
   * the per-image total in the last column.
   */
  double[][] values(int n, String logits, Map<String, Unit> units, Map<String, Tensor> activations, Tensor input) {
    double[][] v = new double[n][terms.size() + 1];
    for (int k = 0; k < terms.size(); k++) {
      Term t = terms.get(k);
      double diversity = t.kind() == Kind.DIVERSITY
          ? diversity(activations.get(t.layer()).data(), units.get(t.layer()), n, null, 1) : 0;
      for (int b = 0; b < n; b++) {
        if (t.image() >= 0 && t.image() != b) {
          continue;
        }
        v[b][k] = t.weight() * (t.kind() == Kind.DIVERSITY ? diversity : unweighted(t, b, logits, units, activations, input));
        v[b][terms.size()] += v[b][k];
      }
    }
    return v;
  }

  /** A term's value on image b, before its weight. */
  static double unweighted(Term t, int b, String logits, Map<String, Unit> units, Map<String, Tensor> activations,
      Tensor input) {
    if (t.kind() == Kind.L2) {
      int item = input.itemSize();
      double s = 0;
      for (int i = b * item; i < (b + 1) * item; i++) {
        s += (double) input.data()[i] * input.data()[i];
      }
      return t.coefficient() * s;
    }
    String seed = t.kind() == Kind.CLASS ? logits : t.layer();
    Unit u = units.get(seed);
    float[] a = activations.get(seed).data();
    int base = b * u.itemSize();
    double s = 0;
    switch (t.kind()) {
      case CHANNEL -> {
        for (int p = 0; p < u.positions(); p++) {
          s += a[base + u.offset(t.index(), p)];
        }
        return s / u.positions();
      }
      case NEURON -> {
        return a[base + u.offset(t.index(), position(t, u))];
      }
      case CLASS -> {
        return a[base + t.index()];
      }
      case DIRECTION -> {
        for (int p = 0; p < u.positions(); p++) {
          for (int c = 0; c < u.channels(); c++) {
            s += t.vector().get(c) * a[base + u.offset(c, p)];
          }
        }
        return s / u.positions();
      }
      case LAYER -> {
        for (int i = 0; i < u.itemSize(); i++) {
          s += (double) a[base + i] * a[base + i];
        }
        return s / u.itemSize();
      }
      default -> throw new IllegalStateException(t.kind().name());
    }
  }

  private static int position(Term t, Unit u) {
    return t.x() < 0 ? u.centre() : u.position(t.x(), t.y());
  }

  /**
   * Lucid's diversity: per image the Gram matrix G = F^T F of the layer's [positions, channels]
   * activations, L2-normalized; the sum over ordered pairs i != j of their dot products, over n.
   * With {@code gradient} non-null, adds d(value)/d(activations) times {@code weight} there.
   */
  static double diversity(float[] a, Unit u, int n, float[] gradient, double weight) {
    int c = u.channels();
    int p = u.positions();
    double[][] grams = new double[n][];
    double[] norms = new double[n];
    for (int b = 0; b < n; b++) {
      double[] g = new double[c * c];
      int base = b * u.itemSize();
      for (int pos = 0; pos < p; pos++) {
        for (int i = 0; i < c; i++) {
          double ai = a[base + u.offset(i, pos)];
          if (ai == 0) {
            continue;
          }
          for (int j = 0; j < c; j++) {
            g[i * c + j] += ai * a[base + u.offset(j, pos)];
          }
        }
      }
      double sq = 0;
      for (double v : g) {
        sq += v * v;
      }
      norms[b] = Math.sqrt(Math.max(sq, DIVERSITY_EPSILON));
      for (int k = 0; k < g.length; k++) {
        g[k] /= norms[b];
      }
      grams[b] = g;
    }
    double value = 0;
    double[] sum = new double[c * c];
    for (double[] g : grams) {
      for (int k = 0; k < g.length; k++) {
        sum[k] += g[k];
      }
    }
    for (int b = 0; b < n; b++) {
      for (int k = 0; k < c * c; k++) {
        value += grams[b][k] * (sum[k] - grams[b][k]);
      }
    }
    value /= n;
    if (gradient != null) {
      for (int b = 0; b < n; b++) {
        // dD/dN_b = (2 / n) sum_{j != b} N_j; through the normalization and G = F^T F.
        double[] dn = new double[c * c];
        double dot = 0;
        for (int k = 0; k < c * c; k++) {
          dn[k] = 2.0 / n * (sum[k] - grams[b][k]);
          dot += dn[k] * grams[b][k];
        }
        boolean clamped = norms[b] * norms[b] <= DIVERSITY_EPSILON;
        double[] dg = new double[c * c];
        for (int k = 0; k < c * c; k++) {
          dg[k] = (dn[k] - (clamped ? 0 : grams[b][k] * dot)) / norms[b];
        }
        int base = b * u.itemSize();
        for (int pos = 0; pos < p; pos++) {
          for (int i = 0; i < c; i++) {
            double s = 0;
            for (int j = 0; j < c; j++) {
              s += a[base + u.offset(j, pos)] * (dg[j * c + i] + dg[i * c + j]);
            }
            gradient[base + u.offset(i, pos)] += (float) (weight * s);
          }
        }
      }
    }
    return value;
  }
}
