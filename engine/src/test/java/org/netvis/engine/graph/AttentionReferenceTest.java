package org.netvis.engine.graph;


import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.PythonReference;
import org.netvis.engine.testing.RandomTensors;
import org.netvis.engine.testing.SavedWeights;
import org.netvis.engine.testing.TestGraph;

/**
 * The opset-23 transformer operators (Attention: multi-head, multi-query and grouped-query, 3-D and
 * 4-D, masks, causal, softcap, cross lengths; RMSNormalization) against PyTorch autograd through the
 * operators' definitions written in {@code engine/src/test/python/attention_reference.py}: per image,
 * netvis' input gradient as close to float64 as PyTorch's float32 is, within a factor of two.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttentionReferenceTest {
  @TempDir static Path dir;

  record Case(String id, String kind, long c, long h, long w, String params, BiFunction<TestGraph, SavedWeights, String> body) {
    @Override
    public String toString() {
      return id + " " + params;
    }
  }

  static List<Case> cases() {
    return List.of(
        new Case("mha_4d", "attention", 2, 5, 8, "layout=4", (g, w) ->
            g.op("Attention", List.of("x", g.op("MatMul", List.of("x", w.floats("wk", 8, 8))),
                g.op("MatMul", List.of("x", w.floats("wv", 8, 8)))))),
        new Case("mqa_4d_cross", "attention", 2, 5, 8, "layout=4 kv_channels=1 kv_length=3 scale=0.3", (g, w) -> {
          String source = g.op("Slice", List.of("x", g.ints(0, 0), g.ints(1, 3), g.ints(1, 2)));
          return g.op("Attention", List.of("x", g.op("MatMul", List.of(source, w.floats("wk", 8, 8))),
              g.op("MatMul", List.of(source, w.floats("wv", 8, 4)))), "scale", 0.3f);
        }),
        new Case("gqa_3d_mask_softcap", "attention", 1, 6, 16, "layout=3 q_heads=4 kv_heads=2 mask=float softcap=2",
            (g, w) -> {
              String x3 = g.op("Reshape", List.of("x", g.ints(0, 6, 16)));
              return g.op("Attention", List.of(x3, g.op("MatMul", List.of(x3, w.floats("wk", 16, 8))),
                  g.op("MatMul", List.of(x3, w.floats("wv", 16, 6))), w.floats("mask", 6, 6)),
                  "q_num_heads", 4L, "kv_num_heads", 2L, "softcap", 2f);
            }),
        new Case("causal_bool_cross_3d", "attention", 1, 5, 8, "layout=3 q_heads=2 kv_heads=2 kv_length=4 mask=bool causal=1",
            (g, w) -> {
              String x3 = g.op("Reshape", List.of("x", g.ints(0, 5, 8)));
              String source = g.op("Slice", List.of(x3, g.ints(0), g.ints(4), g.ints(1)));
              return g.op("Attention", List.of(x3, g.op("MatMul", List.of(source, w.floats("wk", 8, 8))),
                  g.op("MatMul", List.of(source, w.floats("wv", 8, 8))), w.mask(5, 4)),
                  "q_num_heads", 2L, "kv_num_heads", 2L, "is_causal", 1L);
            }),
        new Case("rms_norm_last_axis", "rms_norm", 3, 4, 6, "epsilon=1e-4", (g, w) ->
            g.op("RMSNormalization", List.of("x", w.floats("scale", 6)), "epsilon", 1e-4f)),
        new Case("rms_norm_from_axis_1", "rms_norm", 3, 4, 6, "axis=1 epsilon=1e-5", (g, w) ->
            g.op("RMSNormalization", List.of("x", w.floats("scale", 3, 1, 1)), "axis", 1L)));
  }

  private final Map<String, float[]> netvis = new java.util.HashMap<>();

  @BeforeAll
  void netvisAndPyTorch() throws Exception {
    StringBuilder lines = new StringBuilder();
    for (Case c : cases()) {
      TestGraph g = new TestGraph(23, 0, c.c(), c.h(), c.w());
      SavedWeights weights = new SavedWeights(g, c.id().hashCode());
      String out = c.body().apply(g, weights);
      Path model = g.save(dir, c.id(), out);
      Random random = new Random(c.id().hashCode() + 1);
      Tensor x = RandomTensors.gaussian(random, 1, 2, c.c(), c.h(), c.w());
      try (Engine engine = GradientCheck.open(model, dir)) {
        Tensor logits = engine.scores(x);
        Tensor ct = RandomTensors.gaussian(random, 1, logits.shape());
        netvis.put(c.id(), engine.vjp(x, ct).inputGradient().data());
        Npy.write(dir.resolve(c.id() + "_ct.npy"), ct);
      }
      Npy.write(dir.resolve(c.id() + "_x.npy"), x);
      weights.write(dir, c.id());
      lines.append(c.id()).append(' ').append(c.kind()).append(' ').append(c.params()).append('\n');
    }
    Files.writeString(dir.resolve("cases.txt"), lines);
    PythonReference.run(PythonReference.script("engine", "attention_reference.py"), 10, dir.toString());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientIsAsCloseToFloat64AsPyTorchFloat32(Case c) throws Exception {
    Compare.assertAsCloseToFloat64AsPyTorch(c.toString(), netvis.get(c.id()),
        Npy.read(dir.resolve(c.id() + "_f32.npy")).asDoubles(), Npy.read(dir.resolve(c.id() + "_f64.npy")).asDoubles(),
        2, 1e-6);
  }
}
