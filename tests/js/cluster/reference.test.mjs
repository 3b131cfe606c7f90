// (d) The reference for every expectation: a 2-node nats-server cluster
// ($NATS_REF_SERVER, else nats-server on PATH or in /usr/sbin) started with
// -cluster/--routes/--cluster_name. Skipped when no nats-server is installed.
import { clusterSuite, meshTopology, referenceBinary } from "../lib/cluster.mjs";

const ref = referenceBinary();
clusterSuite(`reference: 2-node nats-server cluster (${ref})`, () => meshTopology(ref), {
  skip: ref ? false : "no nats-server found (set NATS_REF_SERVER)",
});
