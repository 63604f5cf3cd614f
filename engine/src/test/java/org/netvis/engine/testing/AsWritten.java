package org.netvis.engine.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.netvis.engine.runtime.OrtEnvironments;
import org.netvis.engine.tensor.Tensor;

/** ONNX Runtime running a test model's file as written, without netvis reading it: the reference its kernels give. */
public final class AsWritten {
  private AsWritten() {}

  /** The (batch, classes) scores of input {@code x} (fed as "x"), flattened row by row. */
  public static float[] scores(Path model, Tensor x) throws Exception {
    OrtEnvironment env = OrtEnvironments.get();
    try (OrtSession session = env.createSession(Files.readAllBytes(model), new OrtSession.SessionOptions());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.data()), x.shape());
        OrtSession.Result out = session.run(Map.of("x", in))) {
      float[][] all = (float[][]) out.get(0).getValue();
      float[] flat = new float[all.length * all[0].length];
      for (int i = 0; i < all.length; i++) {
        System.arraycopy(all[i], 0, flat, i * all[0].length, all[0].length);
      }
      return flat;
    }
  }
}
