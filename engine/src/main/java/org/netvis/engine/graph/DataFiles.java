package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files beside a model file that hold its tensors' values (ONNX's external data), and how every
 * graph netvis derives from the model is serialized for ONNX Runtime: a tensor whose values are still
 * the very bytes mapped from a data file ({@link ExternalData}) refers to that file again, at its
 * offset, so neither the message ONNX Runtime loads nor a companion graph saved beside the model copies
 * the weights, and a model whose weights exceed protobuf's 2 GB limit for one message runs. ONNX Runtime
 * reads those files from the model's directory ({@link #configure}); a companion graph saved beside the
 * model refers to the same files, as the model does.
 */
public final class DataFiles {
  /**
   * What one serialized message may hold: protobuf limits a message to 2 GB; a few megabytes are left
   * for the graph itself.
   */
  static final long LIMIT = Integer.MAX_VALUE - (8L << 20);

  private final String source;
  private final Path directory;
  private final List<Path> files;
  private final Map<ByteString, List<StringStringEntryProto>> locations;

  DataFiles(String source, Path directory, List<Path> files, Map<ByteString, List<StringStringEntryProto>> locations) {
    this.source = source;
    this.directory = directory;
    this.files = List.copyOf(files);
    // By identity: a tensor refers to its file only while it holds the mapped bytes themselves.
    this.locations = new IdentityHashMap<>(locations);
  }

  /** A model that keeps every tensor inside its own file. */
  public static DataFiles none(String source) {
    return new DataFiles(source, null, List.of(), Map.of());
  }

  /** The data files, each in {@link #directory}; empty where the model file holds every tensor. */
  public List<Path> files() {
    return files;
  }

  /** The model's directory, against which the data files' locations resolve; null where there are none. */
  public Path directory() {
    return directory;
  }

  /** Whether the tensor's values are a data file's mapped bytes, which {@link #serialize} refers to. */
  public boolean holds(TensorProto t) {
    return !t.getRawData().isEmpty() && locations.containsKey(t.getRawData());
  }

  /** Tells a session where the data files are, for a graph from {@link #serialize} loaded from its bytes. */
  public void configure(OrtSession.SessionOptions options) throws OrtException {
    if (directory != null) {
      options.addConfigEntry("session.model_external_initializers_file_folder_path", directory.toString());
    }
  }

  /**
   * The model as one ONNX message, with every tensor that holds a data file's mapped bytes referring to
   * that file again; refused, naming its largest tensors, where the rest would exceed protobuf's limit.
   */
  public byte[] serialize(ModelProto model) {
    long[] inline = {0};
    TensorProto[] largest = new TensorProto[3];
    ModelProto referring = new ModelRewrite() {
      @Override
      protected TensorProto tensor(TensorProto t) {
        List<StringStringEntryProto> where = holds(t) ? locations.get(t.getRawData()) : null;
        if (where != null) {
          return t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
              .addAllExternalData(where).build();
        }
        long size = t.getSerializedSize();
        inline[0] += size;
        for (int i = 0; i < largest.length; i++) {
          if (largest[i] == null || largest[i].getSerializedSize() < size) {
            System.arraycopy(largest, i, largest, i + 1, largest.length - i - 1);
            largest[i] = t;
            break;
          }
        }
        return t;
      }
    }.apply(model);
    if (inline[0] > LIMIT) {
      StringBuilder names = new StringBuilder();
      for (TensorProto t : largest) {
        if (t != null) {
          names.append(names.length() == 0 ? "" : ", ").append('\'').append(t.getName()).append("' (")
              .append(String.format("%.1f MB", t.getSerializedSize() / 1e6)).append(')');
        }
      }
      throw new GraphBuildException(String.format("%s: a graph netvis derived from the model holds %.2f GB of"
          + " tensors that are not in the model's data files (the largest: %s); ONNX Runtime takes a graph as one"
          + " ONNX message, which protobuf limits to 2 GB. Weights kept in external data files beside the model"
          + " file do not count against it", source, inline[0] / 1e9, names));
    }
    return referring.toByteArray();
  }
}
