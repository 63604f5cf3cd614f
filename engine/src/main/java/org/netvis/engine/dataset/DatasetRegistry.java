package org.netvis.engine.dataset;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.netvis.engine.download.Downloader;
import org.netvis.engine.download.IntegrityException;
import org.netvis.engine.download.SearchPath;
import org.netvis.engine.model.FileDigests;
import org.netvis.engine.spi.NearestNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds data sets by id, as models are found: descriptors ({@code *.yaml}) and files along
 * {@code NETVIS_DATA_PATH}, {@code ./datasets}, the installation's {@code datasets/} and the user
 * cache, downloading into the cache with a sha256 check when the file is nowhere.
 */
public final class DatasetRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(DatasetRegistry.class);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  private final SearchPath path;
  private final Downloader downloader;
  private Map<String, DatasetDescriptor> descriptors;

  public DatasetRegistry(SearchPath path, Downloader downloader) {
    this.path = path;
    this.downloader = downloader;
  }

  public static DatasetRegistry fromEnvironment(boolean showProgress) {
    return new DatasetRegistry(SearchPath.fromEnvironment("netvis.data.path", "NETVIS_DATA_PATH", "datasets"),
        new Downloader(showProgress));
  }

  public SearchPath searchPath() {
    return path;
  }

  /** Every descriptor along the search path, by id; the first directory wins. */
  public synchronized Map<String, DatasetDescriptor> descriptors() {
    if (descriptors == null) {
      Map<String, DatasetDescriptor> found = new LinkedHashMap<>();
      for (Path dir : path.directories()) {
        if (!Files.isDirectory(dir)) {
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.{yaml,yml}")) {
          for (Path f : files) {
            DatasetDescriptor d = read(f);
            found.putIfAbsent(d.id(), d);
          }
        } catch (IOException e) {
          LOG.warn("cannot read data set descriptors in {}: {}", dir, e.getMessage());
        }
      }
      descriptors = found;
    }
    return descriptors;
  }

  static DatasetDescriptor read(Path file) throws IOException {
    DatasetDescriptor d;
    try {
      d = YAML.readValue(file.toFile(), DatasetDescriptor.class);
    } catch (IOException e) {
      throw new IOException(file + ": not a valid data set descriptor: "
          + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
    }
    if (d.id() == null || d.file() == null) {
      throw new IOException(file + ": a data set descriptor needs 'id' and 'file'");
    }
    return d;
  }

  /** True when {@code entry} names a known data set rather than a path. */
  public boolean isId(String entry) {
    return looksLikeId(entry) && descriptors().containsKey(entry);
  }

  /** A word without a path separator, extension or wildcard. */
  public boolean looksLikeId(String entry) {
    return entry.matches("[A-Za-z0-9_-]+");
  }

  /**
   * The file of a data set: found on the search path, or downloaded into the cache; either way its
   * sha256 must be one the descriptor knows.
   */
  public Path resolve(String id) throws IOException {
    DatasetDescriptor d = descriptors().get(id);
    if (d == null) {
      throw new IOException("unknown data set '" + id + "'" + NearestNames.didYouMean(id, descriptors().keySet())
          + " (known: " + String.join(", ", descriptors().keySet()) + ")");
    }
    Optional<Path> found = path.locate(d.id(), d.file());
    Path file;
    if (found.isPresent()) {
      file = found.get();
    } else {
      String url = d.obtain() == null ? null : d.obtain().download();
      if (url == null || url.isBlank()) {
        throw new IOException(notFound(d, null));
      }
      file = path.downloadTarget(d.id(), d.file());
      String expected = d.obtain().downloadSha256() != null ? d.obtain().downloadSha256()
          : d.sha256().isEmpty() ? null : d.sha256().get(0);
      try {
        downloader.download(URI.create(url), file, expected);
      } catch (IOException e) {
        throw new IOException(notFound(d, "downloading " + url + " failed: " + (e.getMessage() == null ? e.toString() : e.getMessage())), e);
      }
    }
    String sha = FileDigests.standard().sha256(file);
    if (!d.sha256().isEmpty() && !d.sha256().contains(sha)) {
      throw new IntegrityException(file + ": sha256 " + sha + " matches none of the known values for data set '"
          + d.id() + "' " + d.sha256() + "; the file is damaged or a different one");
    }
    return file;
  }

  private String notFound(DatasetDescriptor d, String downloadProblem) {
    StringBuilder msg = new StringBuilder("data set '" + d.id() + "' (" + d.file() + ") not found; looked in:");
    for (Path p : path.candidates(d.id(), d.file())) {
      msg.append("\n  ").append(p);
    }
    if (downloadProblem != null) {
      msg.append("\n").append(downloadProblem);
    }
    msg.append("\nPoint NETVIS_DATA_PATH at the directory that holds it");
    return msg.toString();
  }
}
