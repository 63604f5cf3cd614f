package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.List;

/**
 * A derived vector-Jacobian-product model and what it was derived from.
 *
 * @param proto the model as built, or, read back from a saved file, its structure without the
 *     initializers' values ({@link ModelStructure}): what ONNX Runtime loads are the file's bytes
 * @param fixedBatch true when the forward model's batch could not be made dynamic; callers then
 *     feed one image at a time
 */
public record GradientGraph(ModelProto proto, VjpSpec spec, String inputName, long height, long width,
    List<String> seeds, boolean fixedBatch) {

  public static final String META_FORWARD_SHA256 = "netvis.forward_sha256";
  public static final String META_BUILDER_VERSION = "netvis.builder_version";
  public static final String META_SPEC = "netvis.spec";
  public static final String META_INPUT_SIZE = "netvis.input_size";
  public static final String META_FIXED_BATCH = "netvis.fixed_batch";
  public static final String META_SEEDS = "netvis.seeds";
  public static final String META_IMAGE_ACTIVATION_BYTES = "netvis.image_activation_bytes";

  /** The symbolic batch dimension of every input and output of a graph with a dynamic batch. */
  public static final String BATCH_DIMENSION = "N";

  /** Bump whenever the builder's output changes, so companion files written before are rebuilt. */
  public static final String BUILDER_VERSION = "41";

  /**
   * True when the batch is dynamic and every graph input holds it on its first axis only, so that
   * fixing {@link #BATCH_DIMENSION} at a run's batch size fits every input of that run (an internal
   * seed may fold the batch into another axis: such graphs are not specialized).
   */
  public boolean batchOnFirstAxes() {
    if (fixedBatch) {
      return false;
    }
    for (ValueInfoProto v : proto.getGraph().getInputList()) {
      List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
      for (int i = 0; i < dims.size(); i++) {
        if (BATCH_DIMENSION.equals(dims.get(i).getDimParam()) != (i == 0)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * The bytes of every float tensor the forward pass computes from one image, all at once, as the
   * gradient graph keeps much of the forward pass for its way back: what a run costs in memory per
   * image, roughly (ViT-H/14 at 224 x 224: 2.55 GB, the ResNet-18 fixture 23 MB); -1 for a graph
   * saved without it.
   */
  public long imageActivationBytes() {
    String bytes = metadata(proto, META_IMAGE_ACTIVATION_BYTES);
    return bytes == null ? -1 : Long.parseLong(bytes);
  }

  public static String metadata(ModelProto model, String key) {
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      if (e.getKey().equals(key)) {
        return e.getValue();
      }
    }
    return null;
  }

  /**
   * Reads back a graph saved by {@link GradientGraphBuilder}, from the whole model or its structure
   * ({@link ModelStructure}); null when it lacks netvis metadata.
   */
  public static GradientGraph fromSaved(ModelProto proto, VjpSpec spec) {
    String size = metadata(proto, META_INPUT_SIZE);
    String seeds = metadata(proto, META_SEEDS);
    if (size == null || seeds == null) {
      return null;
    }
    String[] hw = size.split("x");
    java.util.Set<String> initializers = new java.util.HashSet<>();
    proto.getGraph().getInitializerList().forEach(t -> initializers.add(t.getName()));
    String input = proto.getGraph().getInputList().stream().map(v -> v.getName())
        .filter(n -> !initializers.contains(n) && !n.startsWith(spec.seedInputName(""))).findFirst().orElse(null);
    if (input == null) {
      return null;
    }
    return new GradientGraph(proto, spec, input, Long.parseLong(hw[0]), Long.parseLong(hw[1]),
        List.of(seeds.split("\n")), "true".equals(metadata(proto, META_FIXED_BATCH)));
  }
}
