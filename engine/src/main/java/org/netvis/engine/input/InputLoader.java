package org.netvis.engine.input;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.stream.Stream;
import org.netvis.engine.image.ImageFiles;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.image.RgbImage;
import org.netvis.engine.model.FileDigests;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.netvis.engine.tensor.Tensor;

/**
 * Turns the experiment's input entries (image files, directories, globs, .npy arrays, .npz archives
 * with X and optional y) into one batch. uint8 (N, H, W, 3) arrays are pixels and go through the
 * preprocessing; float32 (N, 3, H, W) arrays are already model input.
 */
public final class InputLoader {
  private final Preprocessing preprocessing;
  private final long maxPixels;

  public InputLoader(Preprocessing preprocessing, long maxPixels) {
    this.preprocessing = preprocessing;
    this.maxPixels = maxPixels;
  }

  /** The files an entry names, in order; fails when it names nothing. */
  public static List<Path> expand(String entry, Path baseDir) throws IOException {
    if (entry.contains("*") || entry.contains("?") || entry.contains("[")) {
      Path base = baseDir;
      String pattern = entry;
      int slash = entry.lastIndexOf('/', firstWildcard(entry));
      if (slash >= 0) {
        base = baseDir.resolve(entry.substring(0, slash));
        pattern = entry.substring(slash + 1);
      }
      PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
      List<Path> out = new ArrayList<>();
      if (Files.isDirectory(base)) {
        Path root = base;
        try (Stream<Path> files = Files.walk(base)) {
          files.filter(Files::isRegularFile).filter(p -> m.matches(root.relativize(p))).sorted().forEach(out::add);
        }
      }
      if (out.isEmpty()) {
        throw new IOException("input glob '" + entry + "' matches no file under " + base);
      }
      return out;
    }
    Path p = baseDir.resolve(entry).normalize();
    if (Files.isDirectory(p)) {
      List<Path> out = new ArrayList<>();
      try (DirectoryStream<Path> files = Files.newDirectoryStream(p)) {
        for (Path f : files) {
          if (Files.isRegularFile(f) && isInput(f)) {
            out.add(f);
          }
        }
      }
      out.sort(null);
      if (out.isEmpty()) {
        throw new IOException("input directory " + p + " holds no .png, .jpg, .jpeg, .npy or .npz file");
      }
      return out;
    }
    if (!Files.isRegularFile(p)) {
      throw new IOException("input " + p + " does not exist");
    }
    return List.of(p);
  }

  private static int firstWildcard(String s) {
    int i = s.length();
    for (char c : new char[] {'*', '?', '['}) {
      int j = s.indexOf(c);
      if (j >= 0) {
        i = Math.min(i, j);
      }
    }
    return i;
  }

  public static boolean isInput(Path p) {
    String n = p.getFileName().toString().toLowerCase();
    return ImageFiles.isImage(p) || n.endsWith(".npy") || n.endsWith(".npz");
  }

  /**
   * An encoded image held in memory (a row of a table of PNG or JPEG bytes), decoded and
   * preprocessed exactly as an image file is; {@code name} stands for the file in messages.
   */
  public Tensor load(byte[] encoded, String name) throws IOException {
    return Pixels.preprocess(ImageFiles.read(encoded, name, maxPixels), preprocessing);
  }

