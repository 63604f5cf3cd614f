package org.netvis.engine.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.netvis.engine.testing.TestTechniques;
import org.netvis.engine.testing.TinyExperiment;

class ExperimentLoaderTest {
  @TempDir Path dir;
  TinyExperiment tiny;
  ExperimentLoader loader;

  @BeforeEach
  void setUp() throws Exception {
    tiny = new TinyExperiment(dir);
    loader = new ExperimentLoader(TinyExperiment.plugins(), TinyExperiment.emptyModels(dir));
  }

  @Test
  void npyParametersResolveAgainstTheExperimentsDirectory() throws Exception {
    java.nio.file.Files.createDirectories(dir.resolve("exp/maps"));
    java.nio.file.Files.copy(tiny.inputs, dir.resolve("exp/maps/b.npy"));
    String steps = "  - technique: test-noise\n    params: {tags: [a, maps/b.npy, ../exp/maps/b.npy]}\n";
    Path good = tiny.write("exp/e.yaml", "name: files\nmodel: ../tiny.onnx\ninputs: [../inputs.npy]\nsteps:\n" + steps);
    @SuppressWarnings("unchecked")
    Map<String, Object> params = (Map<String, Object>) ((List<Map<String, Object>>) loader.load(good, List.of())
        .toResolvedMap().get("steps")).get(0).get("params");
    String b = dir.resolve("exp/maps/b.npy").toString();
    assertEquals(List.of("a", b, b), params.get("tags"), "resolved from exp/, not from the working directory");

    Path bad = tiny.write("exp/bad.yaml", "name: files\nmodel: ../tiny.onnx\ninputs: [../inputs.npy]\nsteps:\n"
        + "  - technique: test-noise\n    params: {tags: [maps/b.npy, maps/c.npy]}\n");
    ExperimentException e = assertThrows(ExperimentException.class, () -> loader.load(bad, List.of()));
    assertTrue(e.getMessage().contains("steps[0].params.tags[1]: file " + dir.resolve("exp/maps/c.npy")
        + " does not exist (expected an .npy array)"), e.getMessage());
  }

  @Test
  void jsonAndYamlGiveTheSameResolvedExperiment() throws Exception {
    Path yaml = tiny.write("e.yaml", """
        name: same
        model: tiny.onnx
        seed: 3
        inputs: [inputs.npy]
        steps:
          - technique: test-noise
            params: {count: 6, tags: [a, b]}
          - technique: test-noise
            images: [2, 0]
        """);
    Path json = tiny.write("e.json", """
        {"name": "same", "model": "tiny.onnx", "seed": 3, "inputs": ["inputs.npy"],
         "steps": [{"technique": "test-noise", "params": {"count": 6, "tags": ["a", "b"]}},
                   {"technique": "test-noise", "images": [2, 0]}]}
        """);
    Map<String, Object> a = loader.load(yaml, List.of()).toResolvedMap();
    Map<String, Object> b = loader.load(json, List.of()).toResolvedMap();
    assertEquals(a, b);
    // Every default is filled in.
    @SuppressWarnings("unchecked")
    Map<String, Object> params = (Map<String, Object>) ((List<Map<String, Object>>) a.get("steps")).get(1).get("params");
    assertEquals(Map.of("count", 4, "target", 0, "scale", 1.0, "tags", List.of()), params);
    assertEquals("auto", a.get("device"));
    assertEquals(List.of(dir.resolve("inputs.npy").toString()), a.get("inputs"));
  }

  @Test
  void stepsThatMakeTheirOwnImagesNeedNoInputs() throws Exception {
    Path ok = tiny.write("self.yaml", "name: self\nmodel: tiny.onnx\nsteps: [{technique: test-self-contained}]\n");
    Experiment e = loader.load(ok, List.of());
    assertEquals(List.of(), e.inputFiles());
    Path missing = tiny.write("mixed.yaml", "name: mixed\nmodel: tiny.onnx\n"
        + "steps: [{technique: test-self-contained}, {technique: test-noise}]\n");
    ExperimentException bad = assertThrows(ExperimentException.class, () -> loader.load(missing, List.of()));
    assertTrue(bad.getMessage().contains("inputs: required: a list of image files, directories, globs, .npy or .npz files,"
        + " or data set ids"), bad.getMessage());
  }

