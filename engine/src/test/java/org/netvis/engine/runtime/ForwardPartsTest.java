package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.SharedData;

/**
 * On the CPU a forward pass of more images than the engine's gradient batch runs in parts: every
 * image's scores are those it gets alone, in its own row.
 */
class ForwardPartsTest {
  @TempDir Path dir;

  @Test
  void scoresOfABatchInPartsAreEachImagesOwn() throws Exception {
    Path p = SharedData.squeezenet();
    ResolvedModel model = new ResolvedModel(ModelDescriptor.forFile("squeezenet1_1.onnx", Preprocessing.IMAGENET), p,
        Sha256.of(p), List.of());
    EngineOptions cpu = EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(dir);
    try (Engine engine = Engine.open(model, cpu.withGradientBatch(3))) {
      // Three parts of 3 and a last one of 2.
      int n = 11;
      Tensor images = GradientBatchTest.gaussian(new long[] {n, 3, 224, 224}, 4);
      Tensor all = engine.scores(images);
      assertArrayEquals(new long[] {n, 1000}, all.shape());
      float[] alone = new float[n * 1000];
      for (int i = 0; i < n; i++) {
        System.arraycopy(engine.scores(images.slice(i, i + 1)).data(), 0, alone, i * 1000, 1000);
      }
      double[] errors = Compare.relativeL2PerItem(all.data(), Compare.asDoubles(new Tensor(all.shape(), alone)), n);
      for (int i = 0; i < n; i++) {
        assertTrue(errors[i] < 1e-6, "image " + i + ": relative L2 " + errors[i] + " from its scores alone");
      }
    }
  }
}
