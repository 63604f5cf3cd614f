package org.netvis.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.testing.SharedData;

class NpyTest {
  @TempDir Path dir;

  @Test
  void everyDtypeRoundTrips() throws Exception {
    long[] shape = {2, 3};
    for (NpyArray.DType t : NpyArray.DType.values()) {
      NpyArray a = t.isFloat()
          ? new NpyArray(t, shape, new double[] {0.5, -1.25, 3, 4e-3, 5, 6}, null)
          : new NpyArray(t, shape, null, new long[] {0, 1, 2, 1, 0, t == NpyArray.DType.BOOL ? 1 : 200});
      Path f = dir.resolve(t + ".npy");
      Npy.write(f, a);
      NpyArray b = Npy.read(f);
      assertEquals(t, b.dtype());
      assertArrayEquals(shape, b.shape());
      assertArrayEquals(a.asDoubles(), b.asDoubles(), 1e-6, t.toString());
      byte[] bytes = Files.readAllBytes(f);
      assertEquals(0, (bytes.length - 6 * t.bytes) % 64, "data starts on a 64-byte boundary");
    }
  }

  @Test
  void readsNumpyWrittenReferenceArrays() throws Exception {
    NpyArray inputs = Npy.read(SharedData.reference().resolve("inputs.npy"));
    assertEquals(NpyArray.DType.FLOAT32, inputs.dtype());
    assertArrayEquals(new long[] {8, 3, 224, 224}, inputs.shape());
    NpyArray labels = Npy.read(SharedData.reference().resolve("labels.npy"));
    assertEquals(NpyArray.DType.INT64, labels.dtype());
    assertArrayEquals(new long[] {958, 85, 244, 182, 294, 285, 967, 657}, labels.asLongs());
  }

  @Test
  void aFloatTensorIsWrittenAsNumpyWroteIt() throws Exception {
    // NumPy's own file of 1.2 million float32 values (more than one of the writer's blocks):
    // read, written back from a tensor, byte for byte the same file.
    Path numpyFile = SharedData.reference().resolve("inputs.npy");
    Tensor inputs = Npy.read(numpyFile).toTensor();
    Path f = dir.resolve("inputs.npy");
    Npy.write(f, inputs);
    assertArrayEquals(Files.readAllBytes(numpyFile), Files.readAllBytes(f));
    // A tensor of one value and one of a block and a bit, through both writers: the same bytes.
    for (int n : new int[] {1, (1 << 16) + 3}) {
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        values[i] = (float) Math.sin(i) * 1e-3f;
      }
      values[n - 1] = Float.intBitsToFloat(0x7fc00123);
      Tensor t = new Tensor(new long[] {n}, values);
      ByteArrayOutputStream direct = new ByteArrayOutputStream();
      Npy.write(direct, t);
      ByteArrayOutputStream widened = new ByteArrayOutputStream();
      Npy.write(widened, NpyArray.of(t));
      assertArrayEquals(widened.toByteArray(), direct.toByteArray(), n + " values");
    }
  }

  @Test
  void readsNpzArchives() throws Exception {
    ByteArrayOutputStream x = new ByteArrayOutputStream();
    Npy.write(x, new NpyArray(NpyArray.DType.UINT8, new long[] {1, 2, 2, 3}, null, new long[12]));
    ByteArrayOutputStream y = new ByteArrayOutputStream();
    Npy.write(y, NpyArray.ofLongs(new long[] {1}, new long[] {958}));
    Path npz = dir.resolve("data.npz");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(npz))) {
      zip.putNextEntry(new ZipEntry("X.npy"));
      zip.write(x.toByteArray());
      zip.putNextEntry(new ZipEntry("y.npy"));
      zip.write(y.toByteArray());
    }
    Map<String, NpyArray> arrays = Npy.readNpz(npz);
    assertEquals(NpyArray.DType.UINT8, arrays.get("X").dtype());
    assertArrayEquals(new long[] {958}, arrays.get("y").asLongs());
  }

  @Test
  void malformedFilesAreRefusedWithTheirName() throws Exception {
    Path f = dir.resolve("not.npy");
    Files.writeString(f, "hello world, not numpy");
    Npy.NpyFormatException e = assertThrows(Npy.NpyFormatException.class, () -> Npy.read(f));
    assertTrue(e.getMessage().startsWith(f + ": not a .npy file"), e.getMessage());
    Path truncated = dir.resolve("short.npy");
    Npy.write(truncated, Tensor.zeros(4, 4));
    byte[] bytes = Files.readAllBytes(truncated);
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 5));
    e = assertThrows(Npy.NpyFormatException.class, () -> Npy.read(truncated));
    assertTrue(e.getMessage().contains("truncated .npy data"), e.getMessage());
  }
}