  /**
   * Loads every file into one batch. Labels come back only when every file carried them (.npz with
   * {@code y}); otherwise null, and the caller decides (experiment labels or the model's top-1).
   */
  public Loaded load(List<Path> files) throws IOException {
    List<Tensor> tensors = new ArrayList<>();
    List<String> names = new ArrayList<>();
    List<InputBatch.InputSource> sources = new ArrayList<>();
    List<Long> archiveLabels = new ArrayList<>();
    boolean allLabelled = true;
    for (Path f : files) {
      String name = f.getFileName().toString();
      String lower = name.toLowerCase();
      if (lower.endsWith(".npz")) {
        Map<String, NpyArray> arrays = Npy.readNpz(f);
        NpyArray x = arrays.get("X");
        if (x == null) {
          throw new IOException(f + ": .npz archive has no array 'X' (found " + arrays.keySet() + ")");
        }
        Tensor t = fromArray(x, f + ":X");
        NpyArray y = arrays.get("y");
        if (y != null) {
          if (y.dtype().isFloat() || y.shape().length != 1 || y.shape()[0] != t.dim(0)) {
            throw new IOException(f + ": 'y' is " + y.dtype() + " " + Arrays.toString(y.shape())
                + "; expected integer labels of shape (" + t.dim(0) + ",)");
          }
          for (long l : y.asLongs()) {
            archiveLabels.add(l);
          }
        } else {
          allLabelled = false;
        }
        addItems(tensors, names, t, name);
        sources.add(new InputBatch.InputSource(f.toString(), FileDigests.standard().sha256(f), (int) t.dim(0), null));
      } else if (lower.endsWith(".npy")) {
        Tensor t = fromArray(Npy.read(f), f.toString());
        addItems(tensors, names, t, name);
        allLabelled = false;
        sources.add(new InputBatch.InputSource(f.toString(), FileDigests.standard().sha256(f), (int) t.dim(0), null));
      } else {
        RgbImage image = ImageFiles.read(f, maxPixels);
        tensors.add(Pixels.preprocess(image, preprocessing));
        names.add(name);
        allLabelled = false;
        sources.add(new InputBatch.InputSource(f.toString(), FileDigests.standard().sha256(f), 1, image.note()));
      }
    }
    Tensor batch = Tensor.concat(tensors);
    long[] labels = allLabelled && archiveLabels.size() == batch.dim(0)
        ? archiveLabels.stream().mapToLong(Long::longValue).toArray() : null;
    return new Loaded(batch, labels, names, sources);
  }

  /**
   * Starts {@link #load(List)} on a thread of its own, so that decoding the inputs overlaps work that
   * does not need them (opening the model's and the companion graph's ONNX Runtime sessions: on a
   * cold JVM, five photos take 0.1 to 0.2 s to decode; bench/README.md, twenty-fourth session).
   */
  public Pending loadInBackground(List<Path> files) {
    FutureTask<Loaded> task = new FutureTask<>(() -> load(files));
    Thread thread = new Thread(task, "netvis-inputs");
    thread.setDaemon(true);
    thread.start();
    return new Pending(task);
  }

  /** Inputs being loaded by {@link #loadInBackground}. */
  public static final class Pending {
    private final FutureTask<Loaded> task;

    private Pending(FutureTask<Loaded> task) {
      this.task = task;
    }

    /** Waits for the inputs; throws what {@link #load(List)} threw. */
    public Loaded get() throws IOException, InterruptedException {
      try {
        return task.get();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        if (e.getCause() instanceof Error err) {
          throw err;
        }
        throw new IOException(e.getCause());
      }
    }
  }

  /** Loaded images and, where the files carried them, labels (else null). */
  public record Loaded(Tensor images, long[] labels, List<String> names, List<InputBatch.InputSource> sources) {}

  private static void addItems(List<Tensor> tensors, List<String> names, Tensor t, String name) {
    tensors.add(t);
    for (int i = 0; i < t.dim(0); i++) {
      names.add(t.dim(0) == 1 ? name : name + "[" + i + "]");
    }
  }

  private Tensor fromArray(NpyArray a, String source) throws IOException {
    long[] s = a.shape();
    if (a.dtype() == NpyArray.DType.UINT8 && s.length == 4 && s[3] == 3) {
      List<Tensor> items = new ArrayList<>();
      int h = (int) s[1];
      int w = (int) s[2];
      long[] values = a.asLongs();
      for (int n = 0; n < s[0]; n++) {
        int[] rgb = new int[h * w * 3];
        for (int i = 0; i < rgb.length; i++) {
          rgb[i] = (int) values[n * rgb.length + i];
        }
        items.add(Pixels.preprocess(new RgbImage(w, h, rgb, null), preprocessing));
      }
      return Tensor.concat(items);
    }
    if (a.dtype() == NpyArray.DType.FLOAT32 && s.length == 4 && s[1] == 3) {
      if (s[2] != preprocessing.crop() || s[3] != preprocessing.crop()) {
        throw new IOException(source + ": float32 array of shape " + Arrays.toString(s) + " does not match the model's input "
            + preprocessing.crop() + "x" + preprocessing.crop());
      }
      Tensor t = a.toTensor();
      for (float v : t.data()) {
        if (!Float.isFinite(v)) {
          throw new IOException(source + ": float32 array holds NaN or infinite values");
        }
      }
      return t;
    }
    throw new IOException(source + ": array of dtype " + a.dtype().name().toLowerCase() + " and shape " + Arrays.toString(s)
        + " is neither uint8 pixels (N, H, W, 3) nor float32 model input (N, 3, H, W)");
  }

}
