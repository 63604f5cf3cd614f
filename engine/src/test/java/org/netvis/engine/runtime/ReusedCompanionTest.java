package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.TinyExperiment;

/**
 * A companion graph read back from its file (its structure parsed without the weights) runs
 * as the graph derived a moment before: the same gradients bit for bit, the same sha256, the file's.
 */
class ReusedCompanionTest {
  @TempDir Path dir;

  @Test
  void aReusedGraphGivesTheDerivedGraphsGradientsAndKeepsNoWeightsOnTheHeap() throws Exception {
    TinyExperiment tiny = new TinyExperiment(dir);
    ResolvedModel model = new ResolvedModel(ModelDescriptor.forFile("tiny.onnx", Preprocessing.IMAGENET), tiny.model,
        Sha256.of(tiny.model), List.of());
    EngineOptions cpu = EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(dir.resolve("cache"));
    Tensor images = GradientBatchTest.gaussian(new long[] {3, 3, 8, 8}, 11);
    VjpResult derived;
    String derivedSha;
    try (Engine first = Engine.open(model, cpu)) {
      CompanionGraphs.Companion c = first.gradientGraph(VjpSpec.DEFAULT, 8, 8);
      assertTrue(c.rebuilt());
      derived = first.vjp(images, ClassScores.oneHot(new long[] {0, 2, 4}, first.classes()));
      derivedSha = c.sha256();
    }
    try (Engine second = Engine.open(model, cpu)) {
      CompanionGraphs.Companion c = second.gradientGraph(VjpSpec.DEFAULT, 8, 8);
      assertFalse(c.rebuilt(), "the saved graph is reused");
      assertEquals(Sha256.of(c.file()), c.sha256());
      assertEquals(derivedSha, c.sha256());
      VjpResult reused = second.vjp(images, ClassScores.oneHot(new long[] {0, 2, 4}, second.classes()));
      assertArrayEquals(derived.inputGradient().data(), reused.inputGradient().data());
      assertArrayEquals(derived.logits().data(), reused.logits().data());

      ModelProto file = ModelProto.parseFrom(Files.readAllBytes(c.file()));
      List<TensorProto> weights = file.getGraph().getInitializerList();
      assertTrue(weights.stream().anyMatch(t -> t.getRawData().size() > 0 || t.getFloatDataCount() > 0),
          "the file holds the weights");
      List<TensorProto> held = c.graph().proto().getGraph().getInitializerList();
      assertEquals(weights.stream().map(TensorProto::getName).toList(),
          held.stream().map(TensorProto::getName).toList());
      assertTrue(held.stream().allMatch(t -> t.getRawData().isEmpty() && t.getFloatDataCount() == 0
          && t.getInt64DataCount() == 0), "the engine holds the graph's structure, not its weights");
      assertEquals(file.getGraph().getNodeList(), c.graph().proto().getGraph().getNodeList());
    }
  }
}
