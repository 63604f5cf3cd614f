package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.netvis.engine.check.ReferenceGradientCheck;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.OrtEnvironments;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.SharedData;

/**
 * The shared fixtures as ONNX Runtime saves them after its extended optimizations (the portable level:
 * FusedConv, FusedGemm, FusedMatMul, Gelu, LayerNormalization and the like, no hardware layouts),
 * which is how a deployment's optimized file reaches a researcher: netvis reads the fused operators and
 * its input gradient on that file agrees with PyTorch's float64 autograd of the original network as
 * {@code check-model --reference} requires. A file saved at the level "all", in the layout of the CPU that
 * saved it, is refused saying how to save one netvis reads.
 */
class OnnxRuntimeOptimizedFilesTest {
  @TempDir Path dir;

  @Test
  void aFileSavedWithTheSavingCpusLayoutIsRefusedSayingHowToSaveOneNetvisReads() throws Exception {
    Path optimized = save("resnet18-random", OrtSession.SessionOptions.OptLevel.ALL_OPT);
    GraphBuildException e = assertThrows(GraphBuildException.class, () -> ModelGraph.read(optimized));
    assertTrue(e.getMessage().startsWith(optimized + ": saved after ONNX Runtime's layout optimizations (")
        && e.getMessage().contains(" com.microsoft.nchwc.Conv") && e.getMessage().contains("ORT_ENABLE_EXTENDED"),
        e.getMessage());
  }

  /** The fixture {@code name} as ONNX Runtime saves it after its optimizations at {@code level}. */
  private Path save(String name, OrtSession.SessionOptions.OptLevel level) throws Exception {
    Path optimized = dir.resolve(name + "-ort-" + level + ".onnx");
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(level);
      options.setOptimizedModelFilePath(optimized.toString());
      OrtEnvironments.get().createSession(SharedData.fixture(name).toString(), options).close();
    }
    return optimized;
  }

  @ParameterizedTest
  @ValueSource(strings = {"resnet18-random", "mobilenet_v2-random", "vit_tiny-random", "swin_tiny_mini-random",
      "convnext_tiny_mini-random"})
  void gradientOfTheOptimizedFileIsThePyTorchReference(String name) throws Exception {
    Path optimized = save(name, OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
    Map<String, Integer> fused = new TreeMap<>();
    ModelProto.parseFrom(Files.readAllBytes(optimized)).getGraph().getNodeList().stream()
        .filter(n -> n.getDomain().equals("com.microsoft")).forEach(n -> fused.merge(n.getOpType(), 1, Integer::sum));
    try (Engine engine = GradientCheck.open(optimized, dir)) {
      ReferenceGradientCheck.Report report = ReferenceGradientCheck.run(engine, SharedData.fixtureRef(name), 1e-4, 1e-2);
      System.out.printf("%s as ONNX Runtime optimized it (%s): relative L2 to float64 lower median %.2e, max %.2e%n",
          name, fused, report.lowerMedian(), report.max());
      assertTrue(report.passed(), name + ": lower median " + report.lowerMedian() + ", max " + report.max());
      if (!fused.isEmpty()) {
        assertNotNull(engine.modelRecord().get("fused"), name + ": " + fused);
      }
    }
  }
}
