package org.netvis.engine.dataset;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * A data set as described by a file in {@code datasets/}: the archive to find, its known sha256
 * values, what its arrays hold, and where to download it.
 *
 * @param arrays the meaning of each array in the archive (X: pixels, y: labels, ...), for people
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record DatasetDescriptor(String id, String description, String file, List<String> sha256,
    Map<String, String> arrays, Obtain obtain) {

  public DatasetDescriptor {
    sha256 = sha256 == null ? List.of() : List.copyOf(sha256);
    arrays = arrays == null ? Map.of() : Map.copyOf(arrays);
  }

  /** Where the file comes from when it is not on disk. */
  public record Obtain(String download, @JsonProperty("download_sha256") String downloadSha256, String source) {}
}
