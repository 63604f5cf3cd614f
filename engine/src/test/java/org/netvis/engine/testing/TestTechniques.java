package org.netvis.engine.testing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.netvis.engine.spi.Param;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;

/** Techniques for the engine's own tests: one writes seeded noise and the model's scores, one throws. */
public final class TestTechniques {
  private TestTechniques() {}

  public record NoiseParameters(
      @Param(description = "noise values per image", defaultValue = "4", min = 1, max = 1000) int count,
      @Param(description = "a class index", defaultValue = "0", classId = true) int target,
      @Param(description = "noise scale", defaultValue = "1.0", min = 0, exclusiveMin = true) double scale,
      @Param(description = "free-form tags", defaultValue = "[]") List<String> tags) {}

  public static final class Noise implements Technique<NoiseParameters> {
    @Override
    public StepResult run(StepContext ctx, NoiseParameters p) throws Exception {
      Random random = new Random(ctx.seed());
      int n = ctx.inputs().size();
      Tensor noise = Tensor.zeros(n, p.count());
      for (int i = 0; i < noise.size(); i++) {
        noise.data()[i] = (float) (random.nextGaussian() * p.scale());
      }
      Npy.write(ctx.outputDir().resolve("noise.npy"), noise);
      Npy.write(ctx.outputDir().resolve("scores.npy"), ctx.engine().scores(ctx.inputs().images()));
      Map<String, Object> values = new LinkedHashMap<>();
      values.put("images", n);
      values.put("labels", ctx.inputs().labels());
      return StepResult.of(values);
    }
  }

  public static final class NoiseProvider implements TechniqueProvider {
    @Override
    public String id() {
      return "test-noise";
    }

    @Override
    public String description() {
      return "seeded noise and the model's scores";
    }

    @Override
    public Class<? extends Record> parameters() {
      return NoiseParameters.class;
    }

    @Override
    public Class<? extends Technique<?>> technique() {
      return Noise.class;
    }
  }

  public record FailParameters(@Param(description = "what to throw", defaultValue = "'boom'") String message) {}

  public static final class Fail implements Technique<FailParameters> {
    @Override
    public StepResult run(StepContext ctx, FailParameters p) {
      throw new IllegalStateException(p.message());
    }
  }

  public static final class FailProvider implements TechniqueProvider {
    @Override
    public String id() {
      return "test-fail";
    }

    @Override
    public String description() {
      return "always throws";
    }

    @Override
    public Class<? extends Record> parameters() {
      return FailParameters.class;
    }

    @Override
    public Class<? extends Technique<?>> technique() {
      return Fail.class;
    }
  }

  /** Makes its own result from nothing, like class visualization: needs no input images. */
  public static final class SelfContained implements Technique<FailParameters> {
    @Override
    public StepResult run(StepContext ctx, FailParameters p) {
      return StepResult.of(Map.of("images_seen", ctx.inputs().size(), "seed", ctx.seed()));
    }
  }

  public static final class SelfContainedProvider implements TechniqueProvider {
    @Override
    public String id() {
      return "test-self-contained";
    }

    @Override
    public String description() {
      return "needs no input images";
    }

    @Override
    public Class<? extends Record> parameters() {
      return FailParameters.class;
    }

    @Override
    public Class<? extends Technique<?>> technique() {
      return SelfContained.class;
    }

    @Override
    public boolean needsInputs() {
      return false;
    }
  }

  public record WriteParameters(@Param(description = "bytes to write", defaultValue = "1024", min = 0, max = 1e9) long bytes) {}

  /** Writes a file of the given size: fills a small disk on purpose. */
  public static final class Write implements Technique<WriteParameters> {
    @Override
    public StepResult run(StepContext ctx, WriteParameters p) throws Exception {
      try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(ctx.outputDir().resolve("payload.bin"))) {
        byte[] block = new byte[64 * 1024];
        for (long written = 0; written < p.bytes(); written += block.length) {
          out.write(block, 0, (int) Math.min(block.length, p.bytes() - written));
        }
      }
      return StepResult.of(Map.of("bytes", p.bytes()));
    }
  }

  public static final class WriteProvider implements TechniqueProvider {
    @Override
    public String id() {
      return "test-write";
    }

    @Override
    public String description() {
      return "writes a file of a given size";
    }

    @Override
    public Class<? extends Record> parameters() {
      return WriteParameters.class;
    }

    @Override
    public Class<? extends Technique<?>> technique() {
      return Write.class;
    }
  }

  /** A technique whose constructor throws. */
  public static final class Broken implements Technique<FailParameters> {
    public Broken() {
      throw new IllegalStateException("cannot open its lookup table");
    }

    @Override
    public StepResult run(StepContext ctx, FailParameters p) {
      return StepResult.of(Map.of());
    }
  }

  public static final class BrokenProvider implements TechniqueProvider {
    @Override
    public String id() {
      return "test-broken";
    }

    @Override
    public String description() {
      return "cannot be constructed";
    }

    @Override
    public Class<? extends Record> parameters() {
      return FailParameters.class;
    }

    @Override
    public Class<? extends Technique<?>> technique() {
      return Broken.class;
    }
  }
}
