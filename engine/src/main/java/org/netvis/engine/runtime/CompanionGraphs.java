package org.netvis.engine.runtime;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.netvis.engine.graph.GradientGraph;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.ModelStructure;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.model.FileDigests;
import org.netvis.engine.model.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The companion gradient graph of a model, kept on disk beside it ({@code name.vjp.onnx}) or, when
 * that directory is read-only, in the user cache. A saved graph is reused while it records the
 * model's sha256, this builder's version, the same spec and input size; otherwise it is rebuilt.
 */
public final class CompanionGraphs {
  private static final Logger LOG = LoggerFactory.getLogger(CompanionGraphs.class);
  private final Path cacheDir;
  private final GradientGraphBuilder builder;
  private final FileDigests digests = FileDigests.standard();

  public CompanionGraphs(Path cacheDir) {
    this(cacheDir, new GradientGraphBuilder());
  }

  /** With the builder of the engine that derives its other graphs (it keeps its last preparation). */
  public CompanionGraphs(Path cacheDir, GradientGraphBuilder builder) {
    this.cacheDir = cacheDir;
    this.builder = builder;
  }

  /**
   * A gradient graph, the file it lives in (null where no place could hold it) and the bytes ONNX
   * Runtime loads, as read from that file: a reused graph is not parsed with its weights in Java,
   * its proto is its structure without the weights' values ({@link ModelStructure}). Its sha256 is
   * taken when first asked for (a graph that only a technique loads, PGD's cross-entropy graph, is
   * never hashed), and remembered with the file's status when it was read ({@link FileDigests}).
   */
  public static final class Companion {
    private final GradientGraph graph;
    private final Path file;
    private final boolean rebuilt;
    private final Saved saved;
    private final FileDigests digests;
    private String sha256;

    private Companion(GradientGraph graph, Path file, boolean rebuilt, Saved saved, FileDigests digests) {
      this.graph = graph;
      this.file = file;
      this.rebuilt = rebuilt;
      this.saved = saved;
      this.digests = digests;
    }

    public GradientGraph graph() {
      return graph;
    }

    public Path file() {
      return file;
    }

    /** Whether this call derived the graph (it was missing or stale) rather than reusing the saved one. */
    public boolean rebuilt() {
      return rebuilt;
    }