  @Test
  void aWordThatIsNeitherAFileNorADataSetIdIsNamed() throws Exception {
    Path f = tiny.write("e.yaml", "name: e\nmodel: tiny.onnx\ninputs: [imagenet_val_2500]\nsteps: [{technique: test-noise}]\n");
    ExperimentException bad = assertThrows(ExperimentException.class, () -> loader.load(f, List.of()));
    assertTrue(bad.getMessage().contains("inputs[0]: 'imagenet_val_2500' is neither a file nor a known data set id"),
        bad.getMessage());
  }

  @Test
  void theParametersAreBoundToTheRecord() throws Exception {
    Experiment e = loader.load(tiny.yaml("e.yaml", "  - technique: test-noise\n    params: {count: 9, scale: 2.5}\n"), List.of());
    TestTechniques.NoiseParameters p = (TestTechniques.NoiseParameters) e.steps().get(0).parameters();
    assertEquals(new TestTechniques.NoiseParameters(9, 0, 2.5, List.of()), p);
    assertNull(e.steps().get(0).images());
  }

  @Test
  void setOverridesAValueBeforeValidation() throws Exception {
    Path f = tiny.yaml("e.yaml", "  - technique: test-noise\n    params: {count: 9}\n  - technique: test-noise\n");
    Experiment e = loader.load(f, List.of("steps[1].params.count=7", "seed=11", "steps[0].params.tags=[x]"));
    assertEquals(7, ((TestTechniques.NoiseParameters) e.steps().get(1).parameters()).count());
    assertEquals(List.of("x"), ((TestTechniques.NoiseParameters) e.steps().get(0).parameters()).tags());
    assertEquals(11, e.seed());
    ExperimentException bad = assertThrows(ExperimentException.class, () -> loader.load(f, List.of("steps[5].params.count=1")));
    assertTrue(bad.getMessage().contains("--set steps[5].params.count: steps[5] does not exist"), bad.getMessage());
  }

  @Test
  void aNameWithPathSeparatorsIsSanitized() throws Exception {
    Path f = tiny.write("e.yaml", "name: ../../etc/evil run\nmodel: tiny.onnx\ninputs: [inputs.npy]\nsteps: [{technique: test-noise}]\n");
    assertEquals("____etc_evil_run", loader.load(f, List.of()).name());
  }

