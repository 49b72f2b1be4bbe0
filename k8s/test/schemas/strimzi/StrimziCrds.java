// Writes CRD YAMLs for the Strimzi kinds fxcore uses, generated from Strimzi's
// published API classes. Strimzi's own CRD files are not on any registry we
// can reach; its API jar is (Maven Central), so we derive them from it.
import io.fabric8.crdv2.generator.CRDGenerator;
import java.io.File;

public class StrimziCrds {
  public static void main(String[] args) {
    new CRDGenerator()
        .customResourceClasses(
            io.strimzi.api.kafka.model.kafka.Kafka.class,
            io.strimzi.api.kafka.model.nodepool.KafkaNodePool.class,
            io.strimzi.api.kafka.model.topic.KafkaTopic.class,
            io.strimzi.api.kafka.model.mirrormaker2.KafkaMirrorMaker2.class,
            io.strimzi.api.kafka.model.user.KafkaUser.class)
        .inOutputDir(new File(args[0]))
        .forCRDVersions("v1")
        .generate();
  }
}
