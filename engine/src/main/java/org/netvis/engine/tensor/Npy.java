package org.netvis.engine.tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads and writes NumPy {@code .npy} files (format 1.0 to 3.0, C order, little-endian or
 * single-byte dtypes) and reads {@code .npz} archives. This is how netvis exchanges arrays with
 * Python.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int FLOATS_PER_BLOCK = 1 << 16;
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Npy.class);

  private Npy() {}

  public static NpyArray read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    }
  }

  /** Reads a float array of any float or integer dtype as a float32 tensor. */
  public static Tensor readTensor(Path file) throws IOException {
    return read(file).toTensor();
  }

  public static NpyArray read(InputStream in, String source) throws IOException {
    byte[] magic = in.readNBytes(8);
    if (magic.length < 8) {
      throw new NpyFormatException(source + ": not a .npy file (shorter than its header)");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (magic[i] != MAGIC[i]) {
        throw new NpyFormatException(source + ": not a .npy file (missing the \\x93NUMPY magic)");
      }
    }
    int major = magic[6];
    int headerLength;
    if (major == 1) {
      byte[] len = in.readNBytes(2);
      headerLength = (len[0] & 0xff) | (len[1] & 0xff) << 8;
    } else if (major == 2 || major == 3) {
      byte[] len = in.readNBytes(4);
      headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt();
    } else {
      throw new NpyFormatException(source + ": unsupported .npy format version " + major + " (expected 1, 2 or 3)");
    }
    String header = new String(in.readNBytes(headerLength), StandardCharsets.ISO_8859_1);
    Matcher descr = DESCR.matcher(header);
    Matcher fortran = FORTRAN.matcher(header);
    Matcher shapeMatch = SHAPE.matcher(header);
    if (!descr.find() || !fortran.find() || !shapeMatch.find()) {
      throw new NpyFormatException(source + ": malformed .npy header " + header.trim());
    }
    if (fortran.group(1).equals("True")) {
      throw new NpyFormatException(source + ": Fortran-order arrays are not supported (expected C order)");
    }
    NpyArray.DType dtype = parseDType(descr.group(1), source);
    long[] shape = parseShape(shapeMatch.group(1));
    long n = Tensor.numel(shape);
    if (n * dtype.bytes > Integer.MAX_VALUE - 16) {
      throw new NpyFormatException(source + ": array of " + n + " values is too large");
    }
    byte[] raw = in.readNBytes((int) (n * dtype.bytes));
    if (raw.length != n * dtype.bytes) {
      throw new NpyFormatException(
          source + ": truncated .npy data (" + raw.length + " of " + n * dtype.bytes + " bytes)");
    }
    ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    int count = (int) n;
    switch (dtype) {
      case FLOAT32: {
        double[] v = new double[count];
        for (int i = 0; i < count; i++) {
          v[i] = buf.getFloat();
        }
        return new NpyArray(dtype, shape, v, null);
      }
      case FLOAT64: {
        double[] v = new double[count];
        buf.asDoubleBuffer().get(v);
        return new NpyArray(dtype, shape, v, null);
      }
      case INT64: {
        long[] v = new long[count];
        buf.asLongBuffer().get(v);
        return new NpyArray(dtype, shape, null, v);
      }
      case INT32: {
        long[] v = new long[count];
        for (int i = 0; i < count; i++) {
          v[i] = buf.getInt();
        }
        return new NpyArray(dtype, shape, null, v);
      }
      default: {
        long[] v = new long[count];
        for (int i = 0; i < count; i++) {
          v[i] = raw[i] & 0xff;
        }
        return new NpyArray(dtype, shape, null, v);
      }
    }
  }

  private static NpyArray.DType parseDType(String descr, String source) throws NpyFormatException {
    String d = descr.replace('=', '<');
    for (NpyArray.DType t : NpyArray.DType.values()) {
      if (t.descr.equals(d) || (t.bytes == 1 && t.descr.substring(1).equals(d.substring(1)))) {
        return t;
      }
    }
    throw new UnsupportedDtypeException(source + ": unsupported dtype '" + descr
        + "' (expected float32 <f4, float64 <f8, int64 <i8, int32 <i4, uint8 |u1 or bool |b1)");
  }

  private static long[] parseShape(String text) {
    List<Long> dims = new ArrayList<>();
    for (String part : text.split(",")) {
      String p = part.trim();
      if (!p.isEmpty()) {
        dims.add(Long.parseLong(p.replace("L", "")));
      }
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  public static void write(Path file, Tensor tensor) throws IOException {
    try (OutputStream out = create(file)) {
      write(out, tensor);
    }
  }

  public static void write(Path file, NpyArray array) throws IOException {
    try (OutputStream out = create(file)) {
      write(out, array);
    }
  }

  private static OutputStream create(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    return Files.newOutputStream(file);
  }

  /**
   * A float32 tensor as {@code <f4}, its floats copied out in blocks: no widened copy of the whole
   * array (as {@link NpyArray#of} makes) and no put per value, which a step's output code, run once
   * per step and so mostly interpreted, paid per float.
   */
  public static void write(OutputStream out, Tensor tensor) throws IOException {
    writeHeader(out, NpyArray.DType.FLOAT32, tensor.shape());
    float[] data = tensor.data();
    ByteBuffer block = ByteBuffer.allocate(Math.min(data.length, FLOATS_PER_BLOCK) * Float.BYTES)
        .order(ByteOrder.LITTLE_ENDIAN);
    FloatBuffer floats = block.asFloatBuffer();
    for (int from = 0; from < data.length; from += FLOATS_PER_BLOCK) {
      int length = Math.min(FLOATS_PER_BLOCK, data.length - from);
      floats.clear();
      floats.put(data, from, length);
      out.write(block.array(), 0, length * Float.BYTES);
    }
  }

  public static void write(OutputStream out, NpyArray array) throws IOException {
    writeHeader(out, array.dtype(), array.shape());
    int n = Math.toIntExact(array.numel());
    ByteBuffer buf = ByteBuffer.allocate(n * array.dtype().bytes).order(ByteOrder.LITTLE_ENDIAN);
    switch (array.dtype()) {
      case FLOAT32 -> {
        for (int i = 0; i < n; i++) {
          buf.putFloat((float) array.floats()[i]);
        }
      }
      case FLOAT64 -> {
        for (int i = 0; i < n; i++) {
          buf.putDouble(array.floats()[i]);
        }
      }
      case INT64 -> {
        for (int i = 0; i < n; i++) {
          buf.putLong(array.ints()[i]);
        }
      }
      case INT32 -> {
        for (int i = 0; i < n; i++) {
          buf.putInt((int) array.ints()[i]);
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          buf.put((byte) array.ints()[i]);
        }
      }
    }
    out.write(buf.array());
  }

  /**
   * The magic, version 1.0 and the header dict, padded so that the data starts on a 64-byte boundary,
   * as NumPy does.
   */
  private static void writeHeader(OutputStream out, NpyArray.DType dtype, long[] shape) throws IOException {
    StringBuilder dims = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      dims.append(shape[i]);
      if (shape.length == 1 || i < shape.length - 1) {
        dims.append(shape.length == 1 ? "," : ", ");
      }
    }
    dims.append(')');
    String dict = "{'descr': '" + dtype.descr + "', 'fortran_order': False, 'shape': " + dims + ", }";
    int total = MAGIC.length + 4 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    head.write(MAGIC);
    head.write(1);
    head.write(0);
    head.write(header.length() & 0xff);
    head.write((header.length() >> 8) & 0xff);
    head.write(header.getBytes(StandardCharsets.ISO_8859_1));
    out.write(head.toByteArray());
  }

  /**
   * Reads every numeric array of a {@code .npz} archive (stored or deflated), keyed by name without
   * ".npy". Members of other dtypes (pickled Python objects such as the assignment's
   * {@code label_map}) are skipped with a debug line: never executed, never fatal.
   */
  public static Map<String, NpyArray> readNpz(Path file) throws IOException {
    Map<String, NpyArray> arrays = new LinkedHashMap<>();
    boolean anyMember = false;
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
      ZipEntry entry;
      while ((entry = zip.getNextEntry()) != null) {
        String name = entry.getName();
        if (name.endsWith(".npy")) {
          anyMember = true;
          try {
            arrays.put(name.substring(0, name.length() - 4), read(zip, file + ":" + name));
          } catch (UnsupportedDtypeException e) {
            LOG.debug("skipping {}", e.getMessage());
          }
        }
      }
    }
    if (anyMember && arrays.isEmpty()) {
      throw new NpyFormatException(file + ": the .npz archive holds no numeric arrays");
    }
    if (arrays.isEmpty()) {
      throw new NpyFormatException(file + ": not an .npz archive or it holds no .npy arrays");
    }
    return arrays;
  }

  /** An array whose dtype netvis does not read (objects, strings, complex numbers). */
  public static final class UnsupportedDtypeException extends NpyFormatException {
    public UnsupportedDtypeException(String message) {
      super(message);
    }
  }

  /** A .npy or .npz file that cannot be read as such. */
  public static class NpyFormatException extends IOException {
    public NpyFormatException(String message) {
      super(message);
    }
  }
}