    public synchronized String sha256() {
      if (sha256 == null) {
        try {
          sha256 = file == null ? Sha256.of(saved.bytes()) : digests.sha256(file, saved.status(),
              () -> Sha256.of(saved.bytes()));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      return sha256;
    }

    /**
     * The serialized graph, for ONNX Runtime to load: kept while the engine lives, as fixed batches
     * load a session per batch size; no larger than the parsed graph that was kept before.
     */
    byte[] serialized() {
      return saved.bytes();
    }
  }

  /** A file's bytes and its status while they were read (null: unknown). */
  private record Saved(byte[] bytes, FileDigests.Status status) {
    static Saved read(Path file) throws IOException {
      FileDigests.Status before = FileDigests.Status.of(file);
      byte[] bytes = Files.readAllBytes(file);
      return new Saved(bytes, before != null && before.equals(FileDigests.Status.of(file)) ? before : null);
    }
  }

  /** The file name for a spec and size; the model's own size and the default spec get the short name. */
  public static String fileName(Path model, VjpSpec spec, long h, long w, boolean defaultSize) {
    String stem = model.getFileName().toString().replaceFirst("\\.onnx$", "");
    StringBuilder name = new StringBuilder(stem).append(".vjp");
    if (!defaultSize) {
      name.append('.').append(h).append('x').append(w);
    }
    if (!spec.isDefault()) {
      name.append('.').append(Sha256.of(spec.key().getBytes(java.nio.charset.StandardCharsets.UTF_8)), 0, 10);
    }
    return name.append(".onnx").toString();
  }

  /** Places checked for a companion file, in order; none without a cache directory (graphs in memory only). */
  public List<Path> locations(Path model, String modelSha, String fileName) {
    List<Path> out = new ArrayList<>();
    if (cacheDir == null) {
      return out;
    }
    Path dir = model.toAbsolutePath().getParent();
    out.add(dir.resolve(fileName));
    out.add(cacheDir.resolve(cacheEntry(modelSha, fileName)));
    return out;
  }

  /** Where in a cache directory a model's companion file of that name lives (relative to the cache). */
  public static Path cacheEntry(String modelSha, String fileName) {
    return Path.of(modelSha.substring(0, 16), fileName);
  }

  public Companion obtain(Path model, String modelSha, ModelGraph forward, VjpSpec spec, long h, long w,
      boolean defaultSize) throws IOException {
    String fileName = fileName(model, spec, h, w, defaultSize);
    List<Path> places = locations(model, modelSha, fileName);
    for (Path p : places) {
      if (!Files.isRegularFile(p)) {
        continue;
      }
      Saved saved = Saved.read(p);
      GradientGraph graph = null;
      String why;
      try {
        ModelProto structure = ModelStructure.read(saved.bytes());
        why = staleReason(structure, modelSha, spec, h, w);
        if (why == null) {
          graph = GradientGraph.fromSaved(structure, spec);
          why = graph == null ? "its graph input is missing" : null;
        }
      } catch (IOException e) {
        why = "unreadable: " + e.getMessage();
      }
      if (why == null) {
        LOG.debug("reusing companion gradient graph {}", p);
        return new Companion(graph, p, false, saved, digests);
      }
      LOG.warn("companion gradient graph {} is stale ({}); rebuilding it", p, why);
    }
    long start = System.nanoTime();
    byte[] built = forward.serialize(builder.build(forward, spec, h, w, modelSha).proto());
    LOG.info("derived the gradient graph of {} at {}x{} in {} ms", model.getFileName(), h, w,
        (System.nanoTime() - start) / 1_000_000);
    Path file = null;
    for (Path p : places) {
      try {
        write(p, built);
        file = p;
        break;
      } catch (IOException | java.nio.file.ReadOnlyFileSystemException e) {
        LOG.debug("cannot write {}: {}", p, e.toString());
      }
    }
    if (file == null && !places.isEmpty()) {
      LOG.warn("could not save the gradient graph in any of {}; it will be derived again next time", places);
    }
    // Read back like a saved graph, so that a derived graph, too, keeps only its structure parsed. A
    // freshly written file is hashed from these bytes: its status is too recent to be remembered.
    return new Companion(GradientGraph.fromSaved(ModelStructure.read(built), spec), file, true,
        new Saved(built, null), digests);
  }

  /** Null when the saved graph fits; otherwise why it does not. */
  public static String staleReason(Path file, String modelSha, VjpSpec spec, long h, long w) {
    try {
      return staleReason(ModelStructure.read(Files.readAllBytes(file)), modelSha, spec, h, w);
    } catch (IOException e) {
      return "unreadable: " + e.getMessage();
    }
  }

  private static String staleReason(ModelProto saved, String modelSha, VjpSpec spec, long h, long w) {
    String sha = GradientGraph.metadata(saved, GradientGraph.META_FORWARD_SHA256);
    if (sha == null) {
      return "not written by netvis";
    }
    if (!sha.equals(modelSha)) {
      return "built for a model with sha256 " + sha + ", this one has " + modelSha;
    }
    if (!GradientGraph.BUILDER_VERSION.equals(GradientGraph.metadata(saved, GradientGraph.META_BUILDER_VERSION))) {
      return "built by another version of the gradient builder";
    }
    if (!spec.key().equals(GradientGraph.metadata(saved, GradientGraph.META_SPEC))) {
      return "built for another gradient spec";
    }
    if (!(h + "x" + w).equals(GradientGraph.metadata(saved, GradientGraph.META_INPUT_SIZE))) {
      return "built for another input size";
    }
    return null;
  }

  private static void write(Path target, byte[] bytes) throws IOException {
    Files.createDirectories(target.getParent());
    if (!org.netvis.engine.Directories.writable(target.getParent())) {
      throw new AccessDeniedException(target.getParent().toString());
    }
    Path tmp = Files.createTempFile(target.getParent(), ".vjp-", ".tmp");
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
