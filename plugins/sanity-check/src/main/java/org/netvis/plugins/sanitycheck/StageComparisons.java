package org.netvis.plugins.sanitycheck;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Each stage's maps against the original's (mean Spearman rank correlation and SSIM over the
 * images), worked out on a thread of their own as the stages come in: about 10 ms of Java per map,
 * which fits in the time the next stage leaves a core idle (loading its sessions, deriving its
 * graphs) instead of running after the last stage.
 */
final class StageComparisons implements AutoCloseable {
  /** One method's maps on the original model, with their ranks, and the maps' size. */
  private record Original(float[][] maps, double[][] ranks, int height, int width) {}

  /** One method's mean rank correlation and SSIM at each stage, in stage order. */
  record ByStage(double[] spearman, double[] ssim) {}

  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "netvis-sanity-comparisons");
    t.setDaemon(true);
    return t;
  });
  private final int imageHeight;
  private final int imageWidth;
  private final Map<String, CompletableFuture<Original>> originals = new HashMap<>();
  private final Map<String, List<CompletableFuture<double[]>>> stages = new HashMap<>();

  StageComparisons(int imageHeight, int imageWidth) {
    this.imageHeight = imageHeight;
    this.imageWidth = imageWidth;
  }

  /** Adds the next stage's maps (per image) of a method; stage 0, the original model's, first. */
  void add(String method, float[][] maps) {
    if (!originals.containsKey(method)) {
      originals.put(method, CompletableFuture.supplyAsync(() -> original(maps), worker));
      stages.put(method, new ArrayList<>());
    }
    stages.get(method).add(originals.get(method).thenApplyAsync(o -> compare(o, maps), worker));
  }

  /** A method's comparisons, once every stage added is done; a failure is thrown as it was. */
  ByStage of(String method) {
    List<CompletableFuture<double[]>> byStage = stages.get(method);
    double[] spearman = new double[byStage.size()];
    double[] ssim = new double[byStage.size()];
    for (int s = 0; s < byStage.size(); s++) {
      try {
        double[] r = byStage.get(s).join();
        spearman[s] = r[0];
        ssim[s] = r[1];
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    }
    return new ByStage(spearman, ssim);
  }

  private Original original(float[][] maps) {
    if (maps.length == 0) {
      return new Original(maps, new double[0][], 0, 0);
    }
    int size = maps[0].length;
    int height = mapHeight(size, imageHeight, imageWidth);
    double[][] ranks = new double[maps.length][];
    for (int i = 0; i < maps.length; i++) {
      ranks[i] = MapSimilarity.ranks(maps[i]);
    }
    return new Original(maps, ranks, height, size / height);
  }

  /** A map's height: the image's where it has the image's size, else square (Grad-CAM's coarse maps). */
  static int mapHeight(int size, int imageHeight, int imageWidth) {
    return size == imageHeight * imageWidth ? imageHeight : (int) Math.round(Math.sqrt(size));
  }

  /** {mean Spearman, mean SSIM} over the images, each image added in order. */
  private static double[] compare(Original o, float[][] maps) {
    int n = maps.length;
    double spearman = 0;
    double ssim = 0;
    for (int i = 0; i < n; i++) {
      spearman += MapSimilarity.pearson(o.ranks()[i], MapSimilarity.ranks(maps[i])) / n;
      ssim += MapSimilarity.ssim(o.maps()[i], maps[i], o.height(), o.width()) / n;
    }
    return new double[] {spearman, ssim};
  }

  @Override
  public void close() {
    worker.shutdownNow();
  }
}
