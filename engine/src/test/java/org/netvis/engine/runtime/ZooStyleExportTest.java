package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.check.FiniteDifferenceCheck;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.SharedData;
import org.netvis.engine.testing.TestGraph;
import org.netvis.engine.testing.ZooStyleExport;

/** A zoo-style export of the same network (opset 9, fixed batch 1, other names) works the same. */
class ZooStyleExportTest {
  @TempDir Path dir;

  @Test
  void zooStyleExportGivesTheSameLogitsAndGradients() throws Exception {
    Path zoo = ZooStyleExport.write(SharedData.squeezenet(), dir.resolve("squeezenet1.1-7-style.onnx"));
    ModelGraph graph = ModelGraph.read(zoo);
    assertTrue(graph.fixedBatch(), "the export fixes its batch to 1");
    try (Engine engine = ReferenceGradientTest.open(zoo, dir)) {
      Tensor inputs = Npy.readTensor(SharedData.reference().resolve("inputs.npy"));
      Tensor logits = engine.scores(inputs);
      double err = Compare.maxRelative(logits.data(), Npy.read(SharedData.reference().resolve("logits.npy")).asDoubles());
      assertTrue(err <= 1e-4, "logits " + err);

      VjpResult r = engine.vjp(inputs, Npy.readTensor(SharedData.reference().resolve("cotangent.npy")));
      ReferenceGradientTest.assertGradientClose("zoo-style squeezenet", r.inputGradient(),
          Npy.read(SharedData.reference().resolve("grad_cotangent.npy")));
      assertFalse(engine.gradientGraph(VjpSpec.DEFAULT, 224, 224).graph().fixedBatch(),
          "the derived gradient graph takes any batch size");

      FiniteDifferenceCheck.Report report = FiniteDifferenceCheck.run(engine, FiniteDifferenceCheck.Settings.DEFAULT);
      System.out.printf("zoo-style finite-difference check: max relative error %.3g%n", report.maxRelativeError());
      assertTrue(report.passed(), "finite differences: " + report.probes());
    }
  }
}
