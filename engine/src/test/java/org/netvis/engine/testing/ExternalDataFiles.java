package org.netvis.engine.testing;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

/** Models with their values moved out to an external data file, written by the test itself. */
public final class ExternalDataFiles {
  private ExternalDataFiles() {}

  public static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  /** {@link #externalize(ModelProto, Path, String, UnaryOperator)} with the entries as written. */
  public static ModelProto externalize(ModelProto m, Path modelDir, String location) throws IOException {
    return externalize(m, modelDir, location, e -> e);
  }

  /**
   * The model with each initializer's and Constant value's raw bytes moved to {@code location} (relative
   * to {@code modelDir}) at offsets aligned to 64 bytes, as aligned writers place them; each tensor's
   * external_data entries (location, offset, length) as {@code entries} rewrites them.
   */
  public static ModelProto externalize(ModelProto m, Path modelDir, String location,
      UnaryOperator<List<StringStringEntryProto>> entries) throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    UnaryOperator<TensorProto> out = t -> {
      while (data.size() % 64 != 0) {
        data.write(0);
      }
      long offset = data.size();
      byte[] raw = t.getRawData().toByteArray();
      data.write(raw, 0, raw.length);
      List<StringStringEntryProto> e = List.of(entry("location", location), entry("offset", Long.toString(offset)),
          entry("length", Integer.toString(raw.length)));
      return t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
          .addAllExternalData(entries.apply(e)).build();
    };
    GraphProto.Builder g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      g.setInitializer(i, out.apply(g.getInitializer(i)));
    }
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      for (int a = 0; a < n.getAttributeCount(); a++) {
        AttributeProto attr = n.getAttribute(a);
        if (attr.hasT() && !attr.getT().getRawData().isEmpty()) {
          g.setNode(i, n.toBuilder().setAttribute(a, attr.toBuilder().setT(out.apply(attr.getT()))));
        }
      }
    }
    Path target = modelDir.resolve(location).normalize();
    Files.createDirectories(target.getParent());
    Files.write(target, data.toByteArray());
    return m.toBuilder().setGraph(g).build();
  }
}
