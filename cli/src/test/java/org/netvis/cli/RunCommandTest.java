package org.netvis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** `netvis plugins`, `netvis run` and `netvis rerun` on the example experiment, as a user runs them. */
class RunCommandTest {
  @TempDir Path dir;

  static Path repo() {
    return Path.of(System.getProperty("netvis.repo.root"));
  }

  @Test
  void pluginsListsEveryTechniqueWithItsParameters() {
    CliTest.Run r = CliTest.run("plugins");
    assertEquals(0, r.status(), r.err());
    for (String s : new String[] {"saliency", "fooling", "class-visualization", "learning_rate", "max_jitter",
        "blur_sigma", "objective", "class_score | cross_entropy", "default 100", "(required)"}) {
      assertTrue(r.out().contains(s), "lists " + s + ": " + r.out());
    }
  }

  @Test
  void pluginsListsTheTechniquesItIsGivenOnly() {
    CliTest.Run r = CliTest.run("plugins", "integrated-gradients", "fooling");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("integrated-gradients\n"), r.out());
    assertTrue(r.out().contains("\nfooling\n") && r.out().contains("max_iterations"), r.out());
    assertTrue(!r.out().contains("saliency") && !r.out().contains("class-visualization"), r.out());
    CliTest.Run typo = CliTest.run("plugins", "fooling", "integrated-gradient");
    assertEquals(1, typo.status());
    assertEquals("", typo.out(), "nothing listed when an id is unknown");
    assertTrue(typo.err().contains("unknown technique 'integrated-gradient' (did you mean 'integrated-gradients'?)"),
        typo.err());
  }

  @Test
  void theSeedNotebookRunsAndRerunsIdentically() throws Exception {
    Path out = dir.resolve("notebook");
    CliTest.Run r = CliTest.run("run", repo().resolve("configs/seed-notebook.yaml").toString(), "--out", out.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("succeeded: " + out), r.out());
    for (String f : new String[] {"experiment.resolved.json", "manifest.json", "run.log", "0-saliency/figure.png",
        "0-saliency/saliency.npy", "1-fooling/figure.png", "1-fooling/fooling.npy", "1-fooling/00_difference_x10.png",
        "2-class-visualization/187-Yorkshire_terrier.png", "2-class-visualization/683-oboe_iter0050.png",
        "2-class-visualization/366-gorilla.npy"}) {
      assertTrue(Files.isRegularFile(out.resolve(f)), "run directory holds " + f);
    }
    String log = Files.readString(out.resolve("run.log"));
    assertTrue(log.contains("step 0: saliency") && log.contains("DEBUG"), "run.log has the full log: " + log);
    ObjectMapper json = new ObjectMapper();
    JsonNode fooling = json.readTree(out.resolve("1-fooling/results.json").toFile());
    JsonNode hay = fooling.at("/images/0");
    assertEquals(958, hay.get("source_label").asInt());
    assertTrue(hay.get("fooled").asBoolean());
    assertTrue(Math.abs(hay.get("iterations").asInt() - 9) <= 2, hay.toString());
    assertTrue(hay.has("fooled_after_png") && hay.has("perturbation_linf"), hay.toString());
    JsonNode classes = json.readTree(out.resolve("2-class-visualization/results.json").toFile()).get("classes");
    for (JsonNode c : classes) {
      assertEquals(c.get("target").asInt(), c.get("top1").asInt(), c.toString());
    }

    Path again = dir.resolve("again");
    CliTest.Run rerun = CliTest.run("rerun", out.toString(), "--out", again.toString());
    assertEquals(0, rerun.status(), rerun.out() + rerun.err());
    assertTrue(rerun.out().contains("REPRODUCED") && !rerun.out().contains("NOT REPRODUCED"), rerun.out());
  }

  /**
   * On a machine without ../shared the notebook's data set is downloaded: here from a loopback
   * server, checked by sha256 into an empty cache; a server with other bytes is refused, keeping nothing.
   */
  @Test
  void theSeedNotebookDownloadsItsDataSetWithASha256Check() throws Exception {
    Path npz = org.netvis.engine.testing.SharedData.root().resolve("datasets/imagenet_val_25.npz");
    byte[] good = Files.readAllBytes(npz);
    byte[] bad = java.util.Arrays.copyOf(good, good.length);
    bad[bad.length / 2] ^= 1;
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    for (String name : new String[] {"good", "bad"}) {
      byte[] body = name.equals("good") ? good : bad;
      server.createContext("/" + name + "/imagenet_val_25.npz", ex -> {
        ex.sendResponseHeaders(200, body.length);
        try (java.io.OutputStream o = ex.getResponseBody()) {
          o.write(body);
        }
      });
    }
    server.start();
    String descriptor = Files.readString(repo().resolve("datasets/imagenet_val_25.yaml"));
    String oldPath = System.getProperty("netvis.data.path");
    String oldCache = System.getProperty("netvis.cache");
    try {
      for (String name : new String[] {"bad", "good"}) {
        Path descriptors = Files.createDirectories(dir.resolve(name + "-descriptors"));
        Files.writeString(descriptors.resolve("imagenet_val_25.yaml"), descriptor.replace(
            "http://cs231n.stanford.edu/", "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name + "/"));
        Path cache = dir.resolve(name + "-cache");
        System.setProperty("netvis.data.path", descriptors.toString());
        System.setProperty("netvis.cache", cache.toString());
        Path out = dir.resolve(name + "-run");
        CliTest.Run r = CliTest.run("run", repo().resolve("configs/seed-notebook.yaml").toString(), "--out", out.toString(),
            "--set", "steps[2].params.num_iterations=5", "--set", "steps[2].params.show_every=5");
        if (name.equals("bad")) {
          assertEquals(1, r.status(), r.out() + r.err());
          assertTrue(r.err().contains("sha256") && r.err().contains("expected 35141609d22457c7"), r.err());
          assertTrue(Files.notExists(cache.resolve("datasets/imagenet_val_25/imagenet_val_25.npz")), "nothing kept");
          assertTrue(Files.notExists(out), "no run directory");
        } else {
          assertEquals(0, r.status(), r.out() + r.err());
          Path downloaded = cache.resolve("datasets/imagenet_val_25/imagenet_val_25.npz");
          assertTrue(Files.isRegularFile(downloaded));
          JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
          assertEquals(downloaded.toString(), m.at("/inputs/0/path").asText());
          assertEquals(958, m.at("/labels/0").asInt(), "labels come from the archive's y");
          assertEquals(25, m.get("labels").size());
        }
      }
    } finally {
      server.stop(0);
      restore("netvis.data.path", oldPath);
      restore("netvis.cache", oldCache);
    }
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }

  /**
   * Every attribution method, deletion/insertion and the sanity check run on a vision transformer and
   * a ConvNeXt (random-weight fixtures); Grad-CAM on the ViT names a token tensor and its grid.
   */
  @ParameterizedTest
  @ValueSource(strings = {"vit_tiny-random", "convnext_tiny_mini-random"})
  void everyAttributionMethodRunsOnTransformersAndConvNeXt(String fixture) throws Exception {
    String layer = fixture.startsWith("vit") ? "{layer: /encoder/layers/encoder_layer_2/Add_1_output_0, grid: 7}" : "{}";
    Path f = dir.resolve(fixture + ".yaml");
    Files.writeString(f, "name: every-method\nmodel: " + org.netvis.engine.testing.SharedData.fixture(fixture)
        + "\ninputs: [" + org.netvis.engine.testing.SharedData.fixtureRef(fixture).resolve("input.npy") + "]\nsteps:\n"
        + "  - {technique: saliency}\n  - {technique: input-x-gradient}\n"
        + "  - {technique: integrated-gradients, params: {steps: 4}}\n"
        + "  - {technique: gradient-shap, params: {n_samples: 2, stdevs: 0.1}}\n"
        + "  - {technique: deeplift, params: {baseline: blur}}\n"
        + "  - {technique: noise-tunnel, params: {base: integrated-gradients, base_params: {steps: 2}, samples: 2}}\n"
        + "  - {technique: occlusion, params: {window: [3, 112, 112], strides: [3, 112, 112]}}\n"
        + "  - {technique: feature-ablation, params: {grid_size: 112}}\n"
        + "  - {technique: shapley-value-sampling, params: {grid_size: 112, n_samples: 2}}\n"
        + "  - {technique: kernel-shap, params: {grid_size: 112, n_samples: 6}}\n"
        + "  - {technique: lime, params: {features: slic, segments: 12, n_samples: 6}}\n"
        + "  - {technique: grad-cam, params: " + layer + "}\n  - {technique: grad-cam-plus-plus, params: " + layer + "}\n"
        + "  - {technique: guided-backprop}\n  - {technique: deconvnet}\n"
        + "  - {technique: guided-grad-cam, params: " + layer + "}\n"
        + "  - {technique: deletion-insertion, params: {methods: [input-x-gradient, guided-backprop], pixels_per_step: 12544}}\n"
        + "  - {technique: sanity-check, params: {methods: [input-x-gradient], max_stages: 2}}\n"
        + "  - {technique: infidelity, params: {methods: [input-x-gradient, grad-cam], method_params: {grad-cam: "
        + layer + "}, n_perturb_samples: 2}}\n"
        + "  - {technique: sensitivity-max, params: {methods: [gradient-shap], method_params: {gradient-shap: {n_samples: 2}},"
        + " n_perturb_samples: 2}}\n");
    Path out = dir.resolve(fixture);
    CliTest.Run r = CliTest.run("run", f.toString(), "--out", out.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    String[] methods = {"input-x-gradient", "integrated-gradients", "gradient-shap", "deeplift", "noise-tunnel",
        "occlusion", "feature-ablation", "shapley-value-sampling", "kernel-shap", "lime", "grad-cam",
        "grad-cam-plus-plus", "guided-backprop", "deconvnet", "guided-grad-cam"};
    for (int i = 0; i < methods.length; i++) {
      org.netvis.engine.tensor.Tensor a = org.netvis.engine.tensor.Npy.readTensor(
          out.resolve((i + 1) + "-" + methods[i] + "/attributions.npy"));
      assertEquals(3, a.dim(0), methods[i]);
      assertEquals(224, a.dim(3), methods[i]);
      for (float v : a.data()) {
        assertTrue(Float.isFinite(v), methods[i]);
      }
      assertTrue(Files.isRegularFile(out.resolve((i + 1) + "-" + methods[i] + "/figure.png")), methods[i]);
    }
    JsonNode di = new ObjectMapper().readTree(out.resolve("16-deletion-insertion/results.json").toFile());
    assertEquals(3, di.at("/methods/input-x-gradient/deletion_auc").size());
    JsonNode sc = new ObjectMapper().readTree(out.resolve("17-sanity-check/results.json").toFile());
    assertEquals(1.0, sc.at("/methods/input-x-gradient/spearman/0").asDouble(), 1e-9, "stage 0 is the original");
    JsonNode inf = new ObjectMapper().readTree(out.resolve("18-infidelity/results.json").toFile());
    for (String m : new String[] {"input-x-gradient", "grad-cam"}) {
      assertEquals(3, inf.at("/methods/" + m + "/values").size(), m);
      assertTrue(inf.at("/methods/" + m + "/mean").asDouble() >= 0, m);
    }
    // The layer each Grad-CAM explained: a token tensor named with its grid, or a default of known layout.
    assertEquals(fixture.startsWith("vit") ? "tokens" : "NCHW", inf.at("/methods/grad-cam/layer/layout").asText(),
        inf.toString());
    JsonNode sens = new ObjectMapper().readTree(out.resolve("19-sensitivity-max/results.json").toFile());
    assertTrue(sens.at("/images/0/sensitivity_max/gradient-shap").asDouble() > 0, sens.toString());
  }

  /**
   * LRP, with a rule per layer, on SqueezeNet: relevance maps and their deltas; on a vision
   * transformer, whose LayerNormalization has no LRP rule, the run fails before any step runs.
   */
  @Test
  void lrpRunsWithRulesPerLayerAndRefusesATransformerBeforeAnyStep() throws Exception {
    Path out = dir.resolve("lrp");
    CliTest.Run r = runOnHay("lrp", "  - technique: lrp\n    params:\n      rule: epsilon 0.25\n"
        + "      layers: {'features\\.[0-4]/': gamma, 'classifier': epsilon 1e-9}\n");
    assertEquals(0, r.status(), r.out() + r.err());
    JsonNode results = new ObjectMapper().readTree(out.resolve("0-lrp/results.json").toFile());
    double sum = results.at("/images/0/attribution_sum").asDouble();
    double delta = results.at("/images/0/convergence_delta").asDouble();
    assertTrue(Double.isFinite(sum) && sum != 0 && delta < 0, results.toString());
    JsonNode resolved = new ObjectMapper().readTree(out.resolve("experiment.resolved.json").toFile());
    assertEquals("gamma", resolved.at("/steps/0/params/layers/features\\.[0-4]~1").asText(), resolved.toString());

    String vit = "vit_tiny-random";
    Path bad = dir.resolve("lrp-vit.yaml");
    Files.writeString(bad, "name: lrp-vit\nmodel: " + org.netvis.engine.testing.SharedData.fixture(vit) + "\ninputs: ["
        + org.netvis.engine.testing.SharedData.fixtureRef(vit).resolve("input.npy") + "]\nsteps:\n"
        + "  - {technique: saliency}\n  - {technique: lrp}\n");
    Path badOut = dir.resolve("lrp-vit");
    CliTest.Run refused = CliTest.run("run", bad.toString(), "--out", badOut.toString());
    assertEquals(1, refused.status(), refused.out() + refused.err());
    assertTrue(refused.err().contains("steps[1].params: LayerNormalization node '"), refused.err());
    assertTrue(refused.err().contains("LRP has no rule for LayerNormalization"), refused.err());
    assertTrue(Files.notExists(badOut.resolve("0-saliency")), "saliency did not run first");
  }

  /**
   * A layer method through the CLI: the layer's attributions saved whole, the figures in cells over the
   * photo, the delta recorded; the upsampled form evaluated by deletion/insertion; a neuron method,
   * which has no target class; a bad layer and a bad unit named before any step runs.
   */
  @Test
  void layerAndNeuronMethodsRunAsStepsAndTheirMapsAreEvaluated() throws Exception {
    Path out = dir.resolve("layers");
    String fire = "/features/features.12/Concat_output_0";
    CliTest.Run r = runOnHay("layers", "  - {technique: layer-integrated-gradients, params: {layer: '" + fire
        + "', steps: 8}}\n  - technique: deletion-insertion\n    params:\n      methods: [layer-conductance]\n"
        + "      method_params: {layer-conductance: {layer: '" + fire + "', steps: 8, interpolation: nearest}}\n"
        + "  - {technique: neuron-integrated-gradients, params: {layer: '" + fire + "', neuron: [7, 6, 6], steps: 8}}\n"
        + "  - {technique: neuron-conductance, params: {layer: '" + fire + "', neuron: [7, 6, 6], steps: 8}}\n");
    assertEquals(0, r.status(), r.out() + r.err());
    JsonNode neuron = new ObjectMapper().readTree(out.resolve("2-neuron-integrated-gradients/results.json").toFile());
    assertTrue(neuron.at("/images/0/target").isMissingNode() && neuron.at("/images/0/label").asInt() == 958,
        "a unit's attribution has no target class: " + neuron);
    assertTrue(neuron.at("/images/0/convergence_delta").isNumber(), neuron.toString());
    // What each method explained, as results.json records it: the unit, and the layer a module's name stands for.
    assertEquals("{\"tensor\":\"" + fire + "\",\"shape\":[-1,512,13,13],\"layout\":\"NCHW\",\"neuron\":[7,6,6]}",
        neuron.get("layer").toString());
    JsonNode conductance = new ObjectMapper().readTree(out.resolve("3-neuron-conductance/results.json").toFile());
    assertEquals(958, conductance.at("/images/0/target").asInt(), "conductance explains the target: " + conductance);
    org.netvis.engine.tensor.Tensor a = org.netvis.engine.tensor.Npy.readTensor(
        out.resolve("0-layer-integrated-gradients/attributions.npy"));
    assertArrayEquals(new long[] {1, 512, 13, 13}, a.shape());
    JsonNode results = new ObjectMapper().readTree(out.resolve("0-layer-integrated-gradients/results.json").toFile());
    assertEquals(a.itemSums()[0], results.at("/images/0/attribution_sum").asDouble(), 1e-3, results.toString());
    assertTrue(results.at("/images/0/convergence_delta").isNumber(), results.toString());
    assertEquals("{\"tensor\":\"" + fire + "\",\"shape\":[-1,512,13,13],\"layout\":\"NCHW\",\"chosen\":\"named '"
        + fire + "'\"}", results.get("layer").toString());
    assertEquals(224, javax.imageio.ImageIO.read(out.resolve("0-layer-integrated-gradients/overlay_00.png").toFile())
        .getWidth());
    JsonNode di = new ObjectMapper().readTree(out.resolve("1-deletion-insertion/results.json").toFile());
    double insertion = di.at("/methods/layer-conductance/insertion_auc_mean").asDouble();
    assertTrue(insertion > 0 && insertion < 1, di.toString());
    assertEquals(fire, di.at("/methods/layer-conductance/layer/tensor").asText(), di.toString());

    assertRunFailsNaming("bad-layer", "  - {technique: saliency}\n"
        + "  - {technique: internal-influence, params: {layer: fire9}}\n"
        + "  - {technique: neuron-gradient, params: {layer: '" + fire + "', neuron: [512, 0, 0]}}\n",
        "steps[1].params: layer: 'fire9' is not a tensor of squeezenet1_1; nearest names: ",
        "steps[2].params: neuron: index 512 on axis 0 is outside [0, 512)");
    assertTrue(Files.notExists(dir.resolve("bad-layer/0-saliency")), "saliency did not run first");
  }

  /** Runs the hay photo through {@code steps} with SqueezeNet 1.1, into {@code dir/name}. */
  private CliTest.Run runOnHay(String name, String steps) {
    Path f = dir.resolve(name + ".yaml");
    try {
      Files.writeString(f, "name: " + name + "\nmodel: squeezenet1_1\ninputs: [" + org.netvis.engine.testing.SharedData
          .root().resolve("images/00_hay.png") + "]\nsteps:\n" + steps);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return CliTest.run("run", f.toString(), "--out", dir.resolve(name).toString());
  }

  /** Runs the hay photo through {@code steps}; the run must fail, naming each of {@code expected}. */
  private Path assertRunFailsNaming(String name, String steps, String... expected) {
    Path out = dir.resolve(name);
    CliTest.Run r = runOnHay(name, steps);
    assertEquals(1, r.status());
    for (String e : expected) {
      assertTrue(r.err().contains(e), e + " in " + r.err());
    }
    return out;
  }

  @Test
  void badAttributionParametersNameTheirKeys() {
    assertRunFailsNaming("bad-attr", "  - {technique: integrated-gradients, params: {method: simpson, steps: 0}}\n"
        + "  - {technique: occlusion, params: {window: [15, 15]}}\n"
        + "  - {technique: noise-tunnel, params: {noise_level: -0.1, type: average}}\n"
        + "  - {technique: gradient-shap, params: {n_samples: 0, stdevs: -1}}\n"
        + "  - {technique: infidelity, params: {noise_stdev: 0, n_perturb_samples: 0}}\n"
        + "  - {technique: sensitivity-max, params: {perturb_radius: -1}}\n"
        + "  - {technique: integrated-gradients, params: {method: gauss_legendre}}\n",
        "steps[0].params.method: 'simpson' is not one of [gausslegendre, riemann_left,",
        "steps[0].params.steps: 0 is out of range", "steps[1].params: window and strides need 3 values",
        "steps[2].params.noise_level: -0.1 is out of range", "steps[2].params.type: 'average' is not one of",
        "steps[3].params.n_samples: 0 is out of range", "steps[3].params.stdevs: -1",
        "steps[4].params.noise_stdev: 0", "steps[4].params.n_perturb_samples: 0 is out of range",
        "steps[5].params.perturb_radius: -1",
        "steps[6].params.method: 'gauss_legendre' (did you mean 'gausslegendre'?) is not one of [gausslegendre,");
  }

  @Test
  void problemsThatNeedTheModelAreFoundBeforeAnyStepRuns() throws Exception {
    // Beside the experiment file, named relative to it.
    org.netvis.engine.tensor.Npy.write(dir.resolve("small.npy"), org.netvis.engine.tensor.Tensor.zeros(3, 10, 10));
    Path out = assertRunFailsNaming("bad-layers", "  - {technique: saliency}\n"
        + "  - {technique: grad-cam, params: {layer: nowhere}}\n"
        + "  - {technique: guided-grad-cam, params: {layer: nowhere}}\n"
        + "  - {technique: noise-tunnel, params: {base: nothing}}\n"
        + "  - {technique: deletion-insertion, params: {methods: [saliency], method_params: {grad-cam: {layer: x}}}}\n"
        + "  - {technique: deletion-insertion, params: {methods: [saliency, salency]}}\n"
        + "  - {technique: sanity-check, params: {methods: [saliency, grad-cam], method_params: {grad-cam: {layr: x}}}}\n"
        + "  - {technique: occlusion, params: {window: [3, 300, 300]}}\n"
        + "  - {technique: saliency, images: [1]}\n"
        + "  - {technique: integrated-gradients, params: {baseline: small.npy}}\n"
        + "  - {technique: gradient-shap, params: {baselines: [zeros, grey]}}\n"
        + "  - {technique: infidelity, params: {methods: [saliency, salency]}}\n"
        + "  - {technique: lrp, params: {layers: {\"features\\\\.13/\": gamma}}}\n",
        "steps[1].params: layer: 'nowhere' is not a tensor of squeezenet1_1; nearest names: ",
        "steps[2].params: layer: 'nowhere' is not a tensor", "steps[3].params: base: unknown attribution method 'nothing'",
        "steps[4].params: method_params.grad-cam: 'grad-cam' is not one of the methods [saliency]",
        "steps[5].params: methods: unknown attribution method 'salency' (did you mean 'saliency'?); expected one of",
        "steps[6].params: method_params.grad-cam.layr: unknown parameter (did you mean 'layer'?)",
        "steps[7].params: window: [3, 300, 300] is larger than the input [3, 224, 224]",
        "steps[8].images[0]: image 1 does not exist (expected 0 to 0: the experiment has 1 image)",
        "steps[9].params: baseline: " + dir.resolve("small.npy") + " has shape [3, 10, 10]; expected [3, 224, 224]",
        "steps[10].params: baselines[1]: 'grey' is not zeros, black, blur, uniform or an .npy path",
        "steps[11].params: methods: unknown attribution method 'salency' (did you mean 'saliency'?)",
        "steps[12].params: layers: LRP rule for layers 'features\\.13/' matches no layer of the model");
    assertTrue(Files.notExists(out.resolve("0-saliency")), "saliency did not run first");
  }

  @Test
  void badAttackParametersNameTheirKeys() {
    assertRunFailsNaming("bad-attack", "  - {technique: fgsm, params: {epsilon: -0.1}}\n"
        + "  - {technique: fgsm, params: {epsilon: 300/255}}\n"
        + "  - {technique: pgd, params: {epsilon: 4/255, step_size: 8/255}}\n"
        + "  - {technique: pgd, params: {target: 1000}}\n"
        + "  - {technique: robustness-curve, params: {epsilons: [0, 1/0]}}\n"
        + "  - {technique: mifgsm, params: {epsilon: 2/255, step_size: 4/255}}\n"
        + "  - {technique: deepfool, params: {overshoot: -0.1, steps: 0}}\n"
        + "  - {technique: cw, params: {c: 0, lr: 0}}\n"
        + "  - {technique: apgd, params: {rho: 2, loss: margin}}\n",
        "steps[0].params.epsilon: -0.1 is out of range (expected at least 0 and at most 1)",
        "steps[1].params.epsilon: 1.17", "steps[2].params: step_size: 0.0313", "is larger than epsilon 0.0156",
        "steps[3].params.target: 1000 is not a class of the model (expected 0 to 999)",
        "steps[4].params.epsilons[1]: '1/0' divides by zero", "steps[5].params: step_size: 0.0156",
        "steps[6].params.overshoot: -0.1 is out of range", "steps[6].params.steps: 0 is out of range",
        "steps[7].params.c: 0 is out of range", "steps[7].params.lr: 0 is out of range",
        "steps[8].params.rho: 2 is out of range", "steps[8].params.loss: 'margin'");
  }

  /** MI-FGSM, DeepFool, Carlini-Wagner and APGD as steps: adversarial images of the hay photo. */
  @Test
  void miFgsmDeepFoolCarliniWagnerAndApgdRunAsSteps() throws Exception {
    Path out = dir.resolve("attacks");
    CliTest.Run r = runOnHay("attacks", "  - {technique: mifgsm, params: {epsilon: 4/255, step_size: 1/255, steps: 5}}\n"
        + "  - {technique: deepfool, params: {candidates: 3}}\n  - {technique: cw, params: {steps: 20}}\n"
        + "  - {technique: apgd, params: {epsilon: 2/255, steps: 5, loss: dlr}}\n"
        + "  - {technique: robustness-curve, params: {attack: apgd, epsilons: [0, 2/255], steps: 5}}\n");
    assertEquals(0, r.status(), r.out() + r.err());
    JsonNode mifgsm = new ObjectMapper().readTree(out.resolve("0-mifgsm/results.json").toFile());
    assertTrue(mifgsm.at("/images/0/success").asBoolean(), mifgsm.toString());
    assertTrue(mifgsm.at("/images/0/perturbation_linf_255").asDouble() <= 4 + 1e-3, mifgsm.toString());
    JsonNode deepfool = new ObjectMapper().readTree(out.resolve("1-deepfool/results.json").toFile());
    assertTrue(deepfool.at("/images/0/success").asBoolean(), deepfool.toString());
    assertTrue(deepfool.at("/steps_taken/0").asInt() >= 1, deepfool.toString());
    // The smallest perturbation that flips the photo is far below an L-inf budget's L2 (4/255 over 150528 values).
    assertTrue(deepfool.at("/images/0/perturbation_l2").asDouble() < mifgsm.at("/images/0/perturbation_l2").asDouble(),
        deepfool.toString());
    assertTrue(Files.isRegularFile(out.resolve("1-deepfool/adversarial.npy")));
    JsonNode cw = new ObjectMapper().readTree(out.resolve("2-cw/results.json").toFile());
    assertTrue(cw.at("/images/0/success").asBoolean(), cw.toString());
    assertTrue(cw.at("/images/0/perturbation_l2").asDouble() < mifgsm.at("/images/0/perturbation_l2").asDouble(),
        cw.toString());
    JsonNode apgd = new ObjectMapper().readTree(out.resolve("3-apgd/results.json").toFile());
    assertTrue(apgd.at("/images/0/success").asBoolean(), apgd.toString());
    assertTrue(apgd.at("/images/0/perturbation_linf_255").asDouble() <= 2 + 1e-3, apgd.toString());
    assertEquals("dlr", apgd.at("/loss").asText(), apgd.toString());
    JsonNode curve = new ObjectMapper().readTree(out.resolve("4-robustness-curve/results.json").toFile());
    assertEquals(1.0, curve.at("/curve/0/accuracy").asDouble(), curve.toString());
    assertEquals(0.0, curve.at("/curve/1/accuracy").asDouble(), curve.toString());
    assertEquals(2.0, curve.at("/images/0/smallest_flipping_epsilon_255").asDouble(), 1e-9, curve.toString());
  }

  @Test
  void aMalformedExperimentFailsBeforeLoadingAnythingWithEveryProblem() throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, "name: bad\nmodel: squeezenet1_1\ninputs: [nothing.png]\n"
        + "steps: [{technique: fooling, params: {target: 1000, max_iterations: 0}}]\n");
    CliTest.Run r = CliTest.run("run", f.toString(), "--out", dir.resolve("never").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("netvis: error: " + f + ": 3 problems:"), r.err());
    assertTrue(r.err().contains("steps[0].params.target: 1000 is not a class of the model (expected 0 to 999)"), r.err());
    assertTrue(r.err().contains("steps[0].params.max_iterations: 0 is out of range (expected at least 1 and at most 100000)"), r.err());
    assertTrue(r.err().contains("inputs[0]: input " + dir.resolve("nothing.png") + " does not exist"), r.err());
    assertTrue(Files.notExists(dir.resolve("never")));
  }
}
