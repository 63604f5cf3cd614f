package org.netvis.bench;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.netvis.engine.graph.Attributes;

/**
 * What the ReLU gradient's mask costs in each form ONNX Runtime could run, g * [y > 0] on one
 * ResNet-18 layer1 activation ([8, 64, 56, 56]): the builder's two HardSigmoid stages (exact down to
 * the smallest subnormal y), one stage (exact only for y of at least 2^-127), Sign (exact, as y >= 0),
 * and the Mul alone (the floor). Kernel time per run from ONNX Runtime's profiler, medians over
 * rounds that alternate the forms. Usage: MaskForms [rounds] (default 5).
 */
public final class MaskForms {
  private MaskForms() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    long[] shape = {8, 64, 56, 56};
    int n = Math.toIntExact(shape[0] * shape[1] * shape[2] * shape[3]);
    float[] y = new float[n];
    float[] g = new float[n];
    Random r = new Random(1);
    for (int i = 0; i < n; i++) {
      y[i] = Math.max(0, (float) r.nextGaussian());
      g[i] = (float) r.nextGaussian();
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> feed = Map.of("y", OnnxTensor.createTensor(env, FloatBuffer.wrap(y), shape),
        "g", OnnxTensor.createTensor(env, FloatBuffer.wrap(g), shape));
    Map<String, List<Double>> times = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (String form : List.of("two HardSigmoid stages + Mul", "one HardSigmoid stage + Mul", "Sign + Mul",
          "Mul alone")) {
        ProfileVjp.Profile p = SmallGraphs.profile(env, SmallGraphs.model(graph(form, shape)), feed);
        times.computeIfAbsent(form, k -> new ArrayList<>()).add(p.byOp().values().stream()
            .mapToDouble(Double::doubleValue).sum());
      }
    }
    System.out.printf("g * [y > 0] on %d floats, kernel ms per run, median of %d rounds%n", n, rounds);
    times.forEach((form, t) -> System.out.printf("  %-30s %6.3f%n", form, t.stream().sorted().toList()
        .get(t.size() / 2)));
  }

  private static GraphProto.Builder graph(String form, long[] shape) {
    GraphProto.Builder gr = GraphProto.newBuilder().setName("mask")
        .addInput(SmallGraphs.value("y", TensorProto.DataType.FLOAT, shape))
        .addInput(SmallGraphs.value("g", TensorProto.DataType.FLOAT, shape))
        .addOutput(SmallGraphs.value("out", TensorProto.DataType.FLOAT, shape));
    AttributeProto lift = Attributes.of("alpha", (float) Math.scalb(1.0, 127));
    AttributeProto zero = Attributes.of("beta", 0f);
    String mask = switch (form) {
      case "two HardSigmoid stages + Mul" -> {
        gr.addNode(SmallGraphs.node("HardSigmoid", List.of("y"), List.of("m1"), lift, zero));
        gr.addNode(SmallGraphs.node("HardSigmoid", List.of("m1"), List.of("m"), lift, zero));
        yield "m";
      }
      case "one HardSigmoid stage + Mul" -> {
        gr.addNode(SmallGraphs.node("HardSigmoid", List.of("y"), List.of("m"), lift, zero));
        yield "m";
      }
      case "Sign + Mul" -> {
        gr.addNode(SmallGraphs.node("Sign", List.of("y"), List.of("m")));
        yield "m";
      }
      default -> "y";
    };
    gr.addNode(SmallGraphs.node("Mul", List.of("g", mask), List.of("out")));
    return gr;
  }
}
