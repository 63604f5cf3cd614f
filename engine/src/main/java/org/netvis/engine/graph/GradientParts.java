package org.netvis.engine.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The gradients of parts of one tensor (what Slices and Gathers took from it), joined into its
 * full-size gradient with as few passes as the parts allow: contiguous parts along one axis with one
 * Concat (attention's q, k and v; a channel split), every-s-th parts that interleave to cover the
 * tensor (Swin's patch merging, space-to-depth) with Concat and Reshape, and whatever else padded or
 * spread to full size and added.
 */
final class GradientParts {
  /** A gradient of the part [start, start + length) along axis. */
  record Part(String gradient, int axis, long start, long length) {}

  /**
   * A gradient of the elements start + k * step (k < count) on every axis (step 1, start 0 and the
   * full count on axes not sliced); {@code full} emits it at full size where it cannot be joined.
   */
  record Strided(String gradient, long[] starts, long[] steps, long[] counts, Supplier<String> full) {}

  /** A gradient and its offsets, while interleaving. */
  private record Piece(long[] starts, String gradient) {}

  private final List<Part> parts = new ArrayList<>();
  private final List<Strided> strided = new ArrayList<>();

  void add(Part part) {
    parts.add(part);
  }

  void add(Strided part) {
    strided.add(part);
  }

  /** The sum of every part, full size, for a tensor of {@code shape} (-1: the batch axis). */
  String join(NodeEmitter e, long[] shape) {
    List<String> terms = new ArrayList<>();
    if (!parts.isEmpty()) {
      terms.add(joinContiguous(e, shape));
    }
    if (!strided.isEmpty()) {
      String interleaved = interleave(e, shape);
      if (interleaved != null) {
        terms.add(interleaved);
      } else {
        strided.forEach(p -> terms.add(p.full().get()));
      }
    }
    String sum = null;
    for (String t : terms) {
      sum = sum == null ? t : e.op("Add", List.of(sum, t));
    }
    return sum;
  }

  /**
   * One Concat along the parts' axis, gaps padded onto the part after them (or the last one), when
   * they share an axis and do not overlap; otherwise each part padded to full size, added.
   */
  private String joinContiguous(NodeEmitter e, long[] shape) {
    List<Part> sorted = parts.stream().sorted(Comparator.comparingLong(Part::start)).toList();
    boolean joinable = true;
    for (int i = 1; i < sorted.size(); i++) {
      Part before = sorted.get(i - 1);
      joinable &= sorted.get(i).axis() == before.axis() && before.start() + before.length() <= sorted.get(i).start();
    }
    if (!joinable) {
      String sum = null;
      for (Part p : parts) {
        long after = shape[p.axis()] - p.start() - p.length();
        String full = padAlong(e, p.gradient(), shape.length, p.axis(), p.start(), after);
        sum = sum == null ? full : e.op("Add", List.of(sum, full));
      }
      return sum;
    }
    int axis = sorted.get(0).axis();
    List<String> pieces = new ArrayList<>();
    long covered = 0;
    for (int i = 0; i < sorted.size(); i++) {
      Part p = sorted.get(i);
      long after = i == sorted.size() - 1 ? shape[axis] - p.start() - p.length() : 0;
      pieces.add(padAlong(e, p.gradient(), shape.length, axis, p.start() - covered, after));
      covered = p.start() + p.length();
    }
    return pieces.size() == 1 ? pieces.get(0) : e.op("Concat", pieces, Attributes.of("axis", (long) axis));
  }

  private static String padAlong(NodeEmitter e, String g, int rank, int axis, long before, long after) {
    if (before == 0 && after == 0) {
      return g;
    }
    long[] pads = new long[2 * rank];
    pads[axis] = before;
    pads[axis + rank] = after;
    return e.op("Pad", List.of(g, e.longs("pads", pads)));
  }

  /**
   * Where the strided parts are exactly the s_1 x ... x s_k interleaved grids of the tensor (the
   * same steps, every offset once, each covering its axis to the end), the full gradient without
   * padding or adding: per strided axis, from the last, the parts that differ only in their offset
   * there are stacked on a new axis after it (Unsqueeze, Concat) and the pair of axes merged (Reshape).
   * Null where the parts are anything else, or a size other than the batch's is unknown.
   */
  private String interleave(NodeEmitter e, long[] shape) {
    long[] steps = strided.get(0).steps();
    List<Integer> axes = new ArrayList<>();
    long grid = 1;
    for (int a = 0; a < shape.length; a++) {
      if (steps[a] > 1) {
        axes.add(a);
        grid *= steps[a];
      } else if (shape[a] < 0 && a != 0) {
        return null;
      }
    }
    if (strided.size() != grid || axes.isEmpty() || axes.get(0) == 0) {
      return null;
    }
    // Pieces keyed by their offsets, first on every axis, then on the axes not merged yet.
    Map<String, Piece> pieces = new LinkedHashMap<>();
    for (Strided p : strided) {
      for (int a = 0; a < shape.length; a++) {
        boolean fits = p.steps()[a] == steps[a] && (steps[a] > 1
            ? p.starts()[a] < steps[a] && p.counts()[a] * steps[a] == shape[a]
            : p.starts()[a] == 0 && (p.counts()[a] == shape[a] || shape[a] < 0));
        if (!fits) {
          return null;
        }
      }
      pieces.put(Arrays.toString(p.starts()), new Piece(p.starts(), p.gradient()));
    }
    if (pieces.size() != grid) {
      return null;
    }
    long[] current = shape.clone();
    for (int axis : axes) {
      current[axis] = shape[axis] / steps[axis];
    }
    for (int i = axes.size() - 1; i >= 0; i--) {
      int axis = axes.get(i);
      Map<String, List<Piece>> groups = new LinkedHashMap<>();
      for (Piece piece : pieces.values()) {
        long[] key = piece.starts().clone();
        key[axis] = 0;
        groups.computeIfAbsent(Arrays.toString(key), k -> new ArrayList<>()).add(piece);
      }
      long[] target = current.clone();
      target[0] = 0;
      target[axis] = shape[axis];
      pieces.clear();
      for (List<Piece> group : groups.values()) {
        List<String> stack = group.stream().sorted(Comparator.comparingLong(piece -> piece.starts()[axis]))
            .map(piece -> e.op("Unsqueeze", List.of(piece.gradient(), e.longs("axes", axis + 1)))).toList();
        String pairs = e.op("Concat", stack, Attributes.of("axis", (long) axis + 1));
        long[] merged = group.get(0).starts().clone();
        merged[axis] = 0;
        pieces.put(Arrays.toString(merged),
            new Piece(merged, e.op("Reshape", List.of(pairs, e.longs("interleaved_shape", target)))));
      }
      current[axis] = shape[axis];
    }
    return pieces.values().iterator().next().gradient();
  }
}
