// node k8s/src/write-topics.ts — rewrites k8s/base/data/topics.yaml from
// schemas/topics.json (ADR 023: that file is the one topic definition).
import { readFileSync, writeFileSync } from "node:fs";
import { k8sDir, topicsJson } from "./paths.ts";
import { parseTopicList, renderKafkaTopics } from "./topics.ts";

const declared = parseTopicList(JSON.parse(readFileSync(topicsJson, "utf8")));
writeFileSync(`${k8sDir}base/data/topics.yaml`, renderKafkaTopics(declared));
console.log(`wrote ${declared.length} KafkaTopics to k8s/base/data/topics.yaml`);
