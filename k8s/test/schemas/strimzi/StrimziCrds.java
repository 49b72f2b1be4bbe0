// Writes CRD documents (as JSON, which is YAML) for the Strimzi kinds fxcore
// uses, derived from Strimzi's published API classes (io.strimzi:api on Maven
// Central): Strimzi's own CRD files are not on any registry we can reach.
//
// The schema is what Jackson, which Strimzi's own CRD generator is built on,
// sees in those classes: every bean property with its type, required
// properties, enum values as serialised, and the polymorphic types (storage,
// authentication, logging, ...) as a oneOf over their subtypes keyed by the
// `type` discriminator, so their fields are checked too.
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.File;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

public class StrimziCrds {
  static final ObjectMapper mapper = new ObjectMapper();
  static Map<String, Object> definitions;

  public static void main(String[] args) throws Exception {
    Class<?>[] kinds = {
      io.strimzi.api.kafka.model.kafka.Kafka.class,
      io.strimzi.api.kafka.model.nodepool.KafkaNodePool.class,
      io.strimzi.api.kafka.model.topic.KafkaTopic.class,
      io.strimzi.api.kafka.model.mirrormaker2.KafkaMirrorMaker2.class,
      io.strimzi.api.kafka.model.user.KafkaUser.class,
    };
    for (Class<?> kind : kinds) {
      @SuppressWarnings("unchecked")
      Class<? extends HasMetadata> resource = (Class<? extends HasMetadata>) kind;
      String apiVersion = HasMetadata.getApiVersion(resource);
      String group = apiVersion.substring(0, apiVersion.indexOf('/'));
      String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
      String kindName = HasMetadata.getKind(resource);
      definitions = new TreeMap<>();
      Map<String, Object> root = bean(mapper.constructType(kind));
      root.put("definitions", definitions);
      Map<String, Object> crd = new LinkedHashMap<>();
      crd.put("apiVersion", "apiextensions.k8s.io/v1");
      crd.put("kind", "CustomResourceDefinition");
      crd.put("metadata", Map.of("name", HasMetadata.getPlural(resource) + "." + group));
      crd.put("spec", Map.of(
          "group", group,
          "names", Map.of("kind", kindName),
          "versions", List.of(Map.of(
              "name", version,
              "served", true,
              "schema", Map.of("openAPIV3Schema", root)))));
      mapper.writerWithDefaultPrettyPrinter()
          .writeValue(new File(args[0], kindName + ".yml"), crd);
    }
  }

  static Map<String, Object> of(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  static Object schema(JavaType t) {
    Class<?> c = t.getRawClass();
    if (c == String.class || c == char.class || c == Character.class) return of("type", "string");
    if (c == boolean.class || c == Boolean.class) return of("type", "boolean");
    if (c == int.class || c == Integer.class || c == long.class || c == Long.class
        || c == short.class || c == Short.class || c == java.math.BigInteger.class) return of("type", "integer");
    if (c == double.class || c == Double.class || c == float.class || c == Float.class
        || c == java.math.BigDecimal.class) return of("type", "number");
    if (c.getName().equals("io.fabric8.kubernetes.api.model.Quantity")) return of("type", List.of("string", "number"));
    if (c.getName().equals("io.fabric8.kubernetes.api.model.IntOrString")) return of("type", List.of("integer", "string"));
    if (c == Object.class || c.getName().startsWith("com.fasterxml.jackson.databind.JsonNode")) return of();
    if (c.isEnum()) {
      List<Object> values = new ArrayList<>();
      for (Object constant : c.getEnumConstants()) values.add(mapper.convertValue(constant, Object.class));
      return of("type", "string", "enum", values);
    }
    if (t.isMapLikeType()) return of("type", "object", "additionalProperties", schema(t.getContentType()));
    if (t.isCollectionLikeType() || t.isArrayType()) return of("type", "array", "items", schema(t.getContentType()));
    String name = c.getName();
    if (!definitions.containsKey(name)) {
      definitions.put(name, of()); // placeholder: recursive types refer to it
      JsonSubTypes subtypes = c.getAnnotation(JsonSubTypes.class);
      definitions.put(name, subtypes != null && (Modifier.isAbstract(c.getModifiers()) || c.isInterface())
          ? polymorphic(subtypes) : bean(t));
    }
    return of("$ref", "#/definitions/" + name);
  }

  static Map<String, Object> polymorphic(JsonSubTypes subtypes) {
    List<Object> branches = new ArrayList<>();
    for (JsonSubTypes.Type sub : subtypes.value()) {
      Map<String, Object> branch = bean(mapper.constructType(sub.value()));
      @SuppressWarnings("unchecked")
      Map<String, Object> props = (Map<String, Object>) branch.get("properties");
      props.put("type", of("type", "string", "enum", List.of(sub.name())));
      branches.add(branch);
    }
    return of("type", "object", "required", List.of("type"),
        "discriminator", of("propertyName", "type"), "oneOf", branches);
  }

  static Map<String, Object> bean(JavaType t) {
    BeanDescription d = mapper.getSerializationConfig().introspect(t);
    Map<String, Object> props = new TreeMap<>();
    List<String> required = new ArrayList<>();
    for (BeanPropertyDefinition p : d.findProperties()) {
      if (!p.couldSerialize()) continue;
      props.put(p.getName(), schema(p.getPrimaryType()));
      if (p.isRequired()) required.add(p.getName());
    }
    Map<String, Object> s = of("type", "object", "properties", props);
    if (!required.isEmpty()) s.put("required", required);
    return s;
  }
}
