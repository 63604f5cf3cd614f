package org.netvis.engine.runtime;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which operators ONNX Runtime's CUDA execution provider has kernels for, at which opset versions
 * (the published kernel list, kept in {@code cuda-kernels.tsv} with its source): the way to tell,
 * without a GPU, that a graph would run partly on the CPU (every such node costs two copies between
 * the devices per run).
 */
public final class CudaKernels {
  private static final CudaKernels INSTANCE = load();

  /** Per operator, the [from, to] opset ranges with a kernel (to = MAX_VALUE for "N+"). */
  private final Map<String, List<int[]>> kernels;

  private CudaKernels(Map<String, List<int[]>> kernels) {
    this.kernels = kernels;
  }

  public static CudaKernels published() {
    return INSTANCE;
  }

  /** A node that would fall back to the CPU. */
  public record Fallback(String node, String opType, long opset) {
    @Override
    public String toString() {
      return opType + " (opset " + opset + ", node '" + node + "')";
    }
  }

  /** Whether the CUDA provider has a kernel for {@code opType} (domain ai.onnx) at {@code opset}. */
  public boolean supports(String opType, long opset) {
    for (int[] r : kernels.getOrDefault(opType, List.of())) {
      if (opset >= r[0] && opset <= r[1]) {
        return true;
      }
    }
    return false;
  }

  /**
   * The nodes of {@code model} (subgraphs included) without a CUDA kernel. Constant nodes are
   * folded into initializers when a session loads and never run; other domains are reported.
   */
  public List<Fallback> fallbacks(ModelProto model) {
    long opset = 0;
    Map<String, Long> domains = new HashMap<>();
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      domains.put(o.getDomain(), o.getVersion());
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        opset = o.getVersion();
      }
    }
    List<Fallback> out = new ArrayList<>();
    collect(model.getGraph(), opset, domains, out);
    return out;
  }

  /** The distinct operator types among {@link #fallbacks}, e.g. for a one-line report. */
  public static Set<String> types(List<Fallback> fallbacks) {
    Set<String> s = new LinkedHashSet<>();
    fallbacks.forEach(f -> s.add(f.opType() + " (opset " + f.opset() + ")"));
    return s;
  }

  private void collect(GraphProto graph, long opset, Map<String, Long> domains, List<Fallback> out) {
    for (NodeProto n : graph.getNodeList()) {
      boolean standard = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
      if (standard && n.getOpType().equals("Constant")) {
        continue;
      }
      if (!standard || !supports(n.getOpType(), opset)) {
        out.add(new Fallback(n.getName(), standard ? n.getOpType() : n.getDomain() + "." + n.getOpType(),
            standard ? opset : domains.getOrDefault(n.getDomain(), 0L)));
      }
      n.getAttributeList().forEach(a -> {
        if (a.hasG()) {
          collect(a.getG(), opset, domains, out);
        }
        a.getGraphsList().forEach(g -> collect(g, opset, domains, out));
      });
    }
  }

  private static CudaKernels load() {
    Map<String, List<int[]>> kernels = new HashMap<>();
    try (var in = CudaKernels.class.getResourceAsStream("cuda-kernels.tsv");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.split("\t");
        List<int[]> ranges = new ArrayList<>();
        for (String range : parts[1].split(",")) {
          if (range.endsWith("+")) {
            ranges.add(new int[] {Integer.parseInt(range.substring(0, range.length() - 1)), Integer.MAX_VALUE});
          } else if (range.contains("-")) {
            String[] ft = range.split("-");
            ranges.add(new int[] {Integer.parseInt(ft[0]), Integer.parseInt(ft[1])});
          } else {
            ranges.add(new int[] {Integer.parseInt(range), Integer.parseInt(range)});
          }
        }
        kernels.put(parts[0], ranges);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CUDA kernel list", e);
    }
    return new CudaKernels(kernels);
  }
}
