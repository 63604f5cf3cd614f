package org.netvis.engine.attribution;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.graph.GradientGraphBuilder.LayerTensor;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.Tensor;

/**
 * One unit of a hidden tensor, as Captum's neuron_selector names it: the tensor (a name from
 * {@code netvis layers}) and the unit's index within one image's part of it, e.g. [channel, row,
 * column] of a (N, C, H, W) tensor. The neuron methods attribute its value; neuron feature ablation
 * ablates input features against it.
 *
 * @param shape one image's part of the tensor (its shape without the batch axis)
 * @param offset the unit's position in one image's values, row-major
 */
public record Neuron(String layer, long[] shape, int offset) {
  /** The parameter descriptions of a method that names a unit. */
  public static final String LAYER = "the tensor holding the unit, a name from `netvis layers`"
      + " or a PyTorch module's qualified name, such as features.12, for its output";
  public static final String NEURON = "the unit's index within one image's part of the tensor, e.g. [channel, row,"
      + " column] of a (N, C, H, W) tensor, [row, column, channel] of a channels-last one (Captum's neuron_selector)";

  /**
   * As {@link #resolve(Engine, String, List)} with the context's engine, and recorded in the step's
   * results ({@link AttributionContext#settled}): the tensor a module's name stands for, its shape
   * (batch -1), a 4-D tensor's layout where the graph fixes it (the index follows the tensor's own
   * axes) and the unit's index.
   */
  public static Neuron resolve(AttributionContext ctx, String layer, List<Integer> index) {
    LayerTensor t = tensor(ctx.engine(), layer);
    Neuron neuron = of(t, layer, index);
    Map<String, Object> record = new LinkedHashMap<>();
    record.put("tensor", t.name());
    record.put("shape", Arrays.stream(t.shape()).boxed().toList());
    if (t.layout() != null) {
      record.put("layout", t.layout().name());
    }
    record.put("neuron", index);
    ctx.settled("layer", record);
    return neuron;
  }

  public static Neuron resolve(Engine engine, String layer, List<Integer> index) {
    return of(tensor(engine, layer), layer, index);
  }

  /** The tensor {@code layer} names on the gradient path. */
  private static LayerTensor tensor(Engine engine, String layer) {
    if (layer.isEmpty()) {
      throw new IllegalArgumentException("layer: name the tensor that holds the unit, from `netvis layers "
          + engine.model().id() + "`");
    }
    return engine.layerLookup().find("layer", layer);
  }

  /** The unit at {@code index} of tensor {@code t}, which the parameter named {@code layer}. */
  private static Neuron of(LayerTensor t, String layer, List<Integer> index) {
    long[] shape = Arrays.copyOfRange(t.shape(), 1, t.shape().length);
    if (Arrays.stream(shape).anyMatch(d -> d <= 0)) {
      throw new IllegalArgumentException("layer: '" + layer + "' has shape " + Arrays.toString(t.shape())
          + "; its batch is folded into another axis, so a unit of one image cannot be named");
    }
    if (index.size() != shape.length) {
      throw new IllegalArgumentException("neuron: " + index + " does not index one image's part of '" + layer
          + "', of shape " + Arrays.toString(shape) + "; expected " + shape.length + " indices");
    }
    int offset = 0;
    for (int axis = 0; axis < shape.length; axis++) {
      int i = index.get(axis);
      if (i < 0 || i >= shape[axis]) {
        throw new IllegalArgumentException("neuron: index " + i + " on axis " + axis + " is outside [0, "
            + shape[axis] + ") of '" + layer + "', of shape " + Arrays.toString(shape));
      }
      offset = (int) (offset * shape[axis] + i);
    }
    return new Neuron(t.name(), shape, offset);
  }

  /** The cotangent that picks the unit of each of n images: 1 there, 0 elsewhere. */
  public Tensor cotangent(int n) {
    long[] full = new long[shape.length + 1];
    full[0] = n;
    System.arraycopy(shape, 0, full, 1, shape.length);
    Tensor t = Tensor.zeros(full);
    int item = t.itemSize();
    for (int i = 0; i < n; i++) {
      t.data()[i * item + offset] = 1f;
    }
    return t;
  }

  /** The unit's value in each image, by a forward pass of the model up to its layer that returns only the unit. */
  public double[] valuesAt(Engine engine, Tensor images) {
    float[] unit = engine.unitValues(images, layer, offset).data();
    double[] out = new double[unit.length];
    for (int i = 0; i < unit.length; i++) {
      out[i] = unit[i];
    }
    return out;
  }

  /** The unit's value in each image, from the tensor's values. */
  public double[] values(Tensor layerValues) {
    int n = (int) layerValues.dim(0);
    int item = layerValues.itemSize();
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = layerValues.data()[i * item + offset];
    }
    return out;
  }
}
