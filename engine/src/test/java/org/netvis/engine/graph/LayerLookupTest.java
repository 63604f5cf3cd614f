package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.netvis.engine.graph.GradientGraphBuilder.LayerTensor;

class LayerLookupTest {

  /** The end of a torchvision ResNet-18 as torch.onnx names it, in topological order. */
  private static final List<String> NODES = List.of("/conv1/Conv", "/relu/Relu", "/maxpool/MaxPool",
      "/layer4/layer4.0/conv1/Conv", "/layer4/layer4.0/relu/Relu", "/layer4/layer4.0/conv2/Conv",
      "/layer4/layer4.0/downsample/downsample.0/Conv", "/layer4/layer4.0/Add", "/layer4/layer4.0/relu_1/Relu",
      "/layer4/layer4.1/conv1/Conv", "/layer4/layer4.1/relu/Relu", "/layer4/layer4.1/conv2/Conv",
      "/layer4/layer4.1/Add", "/layer4/layer4.1/relu_1/Relu", "/avgpool/GlobalAveragePool", "/Flatten", "/fc/Gemm");

  private static LayerLookup lookup() {
    List<LayerTensor> path = new ArrayList<>();
    for (String node : NODES) {
      path.add(new LayerTensor(node.equals("/fc/Gemm") ? "logits" : node + "_output_0",
          node.substring(node.lastIndexOf('/') + 1), node, new long[] {-1, 512, 7, 7}, ImageLayout.NCHW));
    }
    Set<String> all = new HashSet<>();
    path.forEach(l -> all.add(l.name()));
    all.add("/Constant_output_0");
    return new LayerLookup("resnet18", path, all);
  }

  @Test
  void theModuleOfANodeFollowsItsScopes() {
    assertEquals("layer4.1.conv2", LayerLookup.modulePath("/layer4/layer4.1/conv2/Conv"));
    assertEquals("layer4.0.downsample.0", LayerLookup.modulePath("/layer4/layer4.0/downsample/downsample.0/Conv"));
    assertEquals("layer4.0", LayerLookup.modulePath("/layer4/layer4.0/Add"));
    assertEquals("layer4.0.relu_1", LayerLookup.modulePath("/layer4/layer4.0/relu_1/Relu"));
    assertEquals("features.12", LayerLookup.modulePath("/features/features.12/Concat"));
    assertEquals("fc", LayerLookup.modulePath("/fc/Gemm"));
    assertNull(LayerLookup.modulePath("/Flatten"));
    assertNull(LayerLookup.modulePath("Conv_12"));
    assertNull(LayerLookup.modulePath("StatefulPartitionedCall/model/conv1/Conv2D"));
  }

  @Test
  void aModuleNameFindsTheLastTensorItsNodesMake() {
    LayerLookup lookup = lookup();
    assertEquals("/layer4/layer4.1/relu_1/Relu_output_0", lookup.find("layer", "layer4").name());
    assertEquals("/layer4/layer4.0/relu_1/Relu_output_0", lookup.find("layer", "layer4.0").name());
    assertEquals("/layer4/layer4.1/conv2/Conv_output_0", lookup.find("layer", "layer4.1.conv2").name());
    assertEquals("/layer4/layer4.0/downsample/downsample.0/Conv_output_0",
        lookup.find("layer", "layer4.0.downsample").name());
    // A module called twice is scoped once per call, as the exporter names the calls.
    assertEquals("/layer4/layer4.0/relu/Relu_output_0", lookup.find("layer", "layer4.0.relu").name());
    assertEquals("/layer4/layer4.0/relu_1/Relu_output_0", lookup.find("layer", "layer4.0.relu_1").name());
    assertEquals("/maxpool/MaxPool_output_0", lookup.find("layer", "maxpool").name());
    // A tensor's own name still names the tensor.
    assertEquals("/layer4/layer4.0/Add_output_0", lookup.find("layer", "/layer4/layer4.0/Add_output_0").name());
  }

  @Test
  void modulesAreListedOuterFirstInTheOrderTheyBeginWithTheirOutputs() {
    java.util.Map<String, LayerTensor> modules = lookup().modules();
    assertEquals(List.of("conv1", "relu", "maxpool", "layer4", "layer4.0", "layer4.0.conv1", "layer4.0.relu",
        "layer4.0.conv2", "layer4.0.downsample", "layer4.0.downsample.0", "layer4.0.relu_1", "layer4.1",
        "layer4.1.conv1", "layer4.1.relu", "layer4.1.conv2", "layer4.1.relu_1", "avgpool", "fc"),
        List.copyOf(modules.keySet()));
    assertEquals("/layer4/layer4.1/relu_1/Relu_output_0", modules.get("layer4").name());
    assertEquals("/layer4/layer4.0/Add_output_0", lookup().find("layer", "/layer4/layer4.0/Add_output_0").name());
    assertEquals("logits", modules.get("fc").name());
  }

  @Test
  void aNameThatIsNeitherIsRefusedWithTheNearestTensorAndModuleNames() {
    LayerLookup lookup = lookup();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lookup.find("layer", "layer5"));
    assertTrue(e.getMessage().startsWith("layer: 'layer5' is not a tensor of resnet18; nearest names: layer4, "),
        e.getMessage());
    // "layer4.1.con" is no module: scopes match whole names only.
    e = assertThrows(IllegalArgumentException.class, () -> lookup.find("layer", "layer4.1.con"));
    assertTrue(e.getMessage().contains("nearest names: layer4.1.conv1, layer4.1.conv2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> lookup.find("layer", "/Constant_output_0"));
    assertTrue(e.getMessage().contains("is a tensor of resnet18 but not on its gradient path"), e.getMessage());
  }
}
