// node k8s/src/cli.ts — renders and checks the whole deployment, prints every
// violation, exits 1 if there is any. What CI's k8s tests assert, for humans.
import { checkDeployment } from "./check.ts";
import { argocdDir, overlayDir, regions, schemaDir, topicsJson } from "./paths.ts";

const report = checkDeployment({
  schemaDir,
  regions: regions.map((region) => ({ region, dir: overlayDir(region) })),
  argocdDir,
  topicsJson,
});
for (const v of report.violations) console.log(`${v.policy}\t${v.object}\t${v.message}`);
const objects = report.regions.reduce((n, r) => n + r.objects.length, 0);
console.log(
  `${objects} objects in ${report.regions.length} regions, ${report.applications.length} Applications: ${report.violations.length} violations`,
);
process.exitCode = report.violations.length === 0 ? 0 : 1;
