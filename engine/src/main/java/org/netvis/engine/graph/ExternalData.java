package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model whose tensors keep their values in other files (ONNX's external data: PyTorch's exporter
 * writes every weight to {@code model.onnx.data} by default since 2.9, and any model over 2 GB must)
 * with those values read into the model, so that everything after reads one self-contained model.
 * Locations are resolved against the model's directory, as ONNX and ONNX Runtime resolve them;
 * one that is absolute or leaves that directory is refused, as they refuse it.
 */
final class ExternalData extends ModelRewrite {
  /**
   * netvis hands ONNX Runtime a model as one serialized ONNX message, which protobuf limits to 2 GB;
   * a few megabytes are left for the graph itself.
   */
  static final long LIMIT = Integer.MAX_VALUE - (8L << 20);

  private final Path directory;
  private final String source;
  private final long structureBytes;
  private final Map<Path, FileChannel> channels = new LinkedHashMap<>();
  private int tensors;
  private long bytes;

  private ExternalData(Path directory, String source, long structureBytes) {
    this.directory = directory.toAbsolutePath().normalize();
    this.source = source;
    this.structureBytes = structureBytes;
  }

  /** The model with its external tensors read in, the files they came from (in {@code directory}), and how much was read. */
  record Read(ModelProto model, Path directory, List<Path> files, int tensors, long bytes) {
    /** A sentence for the run record; null where every tensor was stored in the model file. */
    String note() {
      if (files.isEmpty()) {
        return null;
      }
      // A writer that puts each tensor in a file of its own makes hundreds: they are counted, not named.
      String where = files.size() > 3 ? files.size() + " data files"
          : String.join(", ", files.stream().map(f -> directory.relativize(f).toString()).toList());
      return String.format("%d tensors (%.1f MB) read from %s beside the model file", tensors, bytes / 1e6, where);
    }
  }

  /**
   * The model with its external tensors' values read in; the model itself, and no files, where every
   * tensor holds its values.
   *
   * @param structureBytes the model file's own size, counted against {@link #LIMIT} with what is read
   */
  static Read read(ModelProto model, Path directory, String source, long structureBytes) throws IOException {
    ExternalData reader = new ExternalData(directory, source, structureBytes);
    try {
      ModelProto inlined = reader.apply(model);
      return new Read(inlined, reader.directory, List.copyOf(reader.channels.keySet()), reader.tensors, reader.bytes);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } finally {
      for (FileChannel c : reader.channels.values()) {
        c.close();
      }
    }
  }

  /** Whether any tensor of the model keeps its values in another file (bytes without a file must not). */
  static boolean uses(ModelProto model) {
    boolean[] found = {false};
    new ModelRewrite() {
      @Override
      protected TensorProto tensor(TensorProto t) {
        found[0] |= TensorProtos.isExternal(t);
        return t;
      }
    }.apply(model);
    return found[0];
  }

  @Override
  protected TensorProto tensor(TensorProto t) {
    if (!TensorProtos.isExternal(t)) {
      return t;
    }
    Map<String, String> entries = new LinkedHashMap<>();
    for (StringStringEntryProto e : t.getExternalDataList()) {
      entries.put(e.getKey(), e.getValue());
    }
    String location = entries.get("location");
    if (location == null || location.isEmpty()) {
      throw refused(t, "its external_data names no 'location'; expected the data file's path relative to the model");
    }
    Path file = resolve(t, location);
    long expected = byteCount(t);
    long offset = number(t, entries, "offset", 0);
    long length = number(t, entries, "length", expected);
    if (length != expected) {
      throw refused(t, "its external_data gives length " + length + " bytes; its shape " + describe(t) + " of "
          + typeName(t) + " takes " + expected);
    }
    if (structureBytes + bytes + length > LIMIT) {
      throw refused(t, "the model's tensors take more than 2 GB with it; netvis passes a model to ONNX Runtime as"
          + " one ONNX message, which protobuf limits to 2 GB, so models this large are not supported");
    }
    try {
      FileChannel channel = channel(t, file, location);
      long size = channel.size();
      if (offset < 0 || offset + length > size) {
        throw refused(t, "it takes bytes " + offset + " to " + (offset + length) + " of '" + location + "', which holds "
            + size + " bytes (a data file from another export, or cut short?)");
      }
      ByteBuffer values = ByteBuffer.allocate(Math.toIntExact(length));
      while (values.hasRemaining()) {
        if (channel.read(values, offset + values.position()) < 0) {
          throw refused(t, "'" + location + "' ended while reading it");
        }
      }
      tensors++;
      bytes += length;
      // The array is this tensor's alone: wrapping it saves copying every weight once more.
      return t.toBuilder().clearExternalData().clearDataLocation()
          .setRawData(UnsafeByteOperations.unsafeWrap(values.array())).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path resolve(TensorProto t, String location) {
    Path relative;
    try {
      relative = Path.of(location);
    } catch (java.nio.file.InvalidPathException e) {
      throw refused(t, "its data file '" + location + "' is not a valid path");
    }
    if (relative.isAbsolute()) {
      throw refused(t, "its data file '" + location + "' is an absolute path; ONNX takes a path relative to the"
          + " model's directory");
    }
    Path file = directory.resolve(relative).normalize();
    if (!file.startsWith(directory)) {
      throw refused(t, "its data file '" + location + "' lies outside the model's directory " + directory
          + ", which ONNX and ONNX Runtime refuse");
    }
    return file;
  }

  private FileChannel channel(TensorProto t, Path file, String location) throws IOException {
    FileChannel open = channels.get(file);
    if (open != null) {
      return open;
    }
    if (!Files.isRegularFile(file)) {
      throw refused(t, "it keeps its values in '" + location + "', which is not in " + directory
          + "; copy the data file there beside the model file");
    }
    open = FileChannel.open(file, StandardOpenOption.READ);
    channels.put(file, open);
    return open;
  }

  private long number(TensorProto t, Map<String, String> entries, String key, long absent) {
    String value = entries.get(key);
    if (value == null || value.isEmpty()) {
      return absent;
    }
    try {
      long n = Long.parseLong(value.strip());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw refused(t, "its external_data '" + key + "' is '" + value + "'; expected a byte count, 0 or more");
  }

  /** The bytes a tensor's values take in ONNX's raw little-endian form (4-bit types two to a byte). */
  private long byteCount(TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) {
      n = Math.multiplyExact(n, d);
    }
    TensorProto.DataType type = TensorProto.DataType.forNumber(t.getDataType());
    if (type == null) {
      throw refused(t, "its element type " + typeName(t) + " is unknown to netvis");
    }
    int bits = switch (type) {
      case BOOL, INT8, UINT8, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ -> 8;
      case INT16, UINT16, FLOAT16, BFLOAT16 -> 16;
      case FLOAT, INT32, UINT32 -> 32;
      case DOUBLE, INT64, UINT64, COMPLEX64 -> 64;
      case COMPLEX128 -> 128;
      case INT4, UINT4 -> 4;
      default -> throw refused(t, "its element type " + typeName(t) + " cannot be stored as external data");
    };
    return (n * bits + 7) / 8;
  }

  private GraphBuildException refused(TensorProto t, String why) {
    return new GraphBuildException(source + ": tensor '" + t.getName() + "': " + why);
  }

  private static String describe(TensorProto t) {
    return BackwardContext.describe(TensorProtos.shape(t));
  }

  private static String typeName(TensorProto t) {
    TensorProto.DataType type = TensorProto.DataType.forNumber(t.getDataType());
    return type == null ? "type " + t.getDataType() : type.name().toLowerCase();
  }
}
