package org.netvis.engine.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.spi.Technique;

/** Discovery from the classpath and from plugin jars compiled and packed by the test itself. */
class PluginRegistryTest {
  @TempDir Path dir;

  /** Compiles a provider + technique + parameter record in package {@code pkg} and packs it as a jar. */
  private Path buildPluginJar(String jarName, String pkg, String id) throws Exception {
    Path src = Files.createDirectories(dir.resolve("src-" + jarName).resolve(pkg));
    Files.writeString(src.resolve("EchoParameters.java"), """
        package %s;
        import org.netvis.engine.spi.Param;
        public record EchoParameters(@Param(description = "what to echo", defaultValue = "'hello'") String text) {}
        """.formatted(pkg));
    Files.writeString(src.resolve("Echo.java"), """
        package %s;
        import org.netvis.engine.spi.*;
        public final class Echo implements Technique<EchoParameters> {
          @com.google.inject.Inject @com.google.inject.name.Named("greeting") String greeting;
          public StepResult run(StepContext ctx, EchoParameters p) {
            return StepResult.of(java.util.Map.of("echo", greeting + " " + p.text()));
          }
          public String greeting() { return greeting; }
        }
        """.formatted(pkg));
    Files.writeString(src.resolve("EchoProvider.java"), """
        package %s;
        import org.netvis.engine.spi.*;
        public final class EchoProvider implements TechniqueProvider {
          public String id() { return "%s"; }
          public String description() { return "echoes its parameter"; }
          public Class<? extends Record> parameters() { return EchoParameters.class; }
          public Class<? extends Technique<?>> technique() { return Echo.class; }
          public com.google.inject.Module module() {
            return b -> b.bindConstant().annotatedWith(com.google.inject.name.Names.named("greeting")).to("hi from %s");
          }
        }
        """.formatted(pkg, id, jarName));
    Path classes = Files.createDirectories(dir.resolve("classes-" + jarName));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    List<String> files;
    try (Stream<Path> s = Files.list(src)) {
      files = s.map(Path::toString).toList();
    }
    List<String> args = new java.util.ArrayList<>(List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path")));
    args.addAll(files);
    assertEquals(0, javac.run(null, null, null, args.toArray(String[]::new)), "the plugin compiles");
    Path jar = Files.createDirectories(dir.resolve("plugins-" + jarName)).resolve(jarName);
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> s = Files.walk(classes)) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        out.putNextEntry(new JarEntry(classes.relativize(f).toString()));
        out.write(Files.readAllBytes(f));
      }
      out.putNextEntry(new JarEntry("META-INF/services/org.netvis.engine.spi.TechniqueProvider"));
      out.write((pkg + ".EchoProvider\n").getBytes());
    }
    return jar;
  }

  @Test
  void classpathProvidersAreFound() {
    PluginRegistry r = PluginRegistry.discover(List.of());
    assertTrue(r.ids().containsAll(List.of("test-noise", "test-fail")), r.ids().toString());
    assertTrue(r.find("test-noise").orElseThrow().source().contains("test-classes"));
  }

  @Test
  void anExternalJarIsLoadedInItsOwnClassLoaderAndWiredByGuice() throws Exception {
    Path jar = buildPluginJar("echo.jar", "com.example.echo", "echo");
    PluginRegistry r = PluginRegistry.discover(List.of(jar.getParent()));
    PluginRegistry.Plugin p = r.find("echo").orElseThrow();
    assertEquals(jar.toAbsolutePath().toString(), p.source());
    assertNotSame(PluginRegistryTest.class.getClassLoader(), p.provider().getClass().getClassLoader());
    Technique<Record> t = r.instantiate("echo");
    assertEquals("hi from echo.jar", t.getClass().getMethod("greeting").invoke(t));
    assertTrue(r.ids().contains("test-noise"), "classpath techniques are still there");
  }

  @Test
  void twoPluginsWithTheSameIdAreRefusedWithBothJarNames() throws Exception {
    Path a = buildPluginJar("alpha.jar", "com.example.alpha", "echo");
    Path b = buildPluginJar("beta.jar", "com.example.beta", "echo");
    Files.move(b, a.resolveSibling("beta.jar"));
    PluginException e = assertThrows(PluginException.class, () -> PluginRegistry.discover(List.of(a.getParent())));
    assertTrue(e.getMessage().contains("technique id 'echo' is provided twice"), e.getMessage());
    assertTrue(e.getMessage().contains("alpha.jar") && e.getMessage().contains("beta.jar"), e.getMessage());
  }

  @Test
  void aPluginIdCollidingWithTheClasspathIsRefused() throws Exception {
    Path jar = buildPluginJar("clash.jar", "com.example.clash", "test-noise");
    PluginException e = assertThrows(PluginException.class, () -> PluginRegistry.discover(List.of(jar.getParent())));
    assertTrue(e.getMessage().contains("test-noise") && e.getMessage().contains("clash.jar"), e.getMessage());
  }

  @Test
  void aMissingPluginsDirectoryIsNamed() {
    PluginException e = assertThrows(PluginException.class, () -> PluginRegistry.discover(List.of(dir.resolve("nope"))));
    assertEquals("plugins directory " + dir.resolve("nope") + " does not exist", e.getMessage());
  }
}
