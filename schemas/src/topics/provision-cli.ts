// npm run topics:provision — creates the topics of schemas/topics.json on
// KAFKA_BROKERS (existing topics are left as they are).

import { createKafka, kafkaConfig, requireConfig } from "@fxcore/infra";
import { provisionTopics } from "./topics.ts";

const { KAFKA_BROKERS } = requireConfig(kafkaConfig);
const result = await provisionTopics(
  createKafka({ brokers: KAFKA_BROKERS, clientId: "fxcore-topics" }),
);
console.log(
  `created: ${result.created.join(", ") || "none"}; already there: ${result.existing.join(", ") || "none"}`,
);
