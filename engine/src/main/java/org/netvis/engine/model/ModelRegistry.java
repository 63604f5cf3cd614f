package org.netvis.engine.model;

import org.netvis.engine.download.Downloader;
import org.netvis.engine.download.IntegrityException;
import org.netvis.engine.download.SearchPath;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.netvis.engine.spi.NearestNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds models by id or path. Ids are looked up in descriptor files ({@code *.yaml}, {@code *.yml},
 * {@code *.json}) and their weights in, in order: each directory of {@code NETVIS_MODEL_PATH} (or the
 * {@code netvis.model.path} system property), then
 * {@code ./models}, then the netvis installation's {@code models/}, then the per-user cache. Within a
 * directory the file may sit at its top level or in a sub-directory named after the id.
 */
public final class ModelRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  private final List<Path> searchPath;
  private final Path cacheDir;
  private final Downloader downloader;
  private Map<String, ModelDescriptor> descriptors;

  public ModelRegistry(List<Path> searchPath, Path cacheDir, Downloader downloader) {
    this.searchPath = List.copyOf(searchPath);
    this.cacheDir = cacheDir;
    this.downloader = downloader;
  }

  /** The registry as configured by the environment: NETVIS_MODEL_PATH, ./models, netvis.home, cache. */
  public static ModelRegistry fromEnvironment(boolean showProgress) {
    SearchPath path = SearchPath.fromEnvironment("netvis.model.path", "NETVIS_MODEL_PATH", "models");
    return new ModelRegistry(path.directories(), path.cache(), new Downloader(showProgress));
  }

  /** See {@link SearchPath#userCacheDir()}. */
  public static Path userCacheDir() {
    return SearchPath.userCacheDir();
  }

  public List<Path> searchPath() {
    return searchPath;
  }

  /** Every descriptor found along the search path, by id; the first directory wins. */
  public synchronized Map<String, ModelDescriptor> descriptors() {
    if (descriptors == null) {
      Map<String, ModelDescriptor> found = new LinkedHashMap<>();
      for (Path dir : searchPath) {
        if (!Files.isDirectory(dir)) {
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.{yaml,yml,json}")) {
          for (Path f : files) {
            ModelDescriptor d = readDescriptor(f);
            found.putIfAbsent(d.id(), d);
          }
        } catch (IOException e) {
          LOG.warn("cannot list {}: {}", dir, e.getMessage());
        }
      }
      descriptors = found;
    }
    return descriptors;
  }

  public static ModelDescriptor readDescriptor(Path file) throws IOException {
    ModelDescriptor d;
    try {
      d = YAML.readValue(file.toFile(), ModelDescriptor.class);
    } catch (IOException e) {
      throw new IOException(file + ": not a valid model descriptor: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
    }
    if (d.id() == null || d.file() == null || d.preprocessing() == null) {
      throw new IOException(file + ": a model descriptor needs 'id', 'file' and 'preprocessing'");
    }
    return d;
  }

  /** Resolves an id from the descriptors, or a path to an .onnx file (then with ImageNet preprocessing). */
  public ResolvedModel resolve(String idOrPath) throws IOException {
    return resolve(idOrPath, null);
  }

  /**
   * @param preprocessing for a plain .onnx path: its preprocessing (null: ImageNet defaults); ignored for ids
   */
  public ResolvedModel resolve(String idOrPath, Preprocessing preprocessing) throws IOException {
    if (idOrPath.endsWith(".onnx") || idOrPath.contains("/") || idOrPath.contains(java.io.File.separator)) {
      Path file = Path.of(idOrPath).toAbsolutePath().normalize();
      if (!Files.isRegularFile(file)) {
        throw new ModelNotFoundException("model file " + file + " does not exist");
      }
      ModelDescriptor d = ModelDescriptor.forFile(file.getFileName().toString(),
          preprocessing == null ? defaultPreprocessing(file) : preprocessing);
      return new ResolvedModel(d, file, FileDigests.standard().sha256(file), List.of());
    }
    ModelDescriptor d = descriptors().get(idOrPath);
    if (d == null) {
      throw new ModelNotFoundException("unknown model '" + idOrPath + "'"
          + NearestNames.didYouMean(idOrPath, descriptors().keySet()) + ": no descriptor with that id in "
          + searchPath + " (known ids: " + String.join(", ", descriptors().keySet())
          + "); pass a path to an .onnx file instead, or add a descriptor");
    }
    Optional<Path> file = locate(d);
    Path path = file.isPresent() ? file.get() : download(d);
    String sha = FileDigests.standard().sha256(path);
    if (!d.sha256().isEmpty() && !d.sha256().contains(sha)) {
      throw new IntegrityException(path + ": sha256 " + sha + " matches none of the known values for model '"
          + d.id() + "' " + d.sha256() + "; the file is damaged or a different export (pass the .onnx path to use it anyway)");
    }
    return new ResolvedModel(d, path, sha, classNames(d, path));
  }

  /** ImageNet statistics at the model's own input size when the file fixes it, else at 224. */
  private static Preprocessing defaultPreprocessing(Path file) {
    try {
      long[] in = org.netvis.engine.graph.ModelGraph.read(file).inputShape();
      if (in.length == 4 && in[2] > 0 && in[2] == in[3]) {
        return Preprocessing.IMAGENET.withSize((int) in[2]);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("cannot read the input size of {}: {}", file, e.getMessage());
    }
    return Preprocessing.IMAGENET;
  }

  /** Where the weights of {@code d} are on disk, without downloading. */
  public Optional<Path> locate(ModelDescriptor d) {
    for (Path candidate : candidates(d, d.file())) {
      if (Files.isRegularFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private List<Path> candidates(ModelDescriptor d, String fileName) {
    return new SearchPath(searchPath, cacheDir).candidates(d.id(), fileName);
  }

  private Path download(ModelDescriptor d) throws IOException {
    String url = d.obtain() == null ? null : d.obtain().download();
    Path target = cacheDir.resolve(d.id()).resolve(d.file());
    if (url != null && !url.isBlank()) {
      try {
        downloader.download(URI.create(url), target, d.obtain().downloadSha256());
        return target;
      } catch (IOException e) {
        throw notFound(d, "downloading " + url + " failed: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      }
    }
    throw notFound(d, null);
  }

  private ModelNotFoundException notFound(ModelDescriptor d, String downloadProblem) {
    StringBuilder msg = new StringBuilder("model '" + d.id() + "' (" + d.file() + ") not found; looked in:");
    for (Path p : candidates(d, d.file())) {
      msg.append("\n  ").append(p);
    }
    if (downloadProblem != null) {
      msg.append("\n").append(downloadProblem);
    }
    msg.append("\nTo obtain it:");
    if (d.obtain() != null && d.obtain().download() != null) {
      msg.append("\n  download ").append(d.obtain().download()).append(" into one of the directories above");
    }
    if (d.obtain() != null && d.obtain().export() != null) {
      msg.append("\n  or export it with PyTorch: ").append(d.obtain().export());
    }
    msg.append("\n  and/or point NETVIS_MODEL_PATH at the directory that holds it");
    return new ModelNotFoundException(msg.toString());
  }

  private List<String> classNames(ModelDescriptor d, Path modelFile) throws IOException {
    if (d.classes() == null || d.classes().names() == null) {
      return List.of();
    }
    List<Path> places = new ArrayList<>();
    places.add(modelFile.resolveSibling(d.classes().names()));
    places.addAll(candidates(d, d.classes().names()));
    for (Path p : places) {
      if (Files.isRegularFile(p)) {
        List<String> names = Files.readAllLines(p).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (d.classes().count() > 0 && names.size() != d.classes().count()) {
          throw new IOException(p + ": " + names.size() + " class names; model '" + d.id() + "' expects "
              + d.classes().count());
        }
        return names;
      }
    }
    LOG.warn("class names file {} for model '{}' not found; classes are shown by index", d.classes().names(), d.id());
    return List.of();
  }
}
