package org.netvis.plugins.sanitycheck;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.netvis.engine.graph.Quantizers;
import org.netvis.engine.graph.TensorProtos;
import org.netvis.engine.run.SeededRandom;

/**
 * Cascading randomization (Adebayo et al. 2018): the layers with learned parameters, from the logits
 * down in the file's topological order, and copies of the model whose last k layers have their
 * parameter tensors redrawn from a Gaussian with each tensor's own standard deviation (mean 0).
 * Normalization layers have their scale and shift redrawn, never their running statistics. In a
 * quantized model (QDQ or QOperator format) a layer's parameter is its weight as dequantized from its
 * integer constant: the copy holds a float32 draw in its place, and quantizers' scales and zero
 * points are never redrawn.
 */
final class ModelRandomization {
  /** A layer: its node and the parameter tensors (initializer names) it owns. */
  record Layer(String node, String opType, List<String> parameters) {}

  private static final Map<String, int[]> PARAMETER_INPUTS = Map.of(
      "Conv", new int[] {1, 2}, "ConvTranspose", new int[] {1, 2}, "Gemm", new int[] {1, 2}, "MatMul", new int[] {1},
      "BatchNormalization", new int[] {1, 2}, "LayerNormalization", new int[] {1, 2},
      "InstanceNormalization", new int[] {1, 2}, "Add", new int[] {0, 1}, "Mul", new int[] {0, 1});

  private ModelRandomization() {}

  /** Layers with float initializer parameters or dequantized integer constants, last first. */
  static List<Layer> layers(ModelProto model) {
    GraphProto g = model.getGraph();
    Map<String, TensorProto> init = new HashMap<>();
    g.getInitializerList().forEach(t -> init.put(t.getName(), t));
    Set<String> claimed = new LinkedHashSet<>();
    Map<String, NodeProto> dequantizedConstants = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      if (Quantizers.isQuantizer(n)) {
        // A quantizer's scale and zero point are not learned parameters of a layer.
        n.getInputList().stream().skip(1).forEach(claimed::add);
        if (Quantizers.isDequantize(n) && init.containsKey(n.getInput(0))
            && n.getInputList().stream().skip(1).allMatch(in -> in.isEmpty() || init.containsKey(in))) {
          dequantizedConstants.put(n.getOutput(0), n);
        }
      }
    }
    List<Layer> layers = new ArrayList<>();
    Set<String> constantValues = new java.util.HashSet<>(init.keySet());
    for (NodeProto n : g.getNodeList()) {
      if (n.getOpType().equals("Constant")) {
        constantValues.addAll(n.getOutputList());
      }
    }
    for (NodeProto n : g.getNodeList()) {
      int[] inputs = PARAMETER_INPUTS.get(n.getOpType());
      // An Add or Mul of constants only (a product of quantization scales) computes a constant, not a layer.
      if (inputs == null || ((n.getOpType().equals("Add") || n.getOpType().equals("Mul"))
          && constantValues.containsAll(n.getInputList()))) {
        continue;
      }
      List<String> params = new ArrayList<>();
      for (int i : inputs) {
        if (i < n.getInputCount()) {
          TensorProto t = init.get(n.getInput(i));
          NodeProto dequantize = dequantizedConstants.get(n.getInput(i));
          // Weights, biases and scales; a scalar constant (a MatMul or Mul by 0.5) is not a learned layer.
          if (t != null && t.getDataType() == TensorProto.DataType.FLOAT_VALUE && count(t) > 1 && claimed.add(t.getName())) {
            params.add(t.getName());
          } else if (dequantize != null && count(init.get(dequantize.getInput(0))) > 1 && claimed.add(n.getInput(i))) {
            params.add(n.getInput(i));
          }
        }
      }
      if (!params.isEmpty()) {
        layers.add(new Layer(n.getName(), n.getOpType(), params));
      }
    }
    java.util.Collections.reverse(layers);
    return layers;
  }

  /** The model with the first {@code stages} layers of {@code layers} (logits first) redrawn. */
  static ModelProto randomized(ModelProto model, List<Layer> layers, int stages, long seed) {
    ModelProto out = model;
    for (int k = 0; k < stages; k++) {
      out = withLayerRedrawn(out, layers, k, seed);
    }
    return out;
  }

  /**
   * {@code model} with layer {@code k} of {@code layers} redrawn: the next stage from the one before
   * (whose layer k still has its trained values, so each tensor's spread is its own).
   */
  static ModelProto withLayerRedrawn(ModelProto model, List<Layer> layers, int k, long seed) {
    List<String> parameters = layers.get(k).parameters();
    GraphProto.Builder g = model.getGraph().toBuilder();
    dequantizedInPlace(g, parameters);
    for (int i = 0; i < g.getInitializerCount(); i++) {
      TensorProto t = g.getInitializer(i);
      int index = parameters.indexOf(t.getName());
      if (index < 0) {
        continue;
      }
      float[] v = TensorProtos.toFloats(t);
      double mean = 0;
      for (float f : v) {
        mean += f;
      }
      mean /= v.length;
      double var = 0;
      for (float f : v) {
        var += (f - mean) * (f - mean);
      }
      double std = Math.sqrt(var / v.length);
      if (std == 0 && mean == 0) {
        // All zeros (an untrained bias) draws as zeros: left as it is rather than made zeros of random
        // sign, bytes that differ, which would make the copy's gradient builder probe its shapes again.
        continue;
      }
      // A layer's draw depends only on the seed and its place from the logits: the same at every stage.
      Random random = SeededRandom.forItem(seed, k * 16 + index);
      float[] out = new float[v.length];
      for (int j = 0; j < out.length; j++) {
        out[j] = (float) (random.nextGaussian() * std);
      }
      g.setInitializer(i, TensorProtos.floats(t.getName(), TensorProtos.shape(t), out));
    }
    return model.toBuilder().setGraph(g).build();
  }

  /**
   * Each of {@code parameters} that a DequantizeLinear computes from an integer constant replaced by
   * an initializer of its float values (which the redraw then replaces), the DequantizeLinear removed.
   */
  private static void dequantizedInPlace(GraphProto.Builder g, List<String> parameters) {
    Map<String, TensorProto> init = new HashMap<>();
    g.getInitializerList().forEach(t -> init.put(t.getName(), t));
    for (int i = g.getNodeCount() - 1; i >= 0; i--) {
      NodeProto n = g.getNode(i);
      if (!Quantizers.isDequantize(n) || !parameters.contains(n.getOutput(0))) {
        continue;
      }
      TensorProto levels = init.get(n.getInput(0));
      float[] scale = TensorProtos.toFloats(init.get(n.getInput(1)));
      long[] zero = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? TensorProtos.toLongs(init.get(n.getInput(2))) : null;
      long axis = org.netvis.engine.graph.Attributes.getInt(n, "axis", 1);
      g.removeNode(i);
      g.addInitializer(TensorProtos.floats(n.getOutput(0), TensorProtos.shape(levels),
          TensorProtos.dequantized(levels, scale, zero, axis)));
    }
  }

  private static long count(TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) {
      n *= d;
    }
    return n;
  }
}
