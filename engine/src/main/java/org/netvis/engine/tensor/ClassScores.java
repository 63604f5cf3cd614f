package org.netvis.engine.tensor;

/** Per-row views of a (batch, classes) logits tensor: predictions, probabilities, top-k, cotangents. */
public final class ClassScores {
  private ClassScores() {}

  public static int argmax(Tensor logits, int row) {
    int classes = (int) logits.dim(1);
    float[] d = logits.data();
    int best = 0;
    for (int c = 1; c < classes; c++) {
      if (d[row * classes + c] > d[row * classes + best]) {
        best = c;
      }
    }
    return best;
  }

  /** Softmax of one row, computed in double and shifted by the row maximum. */
  public static double[] softmax(Tensor logits, int row) {
    int classes = (int) logits.dim(1);
    float[] d = logits.data();
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      max = Math.max(max, d[row * classes + c]);
    }
    double[] p = new double[classes];
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      p[c] = Math.exp(d[row * classes + c] - max);
      sum += p[c];
    }
    for (int c = 0; c < classes; c++) {
      p[c] /= sum;
    }
    return p;
  }

  /** The k most probable classes of a row, most probable first. */
  public static int[] topK(double[] probabilities, int k) {
    Integer[] idx = new Integer[probabilities.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    java.util.Arrays.sort(idx, (a, b) -> Double.compare(probabilities[b], probabilities[a]));
    int[] out = new int[Math.min(k, idx.length)];
    for (int i = 0; i < out.length; i++) {
      out[i] = idx[i];
    }
    return out;
  }

  /** A (rows, classes) cotangent with 1 at each row's class: the gradient of the sum of those scores. */
  public static Tensor oneHot(long[] classesPerRow, long classes) {
    Tensor t = Tensor.zeros(classesPerRow.length, classes);
    for (int i = 0; i < classesPerRow.length; i++) {
      t.data()[(int) (i * classes + classesPerRow[i])] = 1f;
    }
    return t;
  }
}
