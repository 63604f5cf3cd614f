package org.netvis.engine.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The declared providers answer what their constructors were given, and hand the method its parameters typed. */
class DeclaredProvidersTest {
  record Scale(double factor) {}

  record Other(int n) {}

  static final List<Scale> SEEN = new ArrayList<>();

  static final class ScaleProvider extends DeclaredAttributionProvider<Scale> {
    ScaleProvider() {
      super("scale", "scales the input", Scale.class, (context, p) -> {
        SEEN.add(p);
        return (inputs, targets) -> inputs;
      });
    }
  }

  static final class EchoTechnique implements Technique<Scale> {
    @Override
    public StepResult run(StepContext context, Scale parameters) {
      return StepResult.of(Map.of("factor", parameters.factor()));
    }
  }

  static final class EchoProvider extends DeclaredTechniqueProvider<Scale> {
    EchoProvider() {
      super("echo", "echoes its factor", Scale.class, EchoTechnique.class);
    }
  }

  @Test
  void answersWhatTheConstructorWasGiven() {
    AttributionProvider attribution = new ScaleProvider();
    assertEquals("scale", attribution.id());
    assertEquals("scales the input", attribution.description());
    assertEquals(Scale.class, attribution.parameters());
    TechniqueProvider technique = new EchoProvider();
    assertEquals("echo", technique.id());
    assertEquals("echoes its factor", technique.description());
    assertEquals(Scale.class, technique.parameters());
    assertEquals(EchoTechnique.class, technique.technique());
  }

  @Test
  void theFactoryGetsTheBoundParametersAndOtherRecordsAreRefused() {
    SEEN.clear();
    Scale bound = new Scale(2.5);
    new ScaleProvider().create(null, bound);
    assertEquals(1, SEEN.size());
    assertSame(bound, SEEN.get(0));
    assertThrows(ClassCastException.class, () -> new ScaleProvider().create(null, new Other(3)));
  }
}
