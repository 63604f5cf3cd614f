package org.netvis.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.experiment.ExperimentLoader;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.run.ExperimentRunner;
import org.netvis.engine.run.RunLog;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.testing.ExternalDataFiles;
import org.netvis.engine.testing.SharedData;

/**
 * Spark in local mode on the assignment's 25 images: the same per-image results as `netvis run`,
 * local[1] and local[2] identical, a task that fails once retried without losing or doubling
 * output, and an unreadable image as an error row.
 */
class DatasetJobTest {
  @TempDir static Path dir;
  static Path experiment;
  static final String STEPS = "steps:\n"
      + "  - technique: saliency\n"
      + "  - technique: integrated-gradients\n    params: {steps: 8}\n"
      + "  - technique: deletion-insertion\n    params: {methods: [saliency], pixels_per_step: 12544}\n"
      + "  - technique: robustness-curve\n"
      // Random per image: equal only if seeds follow the data-set index, not the partition.
      + "  - technique: noise-tunnel\n    params: {samples: 2}\n";

  @BeforeAll
  static void write() throws Exception {
    experiment = dir.resolve("dataset.yaml");
    Files.writeString(experiment, "name: dataset\nmodel: squeezenet1_1\nseed: 3\ninputs: ["
        + SharedData.root().resolve("datasets/imagenet_val_25.npz") + "]\n" + STEPS);
  }

  static DatasetJob.Options options(String master, int partitions, int failOnce) {
    return new DatasetJob.Options(master, partitions, 8, false, failOnce);
  }