  static Stream<Arguments> malformed() {
    String head = "name: bad\nmodel: tiny.onnx\ninputs: [inputs.npy]\n";
    String step = "steps:\n  - technique: test-noise\n    params: ";
    return Stream.of(
        Arguments.of("unknown top-level key", head + "modle: x\nsteps: [{technique: test-noise}]\n",
            "modle: unknown key (did you mean 'model'?); expected one of [description, device, fail_on_bad_input, inputs, labels, max_pixels, model, name,"
                + " seed, steps, threads]"),
        Arguments.of("not a boolean", head + "fail_on_bad_input: 3\nsteps: [{technique: test-noise}]\n",
            "fail_on_bad_input: expected true or false, got 3"),
        Arguments.of("wrong type", head + "seed: zero\nsteps: [{technique: test-noise}]\n",
            "seed: expected an integer, got 'zero'"),
        Arguments.of("class id out of range", head + step + "{target: 5}\n",
            "steps[0].params.target: 5 is not a class of the model (expected 0 to 4)"),
        Arguments.of("non-positive count", head + step + "{count: 0}\n",
            "steps[0].params.count: 0 is out of range (expected at least 1 and at most 1000)"),
        Arguments.of("absurd count", head + step + "{count: 1000000000}\n",
            "steps[0].params.count: 1000000000 is out of range (expected at least 1 and at most 1000)"),
        Arguments.of("NaN", head + step + "{scale: NaN}\n", "steps[0].params.scale: 'NaN' is not a finite number"),
        Arguments.of("YAML .nan", head + step + "{scale: .nan}\n", "syntax error at line 6, column 25: Malformed numeric value '.nan'"),
        Arguments.of("negative scale", head + step + "{scale: -1}\n",
            "steps[0].params.scale: -1 is out of range (expected greater than 0)"),
        Arguments.of("missing input file", "name: bad\nmodel: tiny.onnx\ninputs: [nowhere.png]\nsteps: [{technique: test-noise}]\n",
            "inputs[0]: input {dir}/nowhere.png does not exist"),
        Arguments.of("empty directory", "name: bad\nmodel: tiny.onnx\ninputs: [empty]\nsteps: [{technique: test-noise}]\n",
            "inputs[0]: input directory {dir}/empty holds no .png, .jpg, .jpeg, .npy or .npz file"),
        Arguments.of("glob matching nothing", "name: bad\nmodel: tiny.onnx\ninputs: ['*.jpeg']\nsteps: [{technique: test-noise}]\n",
            "inputs[0]: input glob '*.jpeg' matches no file under {dir}"),
        Arguments.of("unknown technique", head + "steps: [{technique: nope}]\n",
            "steps[0].technique: unknown technique 'nope'; expected one of [test-noise, test-fail, test-write, test-broken, test-self-contained]"),
        Arguments.of("unknown parameter", head + step + "{colour: red}\n",
            "steps[0].params.colour: unknown parameter; expected one of [count, target, scale, tags]"),
        Arguments.of("a technique one slip away", head + "steps: [{technique: test_nosie}]\n",
            "steps[0].technique: unknown technique 'test_nosie' (did you mean 'test-noise'?); expected one of"
                + " [test-noise, test-fail, test-write, test-broken, test-self-contained]"),
        Arguments.of("a parameter one slip away", head + step + "{scael: 2}\n",
            "steps[0].params.scael: unknown parameter (did you mean 'scale'?); expected one of [count, target, scale, tags]"),
        Arguments.of("a step key one slip away", head + "steps: [{technique: test-noise, param: {count: 2}}]\n",
            "steps[0].param: unknown key (did you mean 'params'?); expected technique, params and images"),
        Arguments.of("list of the wrong type", head + step + "{tags: 3}\n", "steps[0].params.tags: expected a list, got 3"),
        Arguments.of("YAML syntax error", "name: bad\nmodel: [unclosed\nsteps: x\n", "syntax error at line 3, column 6: while parsing a flow sequence"),
        Arguments.of("missing steps", head, "steps: required: a list of {technique: ID, params: {...}}"),
        Arguments.of("bad device", head + "device: gpu\nsteps: [{technique: test-noise}]\n",
            "device: 'gpu' is not one of auto, cpu, cuda"),
        Arguments.of("label out of range", head + "labels: [9]\nsteps: [{technique: test-noise}]\n",
            "labels[0]: 9 is not a class of the model (expected 0 to 4)"),
        Arguments.of("model file missing", "name: bad\nmodel: missing.onnx\ninputs: [inputs.npy]\nsteps: [{technique: test-noise}]\n",
            "model: file {dir}/missing.onnx does not exist"),
        Arguments.of("image index that is not a number", head + "steps: [{technique: test-noise, images: [first]}]\n",
            "steps[0].images[0]: expected an image index (0, 1, ...), got 'first'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedExperimentsNameFileKeyValueAndExpectation(String what, String text, String expected) throws Exception {
    java.nio.file.Files.createDirectories(dir.resolve("empty"));
    Path f = tiny.write("bad.yaml", text);
    ExperimentException e = assertThrows(ExperimentException.class, () -> loader.load(f, List.of()));
    String want = expected.replace("{dir}", dir.toString());
    assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(want), what + ": expected «" + want + "» in «" + e.getMessage() + "»");
  }

  @Test
  void jsonSyntaxErrorsGiveLineAndColumn() throws Exception {
    Path f = tiny.write("bad.json", "{\n  \"name\": \"x\",\n  \"model\": tiny\n}\n");
    ExperimentException e = assertThrows(ExperimentException.class, () -> loader.load(f, List.of()));
    assertTrue(e.getMessage().startsWith(f + ": syntax error at line 3, column "), e.getMessage());
  }

  @Test
  void allProblemsAreReportedAtOnce() throws Exception {
    Path f = tiny.write("bad.yaml", "name: bad\nmodel: tiny.onnx\ninputs: [inputs.npy]\nseed: x\n"
        + "steps:\n  - technique: test-noise\n    params: {count: -2, target: 99}\n");
    ExperimentException e = assertThrows(ExperimentException.class, () -> loader.load(f, List.of()));
    assertEquals(3, e.errors().size(), e.getMessage());
    assertTrue(e.getMessage().startsWith(f + ": 3 problems:"), e.getMessage());
  }
}
