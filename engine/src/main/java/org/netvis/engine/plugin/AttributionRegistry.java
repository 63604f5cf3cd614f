package org.netvis.engine.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.netvis.engine.experiment.ExperimentError;
import org.netvis.engine.experiment.ParameterBinder;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;
import org.netvis.engine.spi.Attributions;

/** The attribution methods discovered with the techniques, by id; parameters bound as in experiment files. */
public final class AttributionRegistry implements Attributions {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Map<String, PluginRegistry.AttributionPlugin> methods;

  AttributionRegistry(Map<String, PluginRegistry.AttributionPlugin> methods) {
    this.methods = methods;
  }

  @Override
  public List<String> ids() {
    return new ArrayList<>(methods.keySet());
  }

  @Override
  public Optional<AttributionProvider> find(String id) {
    return Optional.ofNullable(methods.get(id)).map(PluginRegistry.AttributionPlugin::provider);
  }

  public Collection<PluginRegistry.AttributionPlugin> all() {
    return methods.values();
  }

  @Override
  public Attribution create(String id, Map<String, Object> parameters, AttributionContext context, String keyPath) {
    AttributionProvider provider = find(id).orElseThrow(() -> unknownMethod(keyPath, id));
    List<ExperimentError> errors = new ArrayList<>();
    JsonNode node = JSON.valueToTree(parameters == null ? Map.of() : parameters);
    Record bound = ParameterBinder.bind(provider.parameters(), node, keyPath, context.engine().classes(), errors);
    if (bound == null) {
      throw new IllegalArgumentException(String.join("; ", errors.stream().map(ExperimentError::toString).toList()));
    }
    return provider.create(context, bound);
  }
}
