package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.testing.SharedData;

/** GPU readiness without a GPU: every derived graph's operators against the CUDA provider's kernel list. */
class CudaKernelsTest {
  @TempDir Path dir;

  @Test
  void theListReadsAsPublished() {
    CudaKernels k = CudaKernels.published();
    assertTrue(k.supports("Conv", 1) && k.supports("Conv", 13) && k.supports("Conv", 22));
    assertTrue(k.supports("Sign", 13));
    assertFalse(k.supports("Sign", 11), "Sign has a CUDA kernel only from opset 13");
    assertFalse(k.supports("Upsample", 10), "Upsample was deprecated at 10");
    assertFalse(k.supports("Col2Im", 18));
    assertFalse(k.supports("NoSuchOp", 13));
  }

  @Test
  void aGraphWithoutCudaKernelsIsReported() throws Exception {
    org.netvis.engine.testing.TestGraph g = new org.netvis.engine.testing.TestGraph(11, 0, 3, 4, 4);
    ModelProto m = g.model(g.op("Relu", List.of(g.op("Sign", List.of("x")))));
    List<CudaKernels.Fallback> f = CudaKernels.published().fallbacks(m);
    assertEquals(1, f.size(), f.toString());
    assertEquals("Sign", f.get(0).opType());
    assertEquals(11, f.get(0).opset());
  }

  @Test
  void everyDerivedGraphOfEveryModelRunsWhollyOnCuda() throws Exception {
    List<Path> models = new ArrayList<>(List.of(SharedData.squeezenet()));
    try (Stream<Path> s = Files.list(SharedData.models().resolve("fixtures"))) {
      s.filter(p -> p.toString().endsWith(".onnx")).sorted().forEach(models::add);
    }
    List<String> problems = new ArrayList<>();
    for (Path onnx : models) {
      ModelGraph g = ModelGraph.parse(Files.readAllBytes(onnx), onnx.toString(), null);
      long h = g.inputShape()[2] > 0 ? g.inputShape()[2] : 224;
      long w = g.inputShape()[3] > 0 ? g.inputShape()[3] : 224;
      for (VjpSpec spec : List.of(VjpSpec.DEFAULT, VjpSpec.DEFAULT.withBackward(VjpSpec.Backward.GUIDED),
          VjpSpec.DEFAULT.withBackward(VjpSpec.Backward.DEEPLIFT), VjpSpec.DEFAULT.withCrossEntropyTargets())) {
        ModelProto graph = new GradientGraphBuilder().build(g, spec, h, w, "").proto();
        List<CudaKernels.Fallback> f = CudaKernels.published().fallbacks(graph);
        System.out.printf("%-40s %-60s %5d nodes, %d without a CUDA kernel %s%n", onnx.getFileName(), spec.key(),
            graph.getGraph().getNodeCount(), f.size(), CudaKernels.types(f));
        if (!f.isEmpty()) {
          problems.add(onnx.getFileName() + " " + spec.key() + ": " + CudaKernels.types(f));
        }
      }
      List<CudaKernels.Fallback> forward = CudaKernels.published().fallbacks(g.proto());
      if (!forward.isEmpty()) {
        problems.add(onnx.getFileName() + " forward: " + CudaKernels.types(forward));
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }
}
