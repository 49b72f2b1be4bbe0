// npm run topics:provision — creates the topics of schemas/topics.json on
// KAFKA_BROKERS (existing topics are left as they are).

import { ConfigError, createKafka, kafkaConfig, requireConfig } from "@fxcore/infra";
import { provisionTopics, TopicsFileError } from "./topics.ts";

try {
  const { KAFKA_BROKERS } = requireConfig(kafkaConfig);
  const kafka = createKafka({ brokers: KAFKA_BROKERS, clientId: "fxcore-topics" });
  const result = await provisionTopics(kafka);
  console.log(
    `created: ${result.created.join(", ") || "none"}; already there: ${result.existing.join(", ") || "none"}`,
  );
} catch (e) {
  if (!(e instanceof ConfigError || e instanceof TopicsFileError)) throw e;
  console.error(e.message);
  process.exitCode = 1;
}