  /** Per step, per image index: the figures in the step's Parquet table. */
  static Map<String, Map<Integer, Map<String, Double>>> tables(Path run) {
    Map<String, Map<Integer, Map<String, Double>>> out = new TreeMap<>();
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      for (String step : List.of("0-saliency", "1-integrated-gradients", "2-deletion-insertion", "3-robustness-curve",
          "4-noise-tunnel")) {
        Map<Integer, Map<String, Double>> rows = new TreeMap<>();
        for (Row r : spark.read().parquet(run.resolve(step).resolve("results.parquet").toString()).collectAsList()) {
          Map<String, Double> figures = new TreeMap<>(scala.jdk.javaapi.CollectionConverters.asJava(
              r.<scala.collection.Map<String, Double>>getAs("figures")));
          figures.put("prediction", (double) r.<Long>getAs("prediction"));
          figures.put("label", (double) r.<Long>getAs("label"));
          assertNull(rows.put(r.<Integer>getAs("index"), figures), step + ": image twice");
        }
        out.put(step, rows);
      }
    } finally {
      spark.stop();
    }
    return out;
  }

  @Test
  void localOneAndTwoGiveIdenticalTablesAndTheSameNumbersAsNetvisRun() throws Exception {
    DatasetJob.run(experiment, List.of(), dir.resolve("one"), options("local[1]", 3, -1));
    DatasetJob.run(experiment, List.of(), dir.resolve("two"), options("local[2]", 4, -1));
    var one = tables(dir.resolve("one"));
    var two = tables(dir.resolve("two"));
    for (var e : one.entrySet()) {
      assertEquals(25, e.getValue().size(), e.getKey());
    }
    assertEquals(one, two, "local[1] and local[2] tables differ");

    PluginRegistry plugins = PluginRegistry.discover(List.of());
    ModelRegistry models = ModelRegistry.fromEnvironment(false);
    var e = new ExperimentLoader(plugins, models).load(experiment, List.of());
    var outcome = new ExperimentRunner(plugins, models, RunLog.NONE, false, EngineOptions.defaults()).run(e,
        dir.resolve("local"));
    assertTrue(outcome.succeeded(), outcome.reason());
    ObjectMapper json = new ObjectMapper();
    double worst = 0;
    int compared = 0;
    for (String step : one.keySet()) {
      @SuppressWarnings("unchecked")
      Map<String, Object> values = json.readValue(dir.resolve("local").resolve(step).resolve("results.json").toFile(),
          Map.class);
      for (int i = 0; i < 25; i++) {
        Map<String, Double> local = PerImageResults.figures(PerImageResults.share(values, 25, i));
        Map<String, Double> spark = one.get(step).get(i);
        for (var f : local.entrySet()) {
          Double s = spark.get(f.getKey());
          assertNotNull(s, step + " image " + i + ": " + f.getKey() + " missing from the Spark table");
          double err = Math.abs(s - f.getValue()) / Math.max(1e-6, Math.abs(f.getValue()));
          worst = Math.max(worst, err);
          compared++;
        }
      }
    }
    System.out.printf("%d per-image figures against netvis run: largest relative difference %.2e%n", compared, worst);
    assertTrue(compared > 25 * 5, "compared " + compared);
    // The robustness curve over the whole set, from the per-image rows, is the local run's curve.
    var curve = json.readTree(dir.resolve("local/3-robustness-curve/results.json").toFile()).get("curve");
    for (int k = 0; k < curve.size(); k++) {
      double correct = 0;
      for (var row : one.get("3-robustness-curve").values()) {
        correct += row.get("correct." + k);
      }
      assertEquals(curve.get(k).get("accuracy").asDouble(), correct / 25, 1e-12, "accuracy at epsilon " + k);
    }
    assertTrue(worst <= 1e-5, "largest relative difference " + worst);
    try (Stream<Path> s = Files.list(dir.resolve("two/0-saliency/arrays"))) {
      assertEquals(25, s.count());
    }
    assertTrue(Files.isRegularFile(dir.resolve("two/report.html")));
    var manifest = json.readTree(dir.resolve("two/manifest.json").toFile());
    assertEquals("local[2,4]", manifest.at("/spark/master").asText());
    assertEquals(4, manifest.at("/spark/partitions").asInt());
    assertEquals(e.seed(), manifest.at("/seeds/experiment").asLong());
  }

  /**
   * A model in a writable directory, its weights in an external data file: the driver writes the
   * gradient graph beside the model, not under the run's _graph/, and executors still find the
   * shipped copy (they looked for it at ../../ of their files before).
   */
  @Test
  void aModelBesideItsOwnGradientGraphWithExternalWeightsRunsOnExecutors() throws Exception {
    Path models = dir.resolve("own-model");
    Files.createDirectories(models);
    var proto = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(SharedData.squeezenet()));
    Files.write(models.resolve("squeezenet.onnx"),
        ExternalDataFiles.externalize(proto, models, "squeezenet.onnx.data").toByteArray());
    Path own = dir.resolve("own.yaml");
    Files.writeString(own, "name: own\nmodel: " + models.resolve("squeezenet.onnx") + "\nseed: 3\ninputs: ["
        + SharedData.root().resolve("datasets/imagenet_val_25.npz") + "]\nsteps:\n  - technique: saliency\n");
    DatasetJob.run(own, List.of(), dir.resolve("own-run"), options("local[2]", 2, -1));
    assertTrue(Files.isRegularFile(models.resolve("squeezenet.vjp.onnx")), "the graph was meant to sit beside the model");
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      List<Row> rows = spark.read().parquet(dir.resolve("own-run/0-saliency/results.parquet").toString()).collectAsList();
      assertEquals(25, rows.size());
      assertTrue(rows.stream().allMatch(r -> r.getAs("error") == null), rows.toString());
    } finally {
      spark.stop();
    }
    var manifest = new ObjectMapper().readTree(dir.resolve("own-run/manifest.json").toFile());
    assertEquals(org.netvis.engine.model.Sha256.of(models.resolve("squeezenet.onnx.data")),
        manifest.at("/model/external_data/squeezenet.onnx.data").asText(), manifest.get("model").toString());
    // The model record the run manifest holds: its layout and what netvis read into the file.
    assertEquals("NCHW", manifest.at("/model/input_layout").asText());
    assertTrue(manifest.at("/model/weights").asText().contains("read from squeezenet.onnx.data beside the model file"),
        manifest.get("model").toString());
    assertEquals("as written", manifest.at("/runtime/forward_pass").asText());
  }

  @Test
  void aTaskThatFailsOnceIsRetriedWithCompleteUniqueOutput() throws Exception {
    DatasetJob.run(experiment, List.of(), dir.resolve("retried"), options("local[2]", 4, 1));
    var tables = tables(dir.resolve("retried"));
    for (var e : tables.entrySet()) {
      assertEquals(25, e.getValue().size(), e.getKey());
    }
    try (Stream<Path> s = Files.list(dir.resolve("retried/0-saliency/arrays"))) {
      assertEquals(25, s.count());
    }
    assertFalse(Files.exists(dir.resolve("retried/_attempts")), "attempt directories left behind");
  }

  @Test
  void anUnreadableImageBecomesAnErrorRowAndOtherTechniquesAreRefusedByName() throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    Files.copy(SharedData.root().resolve("images/00_hay.png"), images.resolve("a.png"));
    Files.copy(SharedData.root().resolve("images/01_quail.png"), images.resolve("c.png"));
    Files.writeString(images.resolve("b.png"), "not a PNG");
    Path f = dir.resolve("folder.yaml");
    Files.writeString(f, "name: folder\nmodel: squeezenet1_1\ninputs: [" + images + "/*.png]\nsteps:\n"
        + "  - technique: saliency\n");
    DatasetJob.Outcome o = DatasetJob.run(f, List.of(), dir.resolve("folder"), options("local[2]", 2, -1));
    assertEquals(3, o.images());
    assertEquals(1, o.errors());
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    Map<String, String> errors = new HashMap<>();
    try {
      for (Row r : spark.read().parquet(dir.resolve("folder/0-saliency/results.parquet").toString()).collectAsList()) {
        errors.put(r.getAs("id"), r.getAs("error"));
      }
    } finally {
      spark.stop();
    }
    assertEquals(3, errors.size());
    assertNull(errors.get("a.png"));
    assertNull(errors.get("c.png"));
    assertNotNull(errors.get("b.png"), errors.toString());

    var failing = new DatasetJob.Options("local[2]", 2, 8, true, -1);
    assertThrows(Exception.class, () -> DatasetJob.run(f, List.of(), dir.resolve("strict"), failing));
    // The same from the experiment file's own key.
    assertThrows(Exception.class, () -> DatasetJob.run(f, List.of("fail_on_bad_input=true"), dir.resolve("strict-key"),
        options("local[2]", 2, -1)));

    Path cv = dir.resolve("cv.yaml");
    Files.writeString(cv, "name: cv\nmodel: squeezenet1_1\ninputs: [" + images + "/a.png]\nsteps:\n"
        + "  - technique: saliency\n  - {technique: class-visualization, params: {targets: [1]}}\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DatasetJob.run(cv, List.of(), dir.resolve("cv"), options("local[1]", 1, -1)));
    assertTrue(e.getMessage().contains("steps[1]: 'class-visualization' is not a per-image technique"), e.getMessage());

    // A parameter that needs the model fails on the driver, before any partition runs.
    Path gc = dir.resolve("gc.yaml");
    Files.writeString(gc, "name: gc\nmodel: squeezenet1_1\ninputs: [" + images + "/a.png]\nsteps:\n"
        + "  - {technique: grad-cam, params: {layer: nowhere}}\n");
    org.netvis.engine.experiment.ExperimentException layer = assertThrows(
        org.netvis.engine.experiment.ExperimentException.class,
        () -> DatasetJob.run(gc, List.of(), dir.resolve("gc"), options("local[1]", 1, -1)));
    assertTrue(layer.getMessage().contains("steps[0].params: layer: 'nowhere' is not a tensor of squeezenet1_1; nearest names: "),
        layer.getMessage());
  }

  @Test
  void aParquetTableOfImageBytesAndAnImageNetFolderTreeGiveTheSameNumbersAsTheFiles() throws Exception {
    List<String> photos = List.of("00_hay.png", "01_quail.png", "02_tibetan_mastiff.png");
    Path tree = dir.resolve("tree");
    Path mapping = dir.resolve("classes.txt");
    Files.writeString(mapping, "n00000001 first class\nn00000002 second class\nn00000003 third class\n");
    List<Row> table = new java.util.ArrayList<>();
    for (int k = 0; k < photos.size(); k++) {
      Path photo = SharedData.root().resolve("images").resolve(photos.get(k));
      Path target = Files.createDirectories(tree.resolve(String.format("n%08d", k + 1))).resolve(photos.get(k));
      Files.copy(photo, target);
      table.add(org.apache.spark.sql.RowFactory.create(photos.get(k), Files.readAllBytes(photo), (long) k));
    }
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      spark.createDataFrame(table, new org.apache.spark.sql.types.StructType()
          .add("id", org.apache.spark.sql.types.DataTypes.StringType)
          .add("image", org.apache.spark.sql.types.DataTypes.BinaryType)
          .add("label", org.apache.spark.sql.types.DataTypes.LongType))
          .coalesce(1).write().parquet(dir.resolve("photos.parquet").toString());
    } finally {
      spark.stop();
    }
    Path f = dir.resolve("tree.yaml");
    Files.writeString(f, "name: tree\nmodel: squeezenet1_1\ninputs: [" + tree + "/*/*.png]\nsteps:\n"
        + "  - technique: saliency\n  - technique: input-x-gradient\n");
    DatasetJob.run(f, List.of(), dir.resolve("from-files"), new DatasetJob.Options("local[2]", 2, 8, false, -1, null,
        mapping));
    DatasetJob.run(f, List.of(), dir.resolve("from-table"), new DatasetJob.Options("local[2]", 2, 8, false, -1,
        dir.resolve("photos.parquet"), null));
    Map<String, Map<String, Object>> files = rowsById(dir.resolve("from-files/1-input-x-gradient/results.parquet"));
    Map<String, Map<String, Object>> rows = rowsById(dir.resolve("from-table/1-input-x-gradient/results.parquet"));
    assertEquals(files.keySet(), rows.keySet());
    for (int k = 0; k < photos.size(); k++) {
      assertEquals((long) k, files.get(photos.get(k)).get("label"), "label from the folder");
      assertEquals((long) k, rows.get(photos.get(k)).get("label"), "label from the table");
      assertFalse(((Map<?, ?>) rows.get(photos.get(k)).get("figures")).isEmpty(), "no figures for " + photos.get(k));
      assertEquals(files.get(photos.get(k)).get("figures"), rows.get(photos.get(k)).get("figures"), photos.get(k));
    }
  }

  static Map<String, Map<String, Object>> rowsById(Path parquet) {
    Map<String, Map<String, Object>> out = new TreeMap<>();
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      for (Row r : spark.read().parquet(parquet.toString()).collectAsList()) {
        Map<String, Object> m = new HashMap<>();
        m.put("label", r.<Long>getAs("label"));
        m.put("figures", new TreeMap<>(scala.jdk.javaapi.CollectionConverters.asJava(
            r.<scala.collection.Map<String, Double>>getAs("figures"))));
        out.put(r.getAs("id"), m);
      }
    } finally {
      spark.stop();
    }
    return out;
  }
}
