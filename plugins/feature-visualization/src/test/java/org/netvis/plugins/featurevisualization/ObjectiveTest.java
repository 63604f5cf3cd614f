package org.netvis.plugins.featurevisualization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.netvis.engine.tensor.Tensor;

/** Objective terms: cotangents against finite differences of their values, and parsing errors. */
class ObjectiveTest {
  private static final String CONV = "conv";
  private static final String TOKENS = "tokens";
  private static final String LOGITS = "logits";
  private static final int N = 3;
  private final Map<String, Unit> units = Map.of(
      CONV, new Unit(CONV, new long[] {1, 4, 3, 5}),
      TOKENS, new Unit(TOKENS, new long[] {1, 6, 4}),
      LOGITS, new Unit(LOGITS, new long[] {1, 7}));

  private static Objective parse(String yaml) throws Exception {
    List<Map<String, Object>> spec = new com.fasterxml.jackson.databind.ObjectMapper(
        new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readValue(yaml,
        new com.fasterxml.jackson.core.type.TypeReference<List<Map<String, Object>>>() { });
    return ObjectiveParser.parse(spec, "objective");
  }

  @Test
  void aModuleNameResolvesToItsOutputTensorAndTheRestStays() throws Exception {
    List<org.netvis.engine.graph.GradientGraphBuilder.LayerTensor> path = List.of(
        new org.netvis.engine.graph.GradientGraphBuilder.LayerTensor("/features/features.12/expand3x3/Conv_output_0",
            "Conv", "/features/features.12/expand3x3/Conv", new long[] {-1, 256, 13, 13},
            org.netvis.engine.graph.ImageLayout.NCHW),
        new org.netvis.engine.graph.GradientGraphBuilder.LayerTensor("/features/features.12/Concat_output_0",
            "Concat", "/features/features.12/Concat", new long[] {-1, 512, 13, 13},
            org.netvis.engine.graph.ImageLayout.NCHW),
        new org.netvis.engine.graph.GradientGraphBuilder.LayerTensor("logits", "Gemm", "/fc/Gemm",
            new long[] {-1, 1000}, null));
    org.netvis.engine.graph.LayerLookup lookup = new org.netvis.engine.graph.LayerLookup("m", path,
        java.util.Set.of("/features/features.12/expand3x3/Conv_output_0", "/features/features.12/Concat_output_0",
            "logits"));
    Objective o = parse("[{channel: {layer: features.12, index: 3}, weight: 2},"
        + " {neuron: {layer: /features/features.12/expand3x3/Conv_output_0, index: 1}}, {class: 5}, {l2: 0.5}]")
        .resolved(lookup);
    assertEquals("/features/features.12/Concat_output_0", o.terms().get(0).layer());
    assertEquals(3, o.terms().get(0).index());
    assertEquals(2.0, o.terms().get(0).weight());
    assertEquals("/features/features.12/expand3x3/Conv_output_0", o.terms().get(1).layer());
    assertEquals(Objective.Kind.CLASS, o.terms().get(2).kind());
    assertEquals(null, o.terms().get(2).layer());
    assertEquals(0.5, o.terms().get(3).coefficient());
  }

  /** The objective summed over the batch, a batch term (diversity) counted once. */
  private double total(Objective o, Map<String, Tensor> acts) {
    Tensor input = Tensor.zeros(N, 3, 2, 2);
    double[][] v = o.values(N, LOGITS, units, acts, input);
    double s = 0;
    for (int k = 0; k < o.terms().size(); k++) {
      if (o.terms().get(k).kind() == Objective.Kind.DIVERSITY) {
        s += v[0][k];
      } else {
        for (int b = 0; b < N; b++) {
          s += v[b][k];
        }
      }
    }
    return s;
  }

  /** Terms for every image (no image index) render one image; an index asks for a batch up to it. */
  @Test
  void theBatchIsAtLeastOneImage() throws Exception {
    assertEquals(1, parse("[{channel: {layer: conv, index: 2}}]").impliedBatch());
    assertEquals(1, parse("[{class: 4}, {layer: conv}]").impliedBatch());
    assertEquals(3, parse("[{class: 4}, {channel: {layer: conv, index: 2}, image: 2}]").impliedBatch());
  }

  @Test
  void cotangentsAreTheGradientsOfTheValues() throws Exception {
    Objective o = parse("[{channel: {layer: conv, index: 2}, image: 1}, {neuron: {layer: conv, index: 1}, weight: 0.5},"
        + " {neuron: {layer: conv, index: 3, x: 4, y: 0}}, {layer: conv, weight: 2}, {diversity: conv, weight: -3},"
        + " {channel: {layer: tokens, index: 3}}, {direction: {layer: tokens, vector: [1, -2, 0.5, 3]}},"
        + " {layer: tokens}, {diversity: tokens}, {class: 4, weight: -1}, {class: {index: 6}, image: 2}]");
    Random r = new Random(3);
    Map<String, Tensor> acts = new java.util.HashMap<>();
    for (String name : List.of(CONV, TOKENS, LOGITS)) {
      Tensor t = Tensor.zeros(units.get(name).batchShape(N));
      for (int i = 0; i < t.size(); i++) {
        t.data()[i] = (float) r.nextGaussian();
      }
      acts.put(name, t);
    }
    Map<String, Tensor> ct = o.cotangents(N, LOGITS, units, acts);
    assertEquals(List.of(CONV, TOKENS, LOGITS), List.copyOf(ct.keySet()));
    double worst = 0;
    for (String name : ct.keySet()) {
      float[] a = acts.get(name).data();
      for (int i = 0; i < a.length; i++) {
        float keep = a[i];
        double h = 1e-2;
        a[i] = (float) (keep + h);
        double plus = total(o, acts);
        a[i] = (float) (keep - h);
        double minus = total(o, acts);
        a[i] = keep;
        double numeric = (plus - minus) / (2 * h);
        double analytic = ct.get(name).data()[i];
        worst = Math.max(worst, Math.abs(numeric - analytic) / Math.max(0.05, Math.abs(numeric)));
      }
    }
    System.out.printf("objective cotangents vs finite differences: worst relative error %.2e%n", worst);
    assertTrue(worst < 2e-3, "worst " + worst);
  }

  /**
   * Swin's stages are channels-last [N, H, W, C]: every term on such a tensor has the value it has on
   * the same values transposed to [N, C, H, W], and its cotangent is that one's, transposed back.
   */
  @Test
  void aChannelsLastTensorsTermsAreThoseOfItsChannelsFirstTranspose() throws Exception {
    String terms = "[{channel: {layer: L, index: 2}, image: 1}, {neuron: {layer: L, index: 1}},"
        + " {neuron: {layer: L, index: 3, x: 4, y: 0}}, {layer: L, weight: 2}, {diversity: L, weight: -3},"
        + " {direction: {layer: L, vector: [1, -2, 0.5, 3]}}]";
    Map<String, Unit> byLayout = Map.of(
        "first", Unit.of("first", new long[] {-1, 4, 3, 5}, org.netvis.engine.graph.ImageLayout.NCHW),
        "last", Unit.of("last", new long[] {-1, 3, 5, 4}, org.netvis.engine.graph.ImageLayout.NHWC),
        LOGITS, units.get(LOGITS));
    Random r = new Random(5);
    Tensor first = Tensor.zeros(N, 4, 3, 5);
    for (int i = 0; i < first.size(); i++) {
      first.data()[i] = (float) r.nextGaussian();
    }
    Map<String, Tensor> acts = Map.of("first", first, "last", org.netvis.engine.graph.ImageLayout.NHWC.fromNchw(first),
        LOGITS, Tensor.zeros(N, 7));
    Objective onFirst = parse(terms.replace("L", "first"));
    Objective onLast = parse(terms.replace("L", "last"));
    Tensor input = Tensor.zeros(N, 3, 2, 2);
    double[][] expected = onFirst.values(N, LOGITS, byLayout, acts, input);
    double[][] actual = onLast.values(N, LOGITS, byLayout, acts, input);
    for (int b = 0; b < N; b++) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(expected[b], actual[b], 1e-5, "image " + b);
    }
    Tensor ctFirst = onFirst.cotangents(N, LOGITS, byLayout, acts).get("first");
    Tensor ctLast = onLast.cotangents(N, LOGITS, byLayout, acts).get("last");
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        org.netvis.engine.graph.ImageLayout.NHWC.fromNchw(ctFirst).data(), ctLast.data(), 1e-5f);
  }

  @Test
  void diversityIsLucidsGramSimilarity() {
    // Two images with identical activations: normalized Grams equal, each pair's dot product is 1,
    // so the value is (1 + 1) / 2 = 1; orthogonal channel use gives 0.
    Unit u = new Unit(CONV, new long[] {1, 2, 1, 2});
    assertEquals(1.0, Objective.diversity(new float[] {1, 2, 3, 4, 1, 2, 3, 4}, u, 2, null, 1), 1e-9);
    assertEquals(0.0, Objective.diversity(new float[] {1, 1, 0, 0, 0, 0, 1, 1}, u, 2, null, 1), 1e-9);
  }

  @Test
  void malformedTermsNameTheirKey() {
    String[][] cases = {
        {"[{channel: {layer: a}}]", "objective[0].channel.index: missing"},
        {"[{channel: {layer: a, index: -1}}]", "objective[0].channel.index: expected an integer from 0"},
        {"[{chanel: {layer: a, index: 1}}]", "objective[0]: unknown key 'chanel'"},
        {"[{class: 3, layer: b}]", "objective[0]: needs exactly one of"},
        {"[{l2: -1}]", "objective[0].l2: -1.0 is negative"},
        {"[{direction: {layer: a, vector: []}}]", "objective[0].direction.vector: expected a non-empty list"},
        {"[{neuron: {layer: a, index: 1, x: 3}}]", "objective[0].neuron: give both x and y"},
        {"[]", "objective: needs at least one term"}};
    for (String[] c : cases) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(c[0]), c[0]);
      assertTrue(e.getMessage().startsWith(c[1]), c[0] + " -> " + e.getMessage());
    }
  }
}
