package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.graph.FromLayerGraph;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.GraphBuildException;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.RandomTensors;
import org.netvis.engine.testing.SharedData;

/**
 * The forward pass with a hidden tensor set ({@link Engine#scoresFromLayer}), on the ResNet-18 fixture:
 * the tensor's own values give the model's logits, rows go with the images they name, and only the
 * nodes above the tensor are kept (the tensor set to another image's values: {@link ShiftedTensorTest});
 * and the other cut, a layer's values from the nodes below it ({@link Engine#layerValues}), or one unit
 * of them ({@link Engine#unitValues}).
 */
class ScoresFromLayerTest {
  private static final String INSIDE = "/layer1/layer1.0/conv2/Conv_output_0";
  private static final String LAST_BLOCK = "/layer4/layer4.1/relu_1/Relu_output_0";

  @TempDir Path dir;

  private static Tensor gaussian(long seed, long... shape) {
    return RandomTensors.gaussian(new Random(seed), 1, shape);
  }

  @Test
  void theTensorsOwnValuesGiveTheModelsLogitsAndRowsGoWithTheImagesTheyName() throws Exception {
    try (Engine engine = GradientCheck.open(SharedData.fixture("resnet18-random"), dir)) {
      Tensor x = gaussian(1, 2, 3, 224, 224);
      Tensor expected = engine.scores(x);
      for (String t : List.of(INSIDE, LAST_BLOCK)) {
        Tensor activation = engine.activations(x, List.of(t)).get(t);
        Compare.assertSameUpToRounding(expected.data(),
            engine.scoresFromLayer(x, new int[] {0, 1}, t, activation).data());
        // Image 1, image 0, image 1 again, each row with its image's values.
        int[] rows = {1, 0, 1};
        Compare.assertSameUpToRounding(expected.items(rows).data(),
            engine.scoresFromLayer(x, rows, t, activation.items(rows)).data());
      }
    }
  }

  @Test
  void onlyTheModelAboveTheTensorRuns() throws Exception {
    ModelGraph graph = ModelGraph.read(SharedData.fixture("resnet18-random"));
    GradientGraphBuilder builder = new GradientGraphBuilder();
    FromLayerGraph inside = builder.fromLayerGraph(graph, INSIDE, 224, 224);
    FromLayerGraph last = builder.fromLayerGraph(graph, LAST_BLOCK, 224, 224);
    assertTrue(inside.readsImage(), "the skip path around " + INSIDE + " reads the image");
    assertFalse(last.readsImage(), "nothing above " + LAST_BLOCK + " reads the image");
    assertEquals(List.of(FromLayerGraph.inputName(LAST_BLOCK)),
        last.model().getGraph().getInputList().stream().map(v -> v.getName()).toList());
    List<String> convs = last.model().getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv"))
        .map(n -> n.getName()).toList();
    assertEquals(List.of(), convs, "the last block's output feeds only the pool and the classifier");
  }

  /** The other cut: a layer's values alone come from the model below it ({@link Engine#layerValues}). */
  @Test
  void aLayersValuesAloneComeFromTheModelBelowIt() throws Exception {
    try (Engine engine = GradientCheck.open(SharedData.fixture("resnet18-random"), dir)) {
      Tensor x = gaussian(4, 2, 3, 224, 224);
      Map<String, Tensor> alone = engine.layerValues(x, List.of(INSIDE));
      assertEquals(List.of(INSIDE), List.copyOf(alone.keySet()));
      Compare.assertSameUpToRounding(engine.activations(x, List.of(INSIDE)).get(INSIDE).data(), alone.get(INSIDE).data());
    }
    List<String> ops = new GradientGraphBuilder().activationGraph(ModelGraph.read(SharedData.fixture("resnet18-random")),
        List.of(INSIDE), 224, 224, false).getGraph().getNodeList().stream().map(n -> n.getOpType()).toList();
    assertEquals(3, ops.stream().filter("Conv"::equals).count(), "the stem and layer1.0's two convolutions: " + ops);
    assertFalse(ops.contains("Gemm"), "no classifier: " + ops);
  }

  /** One unit per image ({@link Engine#unitValues}): the layer's value at the unit's offset in each image's part. */
  @Test
  void aUnitsValuesAreTheLayersValuesAtItsOffsetInEachImage() throws Exception {
    try (Engine engine = GradientCheck.open(SharedData.fixture("resnet18-random"), dir)) {
      Tensor x = gaussian(5, 3, 3, 224, 224);
      Tensor layer = engine.layerValues(x, List.of(INSIDE)).get(INSIDE);
      int item = layer.itemSize();
      for (int offset : new int[] {0, 12345, item - 1}) {
        Tensor unit = engine.unitValues(x, INSIDE, offset);
        assertEquals(List.of(3L, 1L), java.util.Arrays.stream(unit.shape()).boxed().toList());
        float[] expected = new float[3];
        for (int i = 0; i < 3; i++) {
          expected[i] = layer.data()[i * item + offset];
        }
        Compare.assertSameUpToRounding(expected, unit.data());
      }
    }
    List<String> ops = new GradientGraphBuilder().unitGraph(ModelGraph.read(SharedData.fixture("resnet18-random")),
        INSIDE, 7, 224, 224).getGraph().getNodeList().stream().map(n -> n.getOpType()).toList();
    assertEquals(3, ops.stream().filter("Conv"::equals).count(), "the stem and layer1.0's two convolutions: " + ops);
    assertEquals(List.of("Reshape", "Gather"), ops.subList(ops.size() - 2, ops.size()));
  }

  @Test
  void tensorsThatCannotBeSetAndMismatchedRowsAreNamed() throws Exception {
    try (Engine engine = GradientCheck.open(SharedData.fixture("resnet18-random"), dir)) {
      Tensor x = gaussian(3, 1, 3, 224, 224);
      Tensor values = engine.activations(x, List.of(LAST_BLOCK)).get(LAST_BLOCK);
      GraphBuildException output = assertThrows(GraphBuildException.class,
          () -> engine.scoresFromLayer(x, new int[] {0}, engine.graph().outputName(), Tensor.zeros(1, engine.classes())));
      assertTrue(output.getMessage().startsWith("tensor '" + engine.graph().outputName() + "' cannot be set"),
          output.getMessage());
      EngineException rows = assertThrows(EngineException.class,
          () -> engine.scoresFromLayer(x, new int[] {0, 0}, LAST_BLOCK, values));
      assertTrue(rows.getMessage().startsWith("1 rows of values for '" + LAST_BLOCK + "' but 2 image indices"),
          rows.getMessage());
    }
  }
}
