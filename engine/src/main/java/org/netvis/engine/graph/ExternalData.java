package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model whose tensors keep their values in other files (ONNX's external data: PyTorch's exporter
 * writes every weight to {@code model.onnx.data} by default since 2.9, and any model over 2 GB must)
 * with those values in the model, so that everything after reads one model. Larger tensors are mapped
 * from their files, not copied onto the heap, and graphs derived from the model refer to them in their
 * files again ({@link DataFiles#serialize}). Locations are resolved against the model's directory, as
 * ONNX and ONNX Runtime resolve them; one that is absolute or leaves that directory is refused, as they
 * refuse it.
 */
final class ExternalData extends ModelRewrite {
  /**
   * Tensors from this size on are mapped; smaller ones (biases, norms' scales) are read: mapping each
   * would cost a mapping per tensor, which the kernel limits, to save little.
   */
  static final long MAPPED_FROM_BYTES = 64 << 10;

  private final Path directory;
  private final String source;
  private final Map<Path, FileChannel> channels = new LinkedHashMap<>();
  private final Map<ByteString, List<StringStringEntryProto>> mapped = new IdentityHashMap<>();
  private int tensors;
  private long bytes;

  private ExternalData(Path directory, String source) {
    this.directory = directory.toAbsolutePath().normalize();
    this.source = source;
  }

  /** The model with its external tensors' values in it, the data files, and how much they held. */
  record Read(ModelProto model, DataFiles files, int tensors, long bytes) {
    /** A sentence for the run record; null where every tensor was stored in the model file. */
    String note() {
      if (files.files().isEmpty()) {
        return null;
      }
      // A writer that puts each tensor in a file of its own makes hundreds: they are counted, not named.
      String where = files.files().size() > 3 ? files.files().size() + " data files"
          : String.join(", ", files.files().stream().map(f -> files.directory().relativize(f).toString()).toList());
      return String.format("%d tensors (%.1f MB) read from %s beside the model file", tensors, bytes / 1e6, where);
    }
  }

  /**
   * The model with its external tensors' values in it; the model itself, and no files, where every
   * tensor holds its values.
   */
  static Read read(ModelProto model, Path directory, String source) throws IOException {
    ExternalData reader = new ExternalData(directory, source);
    try {
      ModelProto inlined = reader.apply(model);
      DataFiles files = reader.channels.isEmpty() ? DataFiles.none(source)
          : new DataFiles(source, reader.directory, List.copyOf(reader.channels.keySet()), reader.mapped);
      return new Read(inlined, files, reader.tensors, reader.bytes);
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
    if (length > Integer.MAX_VALUE) {
      throw refused(t, "it takes " + length + " bytes; netvis holds a tensor of at most 2 GB");
    }
    try {
      FileChannel channel = channel(t, file, location);
      long size = channel.size();
      if (offset < 0 || offset + length > size) {
        throw refused(t, "it takes bytes " + offset + " to " + (offset + length) + " of '" + location + "', which holds "
            + size + " bytes (a data file from another export, or cut short?)");
      }
      ByteString values;
      if (length >= MAPPED_FROM_BYTES) {
        // Read-only and never written: wrapping the mapping is safe, and it costs no heap.
        values = UnsafeByteOperations.unsafeWrap(channel.map(FileChannel.MapMode.READ_ONLY, offset, length));
        mapped.put(values, t.getExternalDataList());
      } else {
        ByteBuffer read = ByteBuffer.allocate((int) length);
        while (read.hasRemaining()) {
          if (channel.read(read, offset + read.position()) < 0) {
            throw refused(t, "'" + location + "' ended while reading it");
          }
        }
        // The array is this tensor's alone: wrapping it saves copying it once more.
        values = UnsafeByteOperations.unsafeWrap(read.array());
      }
      tensors++;
      bytes += length;
      return t.toBuilder().clearExternalData().clearDataLocation().setRawData(values).build();
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
