// (c) Two launchers of the binary under test (one frontend each) meshed with
// -cluster/--routes/--cluster_name: clients on different launchers.
import { clusterSuite, meshTopology } from "../lib/cluster.mjs";
import { serverBinary } from "../lib/server.mjs";

clusterSuite("2 meshed launchers (-cluster/--routes)", () => meshTopology(serverBinary()));
